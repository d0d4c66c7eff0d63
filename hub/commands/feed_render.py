"""The app feeds and screen playlists rebuilt from the log (`hub channels render`): after a
lost or damaged channel store, or to move it.

For each app (or screen) the delivery ledger gives every article's last delivery there that
reached it — delivered, or retracted since — in the order those changes happened; the feed
becomes one entry per article (a tombstone for a retracted one), the playlist one item per
article on air and one `retract` change per article taken off. The change numbers start above
every number the store could have given out (its own head, if it survived; else what the log
shows: the numbers recorded in the deliveries' receipts and the count of attempts made), so an
app or screen syncing from any cursor it holds receives everything once more and misses
nothing. Content, revisions and order are those the channel showed; an app entry's update
time is when its delivery (or retraction) was recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.app.adapter import AppAdapter
from channels.app.feed import FeedItem
from channels.screen.adapter import ScreenAdapter
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.runtime.embedded import EmbeddedHub
from workflows.publication import Channel

FEED_CHANNELS = (Channel.APP, Channel.SCREEN)
_NUMBER = {Channel.APP: re.compile(r"feed:(\d+)"), Channel.SCREEN: re.compile(r"@(\d+)")}
_COLUMNS = ("delivery_id", "article_id", "status", "updated_at", "remote_id", "attempts",
            "change_no")  # fmt: skip
PASSES = 3  # a delivery that lands while an account is rebuilt is taken in by another pass


@dataclass(frozen=True)
class _Shown:
    delivery_id: str
    article_id: str
    retracted: bool
    updated_at: str


def _ledger(hub: EmbeddedHub, channel: Channel, account: str) -> tuple[list[_Shown], int, int]:
    """Each article's last change on the account (oldest first), a floor for the change
    numbers, and the ledger's newest change number for the account."""
    rows = hub.store.rows(DELIVERIES_TABLE, {"channel": str(channel), "account": account},
                          _COLUMNS, order_by=("change_no",))  # fmt: skip
    last: dict[str, _Shown] = {}
    floor = newest = 0
    for delivery_id, article_id, status, updated_at, remote_id, attempts, change_no in rows:
        newest = max(newest, int(change_no or 0))
        floor += int(attempts or 0) + (status == "retracted")
        for number in _NUMBER[channel].findall(str(remote_id or "")):
            floor = max(floor, int(number))
        if status in ("delivered", "retracted"):
            last.pop(str(article_id), None)  # re-inserted: the order is that of the last change
            last[str(article_id)] = _Shown(str(delivery_id), str(article_id),
                                           status == "retracted", str(updated_at))  # fmt: skip
    return list(last.values()), floor, newest


def _seconds(at: str) -> str:
    return datetime.fromisoformat(at).isoformat(timespec="seconds")


def _rebuild_app(hub: EmbeddedHub, adapter: AppAdapter, account: str) -> int:
    shown, floor, _ = _ledger(hub, Channel.APP, account)
    items: list[FeedItem] = []
    for one in shown:
        item = hub.deliveries.item_of(one.delivery_id)
        status = "retracted" if one.retracted else "published"
        items.append(adapter.feed_item(item, _seconds(one.updated_at), status))
    adapter.feed.replace(account, items, floor)
    return len(items)


def _rebuild_screen(hub: EmbeddedHub, adapter: ScreenAdapter, account: str) -> int:
    shown, floor, _ = _ledger(hub, Channel.SCREEN, account)
    changes: list[tuple[str, dict[str, Any]]] = []
    for one in shown:
        if one.retracted:
            changes.append(("retract", {"id": one.article_id}))
        else:
            item = hub.deliveries.item_of(one.delivery_id)
            changes.append(("upsert", {**adapter.screen_item(item),
                                       "delivery_id": one.delivery_id}))  # fmt: skip
    adapter.playlists.replace(account, changes, floor)
    return len(changes)


def accounts_of(hub: EmbeddedHub, channel: Channel) -> list[str]:
    """The configured accounts of a feed channel (apps, screens)."""
    return [a.id for a in hub.config.directory.accounts if a.channel is channel]


def render_feeds(
    hub: EmbeddedHub, channel: Channel, accounts: list[str],
    progress: Callable[[int], None] = lambda _: None,
) -> dict[str, int]:  # fmt: skip
    """Rebuild each account's feed (apps) or playlist (screens) from the log; the entries
    written per account."""
    hub.catch_up()
    adapter = hub.adapters[str(channel)]
    written = {}
    for account in accounts:
        for _ in range(PASSES):
            before = _ledger(hub, channel, account)[2]
            if isinstance(adapter, AppAdapter):
                written[account] = _rebuild_app(hub, adapter, account)
            else:
                assert isinstance(adapter, ScreenAdapter)
                written[account] = _rebuild_screen(hub, adapter, account)
            hub.catch_up()
            if _ledger(hub, channel, account)[2] == before:
                break
        progress(1)
    return written
