"""Click latency while a province fan-out is delivered: the time a reviewer's final approval
and an operator's publish take over HTTP, under `hub serve`, while the same hub delivers one
article to N website columns and M app accounts (the JPush sandbox in its own process, as in
`bench.fanout`).

    python -m bench.clicks --sites 359 --accounts 2404 [--rounds 3] [--pause-ms 20]

Each round publishes one article to every target (over HTTP too) and, until its deliveries
settle, clicks in turn: a final approval (终审) of an article waiting for it, and a publish of
an approved article to its own column. Only clicks that start while the fan-out is unsettled
count. A click appends its events and returns: the engine loop delivers in the background.

Ends with: clicks: p50_ms=X p99_ms=Y deliveries_during=N
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import requests

from bench.fanout import BODY, STAGES, jpush_sandbox, machine_speed, province_config
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging
from hub.runtime.server import serve

REVIEWER, GATES = STAGES[-1]
PUBLISHER = "qianli"


def prepared(hub: EmbeddedHub, count: int) -> tuple[list[str], list[str]]:
    """`count` articles waiting for the final approval and `count` approved ones."""
    waiting, approved = [], []
    for n in range(2 * count):
        created = hub.articles.create("zhangwei", "gov", ["notices"], f"关于做好第{n}项工作的通知",
                                      BODY)  # fmt: skip
        hub.articles.submit("zhangwei", created.article_id)
        stages = STAGES if n % 2 else STAGES[:-1]
        for user, gates in stages:
            hub.articles.approve(user, created.article_id, gates)
        (approved if n % 2 else waiting).append(created.article_id)
    return waiting, approved


def delivered(hub: EmbeddedHub, article_id: str) -> int:
    (count,) = hub.store.query(
        "SELECT COUNT(*) FROM deliveries WHERE article_id = ? AND status = 'delivered'",
        (article_id,),
    )[0]
    return int(count)


class Clicker:
    """Two users' API sessions, and the latency of each click."""

    def __init__(self, hub: EmbeddedHub, url: str) -> None:
        self.url = f"{url}/api/v1"
        self.sessions = {}
        for user in (REVIEWER, PUBLISHER):
            _, secret = hub.logins.create_token(user, "bench-clicks")
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {secret}"
            self.sessions[user] = session
        self.latencies: dict[str, list[float]] = {"approve": [], "publish": []}

    def click(self, user: str, path: str, body: dict[str, object]) -> float:
        started = time.perf_counter()
        answer = self.sessions[user].post(f"{self.url}{path}", json=body, timeout=60)
        took = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
        return took

    def approve(self, article_id: str) -> float:
        return self.click(REVIEWER, f"/articles/{article_id}/approve", {"gates": GATES})

    def publish(self, article_id: str, to: list[str] | None = None) -> float:
        body = {"to": to or ["gov/notices"], "feeds": False, "notify": bool(to)}
        return self.click(PUBLISHER, f"/articles/{article_id}/publish", body)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=359)
    parser.add_argument("--accounts", type=int, default=2404)
    parser.add_argument("--rounds", type=int, default=3, help="fan-outs clicked through")
    parser.add_argument("--pause-ms", type=float, default=20.0, help="between two clicks")
    args = parser.parse_args(argv)
    configure_logging("warning")
    speed = [machine_speed()]
    fanout_ms, during, window = [], 0, 0.0
    with tempfile.TemporaryDirectory(prefix="hub-clicks-") as name:
        tmp = Path(name)
        config, apps = province_config(tmp, args.sites, args.accounts)
        with jpush_sandbox(tmp, apps), EmbeddedHub.open(config) as hub:
            sites = [f"{s.key}/notices" for s in hub.config.directory.sites
                     if s.column("notices")][: args.sites]  # fmt: skip
            targets = sites + [f"app:app-{n:04d}" for n in range(args.accounts)]
            hub.adapters["website"].warm()  # a running hub has its site indexes open
            per_round = 150  # clicks of each kind a round may use (then it only waits)
            waiting, approved = prepared(hub, per_round * args.rounds + 5)
            big = prepared(hub, args.rounds)[1]
            serving = serve(hub, "127.0.0.1", 0, sandbox_port=None, engine=True)
            try:
                clicker = Clicker(hub, serving.hub_server.url)
                for _ in range(5):  # warm: connections, caches, the first page renders
                    clicker.approve(waiting.pop())
                    clicker.publish(approved.pop())
                for article in big:
                    fanout_ms.append(clicker.publish(article, targets))
                    started, before = time.perf_counter(), delivered(hub, article)
                    turn = 0
                    # The first two clicks go right after the publish, while it is delivered.
                    while turn < 2 or delivered(hub, article) < len(targets):
                        if turn >= 2 * per_round:
                            time.sleep(0.05)
                            continue
                        kind = ("approve", "publish")[turn % 2]
                        article_id = (waiting if kind == "approve" else approved).pop()
                        clicker.latencies[kind].append(getattr(clicker, kind)(article_id))
                        turn += 1
                        time.sleep(args.pause_ms / 1000)
                    during += delivered(hub, article) - before
                    window += time.perf_counter() - started
            finally:
                serving.stop()
                hub.deliveries.close()
        speed.append(machine_speed())
    every = clicker.latencies["approve"] + clicker.latencies["publish"]
    p50 = statistics.median(every)
    p99 = statistics.quantiles(every, n=100)[98] if len(every) > 1 else every[0]
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        f"; a fixed 2M-step loop took {speed[0]:.0f} ms before and {speed[1]:.0f} ms after"
    )
    print(f"targets per fan-out: {len(targets)}; rounds: {args.rounds}; "
          f"seconds delivering while clicking: {window:.2f}")  # fmt: skip
    print("fan-out publish clicks (ms): " + " ".join(f"{ms:.0f}" for ms in fanout_ms))
    for kind, values in clicker.latencies.items():
        if values:
            print(f"  {kind}: n={len(values)} p50_ms={statistics.median(values):.1f} "
                  f"max_ms={max(values):.1f}")  # fmt: skip
    print(f"clicks: p50_ms={p50:.1f} p99_ms={p99:.1f} deliveries_during={during}")
    return {"p50_ms": p50, "p99_ms": p99, "deliveries_during": during}


if __name__ == "__main__":
    main()
