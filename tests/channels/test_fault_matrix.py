"""The fault matrix over both platforms (issue 6): the real adapters in the real delivery
engine against the WeChat and Weibo sandboxes over HTTP. Each row arranges one fault, runs
the engine (a killed worker is followed by another once its lease lapses) and asserts the
final delivery state, the reason the operator reads, and how many articles the platform
published: exactly one, or none."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import channels.wechat.adapter as wechat_adapter
import channels.weibo.adapter as weibo_adapter
import sandboxes.weibo as weibo_sandbox
from sandboxes.wechat import Fault as WxFault
from sandboxes.weibo import Fault as WbFault
from tests.channels.social_world import APPID, SECRET, TITLE, UID, World


class Killed(BaseException):
    """A worker dying mid-attempt (not an error the engine would catch)."""


# -- arrangements ------------------------------------------------------------------------------


def expire_wechat_token(w: World) -> None:
    w.wechat_api.token()
    for token in w.wechat.tokens.values():
        token.expires_at = w.wechat.clock() - 1  # the platform's clock ran past it


def another_caller_refreshes(w: World) -> None:
    w.wechat_api.token()
    w.wechat.stable_token(APPID, SECRET, force_refresh=True)  # ours is now invalid (40001)


def kill_wechat_after(step: str) -> Callable[[World], None]:
    def arrange(w: World) -> None:
        adapter = w.adapters["wechat"]
        original = adapter._step

        def dying(item: Any, name: str, make: Any) -> str:
            value = original(item, name, make)
            if name == step:
                adapter._step = original  # the next worker is healthy
                raise Killed(step)
            return value

        adapter._step = dying

    return arrange


def kill_weibo(before_call: bool) -> Callable[[World], None]:
    def arrange(w: World) -> None:
        api = w.weibo_api
        original = api.share

        def dying(*args: Any, **kwargs: Any) -> Any:
            api.share = original  # type: ignore[method-assign]
            if before_call:
                raise Killed("before share")
            original(*args, **kwargs)
            raise Killed("after share")

        api.share = dying  # type: ignore[method-assign]

    return arrange


def posted_by_hand(w: World) -> None:
    """The account already carries this very post (someone posted it by hand)."""
    item = w.engine("peek")._item(w.delivery(w.article))
    w.weibo_api.share(w.adapters["weibo"].text(item))


@dataclass(frozen=True)
class Row:
    platform: str
    fault: str
    arrange: Callable[[World], None] | None
    status: str
    reason: str  # what the operator reads (a part of it); "" for none
    published: int
    title: str = TITLE
    slow_forever: bool = False  # a post Weibo took never shows, and the grace is over


def wx(fault: WxFault) -> Callable[[World], None]:
    return lambda w: w.wechat.inject(APPID, fault)


def wb(fault: WbFault) -> Callable[[World], None]:
    return lambda w: w.weibo.inject(UID, fault)


ROWS = [
    Row("wechat", "none", None, "delivered", "", 1),
    Row("wechat", "token expired mid-run", expire_wechat_token, "delivered", "", 1),
    Row("wechat", "token invalidated by another caller", another_caller_refreshes,
        "delivered", "", 1),
    Row("wechat", "daily quota exhausted", wx(WxFault(45009, "freepublish/submit")),
        "retrying", "微信 45009", 0),
    Row("wechat", "system busy", wx(WxFault(-1)), "delivered", "", 1),
    Row("wechat", "title too long", None, "dead", "超过渠道上限 32 字", 0, title="关" * 33),
    Row("wechat", "content refused by review", wx(WxFault(publish_status=4)), "dead",
        "平台审核不通过", 0),
    Row("wechat", "timeout after submit", wx(WxFault(api="freepublish/submit", delay=1.5)),
        "delivered", "", 1),
    Row("wechat", "timeout after a submit that failed",
        wx(WxFault(api="freepublish/submit", delay=1.5, publish_status=3)), "dead",
        "为免重复发布", 0),
    Row("wechat", "crash after cover", kill_wechat_after("thumb"), "delivered", "", 1),
    Row("wechat", "crash after draft", kill_wechat_after("draft"), "delivered", "", 1),
    Row("wechat", "crash after submit", kill_wechat_after("publish"), "delivered", "", 1),
    Row("wechat", "crash after published", kill_wechat_after("article"), "delivered", "", 1),
    Row("weibo", "none", None, "delivered", "", 1),
    Row("weibo", "token expired mid-run", lambda w: w.weibo.expire_tokens(UID), "dead",
        "微博授权已过期", 0),
    Row("weibo", "token revoked", lambda w: w.weibo.tokens.clear(), "dead", "微博 21332", 0),
    Row("weibo", "hourly post limit", wb(WbFault(10024)), "retrying", "微博 10024", 0),
    Row("weibo", "system busy", wb(WbFault(10001)), "delivered", "", 1),
    Row("weibo", "title too long", None, "dead", "请缩短标题", 0, title="关" * 140),
    Row("weibo", "server slow (20032)", wb(WbFault(slow=True)), "delivered", "", 1),
    Row("weibo", "taken but never shown", wb(WbFault(slow=True)), "dead", "为免重复发布", 0,
        slow_forever=True),
    Row("weibo", "timeout after share", wb(WbFault(delay=1.5)), "delivered", "", 1),
    Row("weibo", "crash before share", kill_weibo(before_call=True), "delivered", "", 1),
    Row("weibo", "crash after share", kill_weibo(before_call=False), "delivered", "", 1),
    Row("weibo", "already posted (20019)", posted_by_hand, "delivered", "", 1),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.platform}: {r.fault}")
def test_fault_matrix(world: World, row: Row, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wechat_adapter, "UNANSWERED_GRACE_S", 0.0)
    if row.slow_forever:
        monkeypatch.setattr(weibo_sandbox, "SLOW_S", 3600.0)
        monkeypatch.setattr(weibo_adapter, "UNSEEN_GRACE_S", 0.0)
    article = world.publish(f"{row.platform}:sf-{row.platform}", row.title)
    if row.arrange is not None:
        row.arrange(world)
    now = datetime.now(UTC)
    first = world.engine("w1")
    with contextlib.suppress(Killed):
        first.run_once(now)
    if row.status == "retrying":  # parked: one attempt, and the wait the platform set
        parked = world.delivery(article)
        api: Any = world.wechat_api if row.platform == "wechat" else world.weibo_api
        wait = api.until_quota_reset() if row.platform == "wechat" else api.until_next_hour()
        assert abs((parked.next_at - now).total_seconds() - wait) < 5, parked
    else:
        for n in range(1, 7):  # the next worker: after the lease, and after any backoff
            time.sleep(0.3)
            world.engine(f"w{n + 1}").run_once(now + timedelta(seconds=31 + 60 * n))
    final = world.delivery(article)
    assert str(final.status) == row.status, final
    if row.reason:
        assert row.reason in final.last_error, final.last_error
    if row.status == "delivered":
        assert final.url and final.remote_id, final
        assert "/_sandbox/" in final.url
    assert world.published(row.platform) == row.published
