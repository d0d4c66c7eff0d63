"""The hub's WeChat API client against the sandbox over real HTTP: one shared token for every
worker, a refused token replaced once, each platform answer classified for the deliveries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.contract import ChannelError
from channels.tokens import TokenStore
from channels.wechat.api import WeChatApi
from hub.runtime.server import BackgroundServer
from sandboxes.wechat import Fault, WeChatSandbox
from tests.channels.test_wechat_sandbox import APPID, SECRET, jpeg
from workflows.delivery_events import ErrorKind


class Setup:
    def __init__(self, sandbox: WeChatSandbox, url: str, tmp: Path) -> None:
        self.sandbox, self.url = sandbox, url
        self.tokens = TokenStore(tmp / "tokens.sqlite3")
        self.now = [time.time()]
        sandbox.clock = lambda: self.now[0]

    def api(self, secret: str = SECRET, timeout: float = 10.0) -> WeChatApi:
        return WeChatApi(self.url, APPID, secret, self.tokens, timeout=timeout,
                         clock=lambda: self.now[0])  # fmt: skip

    def fetches(self) -> int:
        account = self.sandbox.accounts[APPID]
        return sum(n for (api, _), n in account.calls.items() if api == "stable_token")


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    sandbox = WeChatSandbox(publish_delay=0.1)
    sandbox.add_account(APPID, SECRET, daily_quota=30)
    server = BackgroundServer(sandbox.app()).start()
    sandbox.base_url = server.url
    yield Setup(sandbox, server.url, tmp_path)
    server.stop()


def test_a_whole_publication_through_the_client(setup: Setup) -> None:
    api = setup.api()
    thumb = api.add_thumb(jpeg())
    image = api.upload_image(jpeg((120, 80)), "p.jpg", "image/jpeg")
    draft = api.add_draft([{"title": "关于做好冬季安全生产工作的通知", "thumb_media_id": thumb,
                            "content": f'<p>各有关单位：</p><img src="{image}">'}])  # fmt: skip
    publish_id = api.submit(draft)
    assert api.publish_status(publish_id)["publish_status"] == 1
    setup.now[0] += 1  # the platform's clock: publishing takes a moment
    done = api.publish_status(publish_id)
    assert done["publish_status"] == 0 and done["article_detail"]["item"][0]["article_url"]
    api.delete(done["article_id"])
    assert api.publish_status(publish_id)["publish_status"] == 5
    assert len(setup.sandbox.publishes) == 1 and setup.sandbox.published(APPID) == []  # deleted
    assert setup.fetches() == 1  # one token for all of it


def test_workers_share_one_token_and_refresh_it_early(setup: Setup) -> None:
    one, two = setup.api(), setup.api()  # two workers, one token store
    one.call("/cgi-bin/draft/count", method="GET")
    two.call("/cgi-bin/draft/count", method="GET")
    assert setup.fetches() == 1
    setup.now[0] += 7200 - 200  # inside the last five minutes: the platform rotates it
    two.call("/cgi-bin/draft/count", method="GET")
    assert setup.fetches() == 2


def test_a_refused_token_is_replaced_once(setup: Setup) -> None:
    api = setup.api()
    api.call("/cgi-bin/draft/count", method="GET")
    # Another caller (an administrator's tool) force-refreshes: our shared token is refused.
    setup.sandbox.stable_token(APPID, SECRET, force_refresh=True)
    assert api.call("/cgi-bin/draft/count", method="GET")["total_count"] == 0
    setup.now[0] += 7201  # and an expired token likewise
    assert api.call("/cgi-bin/draft/count", method="GET")["total_count"] == 0
    setup.sandbox.inject(APPID, Fault(errcode=40001), Fault(errcode=40001))
    with pytest.raises(ChannelError) as twice:  # refused twice: no loop, a retryable error
        api.call("/cgi-bin/draft/count", method="GET")
    assert twice.value.kind is ErrorKind.RETRYABLE


def test_answers_are_classified_for_the_deliveries(setup: Setup) -> None:
    api = setup.api()
    thumb = api.add_thumb(jpeg())
    setup.sandbox.inject(APPID, Fault(errcode=-1))
    with pytest.raises(ChannelError) as busy:
        api.call("/cgi-bin/draft/count", method="GET")
    assert busy.value.kind is ErrorKind.RETRYABLE and "rid" not in busy.value.reason
    with pytest.raises(ChannelError) as long:
        api.add_draft([{"title": "标题", "thumb_media_id": thumb, "content": "字" * 20_000}])
    assert long.value.kind is ErrorKind.PERMANENT
    assert long.value.reason == "微信 45002：content size out of limit"
    assert long.value.platform_code == 45002  # decisions read the platform's code, not text
    assert busy.value.platform_code == -1
    assert not api.draft_exists("no-such-draft")  # 40007: gone, by its code
    with pytest.raises(ChannelError) as wrong:
        WeChatApi(setup.url, APPID, "wrong-secret", TokenStore(setup.tokens.path.with_name("b")),
                  clock=lambda: setup.now[0]).token()  # fmt: skip
    assert wrong.value.kind is ErrorKind.REAUTH
    while True:  # spend the day's quota of draft/count
        try:
            api.call("/cgi-bin/draft/count", method="GET")
        except ChannelError as exc:
            quota = exc
            break
    assert quota.kind is ErrorKind.RETRYABLE and quota.platform_code == 45009
    assert quota.retry_after is not None and 0 < quota.retry_after <= 86_401
    assert quota.retry_after == pytest.approx(api.until_quota_reset(), abs=2)


def test_a_submit_answered_too_late_has_an_unknown_outcome(setup: Setup) -> None:
    api = setup.api(timeout=0.5)
    thumb = api.add_thumb(jpeg())
    draft = api.add_draft([{"title": "通知", "thumb_media_id": thumb, "content": "<p>正文</p>"}])
    setup.sandbox.inject(APPID, Fault(api="freepublish/submit", delay=1.5))
    with pytest.raises(ChannelError) as late:
        api.submit(draft)
    assert late.value.kind is ErrorKind.UNKNOWN_OUTCOME
    time.sleep(1.2)
    assert len(setup.sandbox.publishes) == 1  # it was submitted: a blind retry would duplicate
