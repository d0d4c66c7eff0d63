"""`hub serve`: the HTTP servers (the hub; the channel sandboxes) and the delivery engine
loop, each on its own thread of one process."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog
import uvicorn

from channels.sandboxes import sandbox_app
from channels.sandboxes.jpush import JPushSandbox
from hub.runtime import EmbeddedHub
from hub.web.app import create_app
from workflows.errors import DomainError
from workflows.publication import Channel

log = structlog.get_logger(__name__)


class BackgroundServer:
    """Uvicorn serving one ASGI app on a thread; port 0 picks a free port."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1)  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"http:{port}")
        self.host = host
        self.requested_port = port

    def start(self, timeout: float = 15.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise DomainError(
                    "PORT_UNAVAILABLE",
                    f"无法在 {self.host}:{self.requested_port} 启动 HTTP 服务：端口已被占用或地址不可用",
                    host=self.host,
                    port=self.requested_port,
                )
            time.sleep(0.02)
        return self

    @property
    def port(self) -> int:
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class EngineLoop:
    """Runs due publications and deliveries until stopped; never dies of one bad round."""

    def __init__(self, hub: EmbeddedHub, interval: float = 0.2) -> None:
        self.hub = hub
        self.interval = interval
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="engine")
        self.rounds = 0

    def start(self) -> EngineLoop:
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.hub.publishing.run_due()
                self.hub.deliveries.run_once()
            except Exception:
                log.exception("engine.round_failed")
            self.rounds += 1
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=30)


@dataclass
class Serving:
    hub_server: BackgroundServer
    sandbox_server: BackgroundServer | None
    engine: EngineLoop | None
    jpush: JPushSandbox | None

    def stop(self) -> None:
        if self.engine:
            self.engine.stop()
        self.hub_server.stop()
        if self.sandbox_server:
            self.sandbox_server.stop()


def seed_jpush(hub: EmbeddedHub, jpush: JPushSandbox) -> None:
    """Register every app account that talks to the local sandbox, with its secret."""
    for account in hub.config.directory.accounts:
        app = hub.adapters[Channel.APP].accounts.get(account.id)  # type: ignore[attr-defined]
        if app is not None and app.jpush is not None:
            secret = hub.secrets.get(f"jpush/{account.id}", generate=True)
            assert secret is not None
            jpush.add_app(app.jpush.app_key, secret, devices=5)


def serve(
    hub: EmbeddedHub,
    host: str,
    port: int,
    sandbox_port: int | None,
    engine: bool = True,
) -> Serving:
    """Start everything; `sandbox_port` None runs no sandboxes."""
    jpush = sandbox = None
    if sandbox_port is not None:
        jpush = JPushSandbox()
        seed_jpush(hub, jpush)
        sandbox = BackgroundServer(sandbox_app(jpush), host, sandbox_port).start()
    try:
        server = BackgroundServer(create_app(hub), host, port).start()
    except DomainError:
        if sandbox is not None:
            sandbox.stop()
        raise
    loop = EngineLoop(hub).start() if engine else None
    return Serving(server, sandbox, loop, jpush)
