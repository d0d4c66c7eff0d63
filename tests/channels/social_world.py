"""Both social platforms' sandboxes over HTTP, the real WeChat and Weibo adapters wired to
them, and an embedded hub whose engines the tests run (`world` fixture, tests/channels)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from channels.tokens import TokenStore
from channels.wechat.adapter import WeChatAdapter
from channels.wechat.api import WeChatApi
from channels.weibo.adapter import WeiboAdapter
from channels.weibo.api import WeiboApi
from hub.delivery.accounts import article_link
from hub.delivery.engine import DeliveryEngine
from hub.delivery.planner import run_planner
from hub.projections.deliveries import deliveries_of
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.server import BackgroundServer
from sandboxes.wechat import WeChatSandbox
from sandboxes.weibo import WeiboSandbox
from tests.helpers import STAGES

APPID, SECRET = "wx5f3a8c0e2b7d4e9a", "0123456789abcdef0123456789abcdef"
APP_KEY, APP_SECRET, UID = "2847561930", "weibo-app-secret", "5830417296"
TITLE = "关于开展自查工作的通知"


def wait_for(condition: Callable[[], object], seconds: float = 10.0) -> None:
    """Until `condition()` holds (something another thread or server does), at most
    `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "it never happened"
        time.sleep(0.02)


@dataclass
class World:
    hub: EmbeddedHub
    wechat: WeChatSandbox
    weibo: WeiboSandbox
    wechat_api: WeChatApi
    weibo_api: WeiboApi
    adapters: dict[str, Any]
    article: str = ""

    def engine(self, worker: str) -> DeliveryEngine:
        return DeliveryEngine(self.hub.store, self.adapters, after_write=self.hub.catch_up,
                              worker=worker, lease=timedelta(seconds=30))  # fmt: skip

    def publish(self, target: str | list[str], title: str = TITLE, mass_send: bool = False,
                body: str = "<p>各有关单位：请于本月底前完成自查。</p>") -> str:  # fmt: skip
        hub = self.hub
        created = hub.articles.create("zhangwei", "gov", ["notices"], title, body)
        hub.articles.submit("zhangwei", created.article_id)
        for user, gates in STAGES:
            hub.articles.approve(user, created.article_id, gates)
        targets = [target] if isinstance(target, str) else target
        hub.publishing.publish("zhangwei", created.article_id, targets, feeds=False,
                               mass_send=mass_send)  # fmt: skip
        run_planner(hub.store)
        hub.catch_up()
        self.article = created.article_id
        return created.article_id

    def deliver(self, rounds: int = 3) -> None:
        """A few rounds of one delivery engine, the sandboxes' delays between them."""
        now = datetime.now(UTC)
        for n in range(rounds):
            self.engine("w1").run_once(now + timedelta(seconds=n))
            time.sleep(0.25)
        self.hub.catch_up()

    def delivery(self, article: str) -> Any:
        self.hub.catch_up()
        (found,) = deliveries_of(self.hub.store, article)
        return found

    def published(self, platform: str) -> int:
        if platform == "wechat":
            return len(self.wechat.published(APPID))
        return len(self.weibo.posted(UID))


@pytest.fixture
def world(hub: EmbeddedHub, tmp_path: Path) -> Iterator[World]:
    wechat, weibo = WeChatSandbox(publish_delay=0.2), WeiboSandbox()
    wechat.add_account(APPID, SECRET)
    weibo.add_app(APP_KEY, APP_SECRET, ["sf.gov.cn"])
    weibo.add_user(UID, "示范省人民政府")
    servers = [BackgroundServer(s.app()).start() for s in (wechat, weibo)]
    wechat.base_url, weibo.base_url = servers[0].url, servers[1].url
    tokens = TokenStore(tmp_path / "tokens.sqlite3")
    wechat_api = WeChatApi(servers[0].url, APPID, SECRET, tokens, timeout=0.5)
    weibo_api = WeiboApi(servers[1].url, "sf-weibo", APP_KEY, APP_SECRET, tokens, timeout=0.5,
                         status_url=servers[1].url + "/_sandbox/weibo/status/{id}")  # fmt: skip
    weibo_api.authorize_locally()
    link = article_link(hub.config)
    adapters: dict[str, Any] = {
        "wechat": WeChatAdapter({"sf-wechat": wechat_api}, hub.media, link),
        "weibo": WeiboAdapter({"sf-weibo": weibo_api}, link, hub.media),
    }
    yield World(hub, wechat, weibo, wechat_api, weibo_api, adapters)
    for server in servers:
        server.stop()
