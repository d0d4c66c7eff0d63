"""New-media accounts' freshness from their platforms (新媒体不更新): a unit may post with the
platform's own tools, not only through the hub; the platform lists what the account posted
(WeChat `freepublish/batchget`, Weibo `statuses/user_timeline`), and its newest post counts
for the account's 14-day rule like a publication through the hub. Asked once per crawl pass;
an answer that did not change appends nothing (the event id follows from the post's time)."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.contract import ChannelError
from channels.wechat.api import WeChatApi
from channels.weibo.api import WeiboApi
from events.decider import derived_id
from events.log import get_logger
from events.store import EventStore
from hub.setup.directory import Directory
from hub.supervision.probes import record_site_event
from workflows.probe_events import UpdateSeen
from workflows.publication import Channel

log = get_logger(__name__)


def weibo_time(text: str) -> datetime:
    """Weibo's `created_at` (`Wed Oct 24 23:49:17 +0800 2012`)."""
    return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")


class AccountWatcher:
    def __init__(self, store: EventStore, directory: Directory, wechat: dict[str, WeChatApi],
                 weibo: dict[str, WeiboApi], vantage: str = "local") -> None:  # fmt: skip
        self.store, self.directory = store, directory
        self.wechat, self.weibo, self.vantage = wechat, weibo, vantage

    def latest(self, channel: Channel, account: str) -> datetime | None:
        """The account's newest post on its platform (None: it has none)."""
        if channel is Channel.WECHAT:
            items = self.wechat[account].published(1)
            return datetime.fromtimestamp(int(items[0]["update_time"]), UTC) if items else None
        statuses = self.weibo[account].timeline(1)
        return weibo_time(str(statuses[0]["created_at"])) if statuses else None

    def run_once(self, now: datetime) -> dict[str, datetime]:
        """Ask every account's platform; record what changed; what each said."""
        found: dict[str, datetime] = {}
        for account in self.directory.accounts:
            if account.id not in (self.wechat if account.channel is Channel.WECHAT
                                  else self.weibo if account.channel is Channel.WEIBO else {}):  # fmt: skip
                continue
            key = f"{account.channel}:{account.id}"
            try:
                latest = self.latest(account.channel, account.id)
            except (ChannelError, KeyError, ValueError, TypeError) as exc:
                log.warning("accounts.unreadable", account=key, error=str(exc)[:200])
                continue
            if latest is None:
                continue
            found[key] = latest
            site = self.directory.site(account.site).code
            event_id = derived_id("account-post", key, latest.isoformat())
            record_site_event(self.store, site, now, UpdateSeen(
                target=key, latest_at=latest, vantage=self.vantage, source="platform"), event_id)  # fmt: skip
        return found
