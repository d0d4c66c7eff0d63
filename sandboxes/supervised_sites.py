"""Government sites with scripted faults, for supervision's tests and demo: each site key
answers its homepage and column pages, unless a fault is set for it — `down` (HTTP 503),
`refuse` (the connection closed without an answer: HTTP 502 from this server), `slow` (an
answer after `slow_s` seconds, past a probe's timeout) — or a share of its requests fails
(`flaky`, e.g. 0.05: one request in twenty, the national veto's threshold). The server
counts requests per page and the most it served at once (per-host politeness is measured
here, not assumed)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route


@dataclass
class SupervisedSites:
    faults: dict[str, str] = field(default_factory=dict)  # site key -> down | refuse | slow
    flaky: dict[str, float] = field(default_factory=dict)  # site key -> share of failures
    slow_s: float = 3.0
    latency_s: float = 0.01  # every answer takes this long (a real server's time)
    requests: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    most_at_once: int = 0
    seed: int = 7

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    async def page(self, request: Request) -> Response:
        key, rest = request.path_params["key"], request.path_params.get("rest", "")
        path = f"{key}/{rest}"
        self.requests[path] = self.requests.get(path, 0) + 1
        self.in_flight += 1
        self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            await asyncio.sleep(self.latency_s)  # a real server takes a moment: requests overlap
            fault = self.faults.get(key)
            if fault == "down":
                return Response("Service Unavailable", status_code=503)
            if fault == "refuse":
                return Response("Bad Gateway", status_code=502)
            if fault == "slow":
                await asyncio.sleep(self.slow_s)
            if self._random.random() < self.flaky.get(key, 0.0):
                return Response("Gateway Timeout", status_code=504)
            return HTMLResponse(f"<!DOCTYPE html><html lang=\"zh-CN\"><title>{key}</title>"
                                f"<body><h1>{key}</h1><p>{rest or '首页'}</p></body></html>")  # fmt: skip
        finally:
            self.in_flight -= 1

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/{key}/", self.page),
            Route("/{key}/{rest:path}", self.page),
        ])  # fmt: skip
