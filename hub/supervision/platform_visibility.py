"""Published but not on the platform, and retracted but still there: the new-media side of
已发布未可见. The ledger knows every WeChat article and Weibo post the hub put out (their
platform ids) and every one it took down; the platform lists what the account shows now
(WeChat `freepublish/batchget` with each article's `is_deleted`, Weibo
`statuses/user_timeline`). A copy delivered more than `GRACE` ago that the platform does not
list (removed by the platform, deleted by hand in its back office, a publication that never
went public) opens a work order; so does a retracted copy the platform still lists. The
platforms' own pages are rendered by script for logged-in readers, so their APIs are the
reliable public record, not their web pages.

Only the accounts with a copy due are asked, once each per probe round (a copy seen as it
should be is not asked about again); a copy older than the oldest item of a full answer
is beyond what one answer shows and is not judged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from channels.contract import ChannelError
from channels.wechat.api import WeChatApi
from channels.weibo.api import WeiboApi
from events.log import get_logger
from events.recorder import AtLeast
from events.store import EventStore
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.setup.directory import Directory
from hub.supervision.accounts import weibo_time
from hub.supervision.visibility import GRACE, WINDOW, observe_copy
from hub.supervision.work_orders import Finding, WorkOrderService
from workflows.publication import CHANNEL_LABELS, Channel
from workflows.work_order_events import Evidence, Problem

log = get_logger(__name__)
WECHAT_PAGE, WEIBO_PAGE = 20, 100  # the most one answer lists


@dataclass(frozen=True)
class _Copy:
    delivery_id: str
    article_id: str
    channel: Channel
    account: str
    remote: str  # the platform's id of the article or post
    url: str
    retracted: bool
    changed_at: datetime


@dataclass(frozen=True)
class Listing:
    """What an account shows on its platform now: the ids, and the time of the oldest item
    when the answer was full (older copies are beyond it), else None."""

    shown: frozenset[str]
    horizon: datetime | None


def wechat_listing(api: WeChatApi) -> Listing:
    items = api.published(WECHAT_PAGE, content=True)
    shown = frozenset(str(i.get("article_id", "")) for i in items if any(
        not n.get("is_deleted") for n in i.get("content", {}).get("news_item", [{}])))  # fmt: skip
    full = len(items) >= WECHAT_PAGE
    return Listing(shown, datetime.fromtimestamp(int(items[-1]["update_time"]), UTC)
                   if full else None)  # fmt: skip


def weibo_listing(api: WeiboApi) -> Listing:
    statuses = api.timeline(WEIBO_PAGE)
    shown = frozenset(str(s.get("idstr") or s.get("id", "")) for s in statuses)
    full = len(statuses) >= WEIBO_PAGE
    return Listing(shown, weibo_time(str(statuses[-1]["created_at"])) if full else None)


def platform_id(channel: Channel, remote_id: str) -> str:
    """The id the platform lists a copy under: WeChat receipts are `publish_id/article_id`
    (a mass send, `mass/…`, has no public article); a Weibo receipt is the status id."""
    if channel is Channel.WECHAT:
        first, _, article = remote_id.partition("/")
        return "" if first == "mass" else article
    return remote_id


class PlatformVisibility:
    """Looks at the copies the ledger says are (or are no longer) on WeChat and Weibo."""

    def __init__(
        self, store: EventStore, orders: WorkOrderService, directory: Directory,
        wechat: dict[str, WeChatApi], weibo: dict[str, WeiboApi],
        titles: Callable[[set[str]], dict[str, str]], vantage: str = "local",
    ) -> None:  # fmt: skip
        self.store, self.orders, self.directory = store, orders, directory
        self.wechat, self.weibo, self.titles, self.vantage = wechat, weibo, titles, vantage
        self._settled: set[tuple[str, bool]] = set()

    def copies(self, now: datetime) -> list[_Copy]:
        rows = self.store.rows(
            DELIVERIES_TABLE,
            {"channel": [str(Channel.WECHAT), str(Channel.WEIBO)],
             "status": ["delivered", "retracted"],
             "updated_at": AtLeast((now - WINDOW).isoformat())},
            ("delivery_id", "article_id", "channel", "account", "remote_id", "url", "status",
             "updated_at"),
        )  # fmt: skip
        found = []
        for delivery, article, channel, account, remote, url, status, updated in rows:
            retracted = status == "retracted"
            changed = datetime.fromisoformat(str(updated))
            kind = Channel(str(channel))
            listed_as = platform_id(kind, str(remote or ""))
            if (not listed_as or now - changed < GRACE
                    or (str(delivery), retracted) in self._settled):  # fmt: skip
                continue
            found.append(_Copy(str(delivery), str(article), kind, str(account), listed_as,
                               str(url or ""), retracted, changed))  # fmt: skip
        return found

    def listing(self, channel: Channel, account: str) -> Listing | None:
        try:
            if channel is Channel.WECHAT and account in self.wechat:
                return wechat_listing(self.wechat[account])
            if channel is Channel.WEIBO and account in self.weibo:
                return weibo_listing(self.weibo[account])
        except (ChannelError, KeyError, ValueError, TypeError) as exc:
            log.warning("platform_visibility.unreadable", account=f"{channel}:{account}",
                        error=str(exc)[:200])  # fmt: skip
        return None

    def run_once(self, now: datetime) -> list[str]:
        """Ask the platforms about every copy due; the work orders opened (ids)."""
        copies = self.copies(now)
        if not copies:
            return []
        titles = self.titles({c.article_id for c in copies})
        listings: dict[tuple[Channel, str], Listing | None] = {}
        opened = []
        for copy in copies:
            where = (copy.channel, copy.account)
            if where not in listings:
                listings[where] = self.listing(*where)
            listing = listings[where]
            if listing is None or (listing.horizon and copy.changed_at < listing.horizon):
                continue  # the platform did not answer, or the copy is beyond its answer
            shown = copy.remote in listing.shown
            wrong = shown if copy.retracted else not shown
            account = self.directory.account(copy.account)
            site = self.directory.site(account.site)
            title = titles.get(copy.article_id, copy.article_id)
            label = f"{CHANNEL_LABELS.get(copy.channel, copy.channel)}「{account.name}」"
            what = "已撤稿仍在平台上" if copy.retracted else "已发布但平台上没有"
            evidence = Evidence(
                kind="platform",
                summary=f"{label}已发布列表{'含' if shown else '不含'} {copy.remote}",
                detail=f"《{title}》 {copy.url}".strip(), vantage=self.vantage, seen_at=now)  # fmt: skip
            finding = Finding(Problem.NOT_VISIBLE, f"{copy.channel}:{copy.account}/{copy.remote}",
                              site.code, site.name, f"{label}《{title}》{what}",
                              now + timedelta(hours=4)) if wrong else None  # fmt: skip
            seen, settled = observe_copy(self.orders, copy.delivery_id, copy.retracted, shown,
                                         finding, evidence, now)  # fmt: skip
            if settled:
                self._settled.add((copy.delivery_id, copy.retracted))
            if seen.outcome == "opened":
                opened.append(str(seen.order_id))
        return opened
