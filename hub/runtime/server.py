"""`hub serve`: the HTTP servers (the hub; the channel sandboxes) and the delivery engine
loop, each on its own thread of one process."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

from channels.contract import ChannelError
from events.log import get_logger
from hub.delivery.accounts import accounts_of, is_local, safe_domain
from hub.runtime.embedded import EmbeddedHub
from hub.supervision.watch import Watching
from hub.web.app import create_app
from sandboxes import sandbox_app
from sandboxes.jpush import JPushSandbox
from sandboxes.wechat import WeChatSandbox
from sandboxes.weibo import WeiboSandbox
from workflows.errors import DomainError
from workflows.publication import Channel

log = get_logger(__name__)


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
    """Runs the background work (timers, policies, deliveries) until stopped: a round, then
    a nap that an append (a user's command, here or in another process) cuts short; never
    dies of one bad round."""

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
        store = self.hub.store
        while not self._stop.is_set():
            head = store.head_position()
            try:
                self.hub.work()
            except Exception:
                log.exception("engine.round_failed")
            self.rounds += 1
            # Woken at once by an append after `head` (the round's own appends included:
            # one more round picks up what they caused).
            store.wait_for_append(head, self.interval)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=30)


@dataclass
class Sandboxes:
    """The platforms' sandboxes `hub serve` runs in the embedded default."""

    jpush: JPushSandbox
    wechat: WeChatSandbox
    weibo: WeiboSandbox

    @classmethod
    def seeded(cls, hub: EmbeddedHub) -> Sandboxes:
        sandboxes = cls(JPushSandbox(), WeChatSandbox(), WeiboSandbox())
        seed_jpush(hub, sandboxes.jpush)
        seed_wechat(hub, sandboxes.wechat)
        seed_weibo(hub, sandboxes.weibo)
        return sandboxes

    def app(self) -> Any:
        return sandbox_app(self.jpush, self.wechat, self.weibo)

    def served_at(self, url: str) -> None:
        """Where the sandboxes' own pages (articles, images, posts) are: their links use it."""
        self.wechat.base_url = self.weibo.base_url = url


@dataclass
class Serving:
    hub_server: BackgroundServer
    sandbox_server: BackgroundServer | None
    engine: EngineLoop | None
    sandboxes: Sandboxes | None
    probes: Watching | None = None

    @property
    def jpush(self) -> JPushSandbox | None:
        return self.sandboxes.jpush if self.sandboxes else None

    def stop(self) -> None:
        if self.probes:
            self.probes.stop()
        if self.engine:
            self.engine.stop()
        if self.sandboxes:
            self.sandboxes.wechat.close()
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


def seed_wechat(hub: EmbeddedHub, wechat: WeChatSandbox) -> None:
    """Register every official account that talks to the local sandbox, with its AppSecret."""
    for account_id, api in hub.adapters[Channel.WECHAT].accounts.items():  # type: ignore[attr-defined]
        if is_local(api.base_url):
            secret = hub.secrets.get(f"wechat/{account_id}", generate=True)
            assert secret is not None
            wechat.add_account(api.appid, secret)


def connect_wechat(hub: EmbeddedHub, wechat: WeChatSandbox, hub_url: str) -> None:
    """Save each local official account's server configuration in the sandbox (the hub's
    callback URL, token and EncodingAESKey: safe mode), as an administrator does in the
    platform's console; the sandbox checks the URL first, then pushes each finished publish
    and mass send to it, encrypted."""
    for account_id, api in hub.adapters[Channel.WECHAT].accounts.items():  # type: ignore[attr-defined]
        keys = hub.wechat_callback(account_id)
        if not is_local(api.base_url) or keys is None:
            continue
        url = f"{hub_url}/channels/wechat/{account_id}/callback"
        refused = wechat.set_server(api.appid, url, keys.token, keys.aes_key)
        if refused:
            log.warning("wechat.sandbox_callback_refused", account=account_id, reason=refused)


def seed_weibo(hub: EmbeddedHub, weibo: WeiboSandbox) -> None:
    """Register the platform app (its safe domains) and each account's user in the sandbox."""
    apis = hub.adapters[Channel.WEIBO].accounts  # type: ignore[attr-defined]
    for account in accounts_of(hub.config, Channel.WEIBO):
        api = apis.get(account.id)
        if api is None or not is_local(api.base_url):
            continue
        secret = hub.secrets.get(f"weibo/{account.id}", generate=True)
        assert secret is not None
        known = weibo.apps.get(api.app_key)
        domains = (*(known.safe_domains if known else ()), safe_domain(hub.config, account))
        weibo.add_app(api.app_key, secret, domains)
        weibo.add_user(account.settings.get("uid") or "1000000001", account.name)


def authorize_weibo(hub: EmbeddedHub, weibo: WeiboSandbox) -> None:
    """Each local Weibo account's holder consents, as on the platform (the code grant), so
    the hub holds a token the sandbox knows."""
    apis = hub.adapters[Channel.WEIBO].accounts  # type: ignore[attr-defined]
    for account in accounts_of(hub.config, Channel.WEIBO):
        api = apis.get(account.id)
        if api is None or not is_local(api.base_url):
            continue
        try:
            api.authorize_locally()
        except ChannelError as exc:
            log.warning("weibo.sandbox_authorize_failed", account=account.id, error=exc.reason)


def serve(
    hub: EmbeddedHub,
    host: str,
    port: int,
    sandbox_port: int | None,
    engine: bool = True,
) -> Serving:
    """Start everything; `sandbox_port` None runs no sandboxes."""
    sandboxes = sandbox = None
    if sandbox_port is not None:
        sandboxes = Sandboxes.seeded(hub)
        sandbox = BackgroundServer(sandboxes.app(), host, sandbox_port).start()
        sandboxes.served_at(sandbox.url)
        authorize_weibo(hub, sandboxes.weibo)
    try:
        server = BackgroundServer(create_app(hub), host, port).start()
    except DomainError:
        if sandbox is not None:
            sandbox.stop()
        raise
    if sandboxes is not None:
        connect_wechat(hub, sandboxes.wechat, server.url)
    loop = EngineLoop(hub).start() if engine else None
    probes = start_probes(hub, server.url) if engine else None
    return Serving(server, sandbox, loop, sandboxes, probes)


def start_probes(hub: EmbeddedHub, served: str) -> Watching:
    """Probe and crawl the sites on threads of their own (`probe_url`; unset: the sites this
    process serves, for the demo's one screen)."""
    pattern = hub.config.settings.probe_url or f"{served}/sites/{{key}}/index.html"
    return Watching(hub, pattern, "hub-serve")
