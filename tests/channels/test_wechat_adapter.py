"""The WeChat adapter in the delivery engine against the WeChat sandbox over real HTTP: an
approved article becomes one published article; a worker killed mid-way resumes without
publishing twice; a retraction deletes it; the platform's refusals reach the operator."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from channels.tokens import TokenStore
from channels.wechat.adapter import WeChatAdapter
from channels.wechat.api import WeChatApi
from hub.delivery.engine import DeliveryEngine
from hub.delivery.planner import run_planner
from hub.projections.deliveries import deliveries_of
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.server import BackgroundServer
from sandboxes.wechat import Fault, WeChatSandbox
from tests.channels.test_wechat_sandbox import APPID, SECRET
from tests.helpers import approved


class Setup:
    def __init__(self, hub: EmbeddedHub, sandbox: WeChatSandbox, url: str, tmp: Path) -> None:
        self.hub, self.sandbox = hub, sandbox
        api = WeChatApi(url, APPID, SECRET, TokenStore(tmp / "tokens.sqlite3"))
        self.adapter = WeChatAdapter({"sf-wechat": api}, media=hub.media)

    def engine(self, worker: str = "w1") -> DeliveryEngine:
        return DeliveryEngine(self.hub.store, {"wechat": self.adapter},
                              after_write=self.hub.catch_up, worker=worker,
                              lease=timedelta(seconds=30))  # fmt: skip

    def publish(self, body: str = "<p>各有关单位：请做好冬季安全生产工作。</p>") -> str:
        article = approved(self.hub, body)
        self.hub.publishing.publish("zhangwei", article, ["wechat:sf-wechat"], feeds=False)
        run_planner(self.hub.store)
        self.hub.catch_up()
        return article

    def delivery(self, article: str):  # type: ignore[no-untyped-def]
        self.hub.catch_up()
        (found,) = deliveries_of(self.hub.store, article)
        return found


@pytest.fixture
def setup(hub: EmbeddedHub, tmp_path: Path) -> Iterator[Setup]:
    sandbox = WeChatSandbox(publish_delay=0.2)
    sandbox.add_account(APPID, SECRET)
    server = BackgroundServer(sandbox.app()).start()
    sandbox.base_url = server.url
    yield Setup(hub, sandbox, server.url, tmp_path)
    server.stop()


def test_an_article_becomes_one_published_wechat_article(setup: Setup) -> None:
    photo = io.BytesIO()
    Image.new("RGB", (640, 360), (30, 120, 200)).save(photo, "PNG")
    image = setup.hub.media.put(photo.getvalue(), "现场.png")
    article = setup.publish(f'<p>各有关单位：</p><p><img src="{image.url}" alt="现场"></p>')
    setup.engine().run_once(datetime.now(UTC))  # WeChat takes 0.2 s: asked again at once
    done = setup.delivery(article)
    assert str(done.status) == "delivered", done
    assert set(dict(done.steps)) == {"thumb", "draft", "publish", "article"}
    assert done.url.startswith(setup.sandbox.base_url + "/_sandbox/wechat/s/")
    (published,) = setup.sandbox.published(APPID)
    body = published.articles[0]["content"]
    assert "/_sandbox/wechat/mmbiz/" in body and 'alt="现场"' in body  # re-hosted
    assert published.articles[0]["title"] == "关于开展自查工作的通知"


def test_a_long_publish_is_asked_again_later_without_failing(setup: Setup) -> None:
    setup.sandbox.publish_delay = 2.0
    article = setup.publish()
    engine, now = setup.engine(), datetime.now(UTC)
    engine.run_once(now)
    waiting = setup.delivery(article)
    assert str(waiting.status) == "retrying", waiting
    assert waiting.last_error.endswith("微信发布中")
    assert set(dict(waiting.steps)) == {"thumb", "draft", "publish"}
    time.sleep(1.2)
    engine.run_once(now + timedelta(seconds=6))
    done = setup.delivery(article)
    assert str(done.status) == "delivered", done
    assert len(setup.sandbox.publishes) == 1


@pytest.mark.parametrize("killed_after", ["thumb", "draft", "publish"])
def test_a_worker_killed_mid_way_never_publishes_twice(setup: Setup, killed_after: str) -> None:
    article = setup.publish()

    class Killed(BaseException):
        pass

    original = setup.adapter._step

    def dying(item, step, make):  # type: ignore[no-untyped-def]
        value = original(item, step, make)
        if step == killed_after:
            raise Killed()
        return value

    setup.adapter._step = dying  # type: ignore[method-assign]
    now = datetime.now(UTC)
    with pytest.raises(Killed):
        setup.engine("dying").run_once(now)
    setup.adapter._step = original  # type: ignore[method-assign]
    time.sleep(0.25)
    other = setup.engine("other")
    for n in range(5):  # status check, resumed send, polls (WeChat takes 0.2 s to publish)
        other.run_once(now + timedelta(seconds=31 + 10 * n))
        time.sleep(0.25)
    done = setup.delivery(article)
    assert str(done.status) == "delivered", done
    assert len(setup.sandbox.publishes) == 1 and len(setup.sandbox.published(APPID)) == 1


def test_retraction_deletes_the_article(setup: Setup) -> None:
    article = setup.publish()
    engine, now = setup.engine(), datetime.now(UTC)
    engine.run_once(now)
    time.sleep(0.25)
    engine.run_once(now + timedelta(seconds=6))
    assert str(setup.delivery(article).status) == "delivered"
    setup.hub.publishing.retract("zhangwei", article, "内容有误")
    run_planner(setup.hub.store)
    setup.hub.catch_up()
    engine.run_once(now + timedelta(seconds=12))
    assert str(setup.delivery(article).status) == "retracted"
    assert setup.sandbox.published(APPID) == []  # deleted on the platform (status 5)


def test_the_platforms_refusals_reach_the_operator(setup: Setup) -> None:
    article = setup.publish()
    setup.sandbox.inject(APPID, Fault(publish_status=4))  # 平台审核不通过
    engine, now = setup.engine(), datetime.now(UTC)
    engine.run_once(now)
    time.sleep(0.25)
    engine.run_once(now + timedelta(seconds=6))
    refused = setup.delivery(article)
    assert str(refused.status) == "dead" and refused.last_error.endswith("平台审核不通过")
    assert setup.sandbox.published(APPID) == []


def test_a_submit_whose_answer_is_lost_is_found_among_the_published(setup: Setup) -> None:
    article = setup.publish()
    setup.adapter.accounts["sf-wechat"].timeout = 0.5  # type: ignore[attr-defined]
    setup.sandbox.inject(APPID, Fault(api="freepublish/submit", delay=1.5))
    engine, now = setup.engine(), datetime.now(UTC)
    engine.run_once(now)
    assert str(setup.delivery(article).status) == "unknown"
    time.sleep(1.2)
    engine.run_once(now + timedelta(seconds=1))  # the draft is taken: batchget has it
    found = setup.delivery(article)
    assert str(found.status) == "delivered", found
    (published,) = setup.sandbox.published(APPID)
    assert found.url == setup.sandbox.article_url(published, 1)
    assert dict(found.steps)["article"] == published.article_id
    for n in range(3):
        engine.run_once(now + timedelta(seconds=60 * (n + 1)))
    assert len(setup.sandbox.publishes) == 1  # one submit, whatever happened after


def test_a_lost_submit_that_never_shows_is_left_to_a_person(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = setup.publish()
    setup.adapter.accounts["sf-wechat"].timeout = 0.5  # type: ignore[attr-defined]
    setup.sandbox.inject(APPID, Fault(api="freepublish/submit", delay=1.5, publish_status=3))
    engine, now = setup.engine(), datetime.now(UTC)
    engine.run_once(now)
    time.sleep(1.2)
    engine.run_once(now + timedelta(seconds=1))
    waiting = setup.delivery(article)
    assert str(waiting.status) == "unknown" and "等待文章出现" in waiting.last_error
    monkeypatch.setattr("channels.wechat.adapter.UNANSWERED_GRACE_S", 0.0)
    engine.run_once(now + timedelta(seconds=2))
    stopped = setup.delivery(article)
    assert str(stopped.status) == "dead" and "为免重复发布" in stopped.last_error
    for n in range(3):
        engine.run_once(now + timedelta(seconds=60 * (n + 1)))
    assert len(setup.sandbox.publishes) == 1 and setup.sandbox.published(APPID) == []
