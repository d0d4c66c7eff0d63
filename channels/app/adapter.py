"""The mobile-app channel: the article goes into the app feed first, then (when the editor
asked) a JPush notification tells the phones, carrying only the id and a deep link.

A push is idempotent across crashes: its JPush `cid` is stored before the push is sent, so a
second attempt sends the same cid and JPush answers with the first result, reaching no phone
twice. Corrections update the feed (a new change) without a second notification; a
retraction leaves a tombstone in the feed (core JPush v3 cannot recall a notification).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from channels.app.feed import AppFeed, FeedItem
from channels.app.jpush import JPushClient, NoAudience
from channels.contract import EVERY_CAPABILITY, ChannelError, ChannelLimits, DeliveryItem, Receipt
from workflows.delivery_events import DeliveryAction, ErrorKind
from workflows.publication import Channel

TEMPLATES = Path(__file__).parent / "templates"
MAX_ALERT_CHARS = 60


@dataclass(frozen=True)
class AppAccount:
    """One app: its name, and where and as whom its pushes go."""

    id: str
    name: str
    jpush: JPushClient | None  # None: the app takes no pushes
    audience: Any = "all"
    push_problem: str = ""  # why pushes cannot be sent (missing credentials)


class AppAdapter:
    channel = Channel.APP
    capabilities = EVERY_CAPABILITY
    limits = ChannelLimits(max_title_chars=100, max_body_bytes=2_000_000)

    def __init__(
        self,
        feed: AppFeed,
        accounts: dict[str, AppAccount],
        column_names: Callable[[str, str], str] = lambda site, column: column,
    ) -> None:
        self.feed = feed
        self.accounts = accounts
        self.column_names = column_names
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            undefined=StrictUndefined,
            autoescape=False,
            auto_reload=False,
        )
        self._alert = lru_cache(maxsize=256)(self._render_alert)

    def health(self, account_id: str) -> dict[str, object]:
        """What the operators should know of an app's push account: why it cannot push, or
        its JPush API quota as last stated (calls left in the window, seconds to its reset)."""
        account = self.accounts.get(account_id)
        if account is None:
            return {}
        if account.jpush is None:
            return {"push": account.push_problem or "不推送"}
        quota = account.jpush.quota
        if not quota:
            return {"push": "可推送"}
        return {"push": "可推送", "quota_remaining": f"{quota['remaining']}/{quota['limit']}",
                "quota_reset_s": quota["reset"]}  # fmt: skip

    def _account(self, item: DeliveryItem) -> AppAccount:
        account = self.accounts.get(item.target.account)
        if account is None:
            raise ChannelError(ErrorKind.PERMANENT, f"未配置客户端账号 {item.target.account}")
        return account

    def send(self, item: DeliveryItem) -> Receipt:
        account = self._account(item)
        if item.notify and account.push_problem:
            raise ChannelError(ErrorKind.REAUTH, account.push_problem)
        if not self._wants_push(item, account):
            stored, _ = self.feed.upsert(self.feed_item(item))
            return Receipt(remote_id=f"feed:{stored.seq}", url=_deeplink(item))
        assert account.jpush is not None
        # The cid is kept with the feed item, before the push: a second attempt sends the
        # same (first kept) cid, and JPush answers it with the first result, reaching no
        # phone twice. The fresh cid a second attempt took is simply not used.
        stored, cid = self.feed.upsert(self.feed_item(item), cid=account.jpush.new_cid())
        try:
            msg = f"msg:{account.jpush.push(self.payload(item, account, cid))}"
        except NoAudience:
            msg = "msg:none (no device matched the audience)"
        return Receipt(remote_id=f"feed:{stored.seq} {msg}", url=_deeplink(item))

    def status(self, item: DeliveryItem) -> Receipt | None:
        """Found only when nothing more is to be sent: a notified delivery is always sent
        again after a doubt (with its kept cid, so JPush repeats the first answer)."""
        account = self._account(item)
        shown = self.feed.get(account.id, item.article_id)
        if shown is None or shown.delivery_id != item.delivery_id or shown.status != "published":
            return None
        if self._wants_push(item, account):
            return None
        return Receipt(f"feed:{shown.seq}", _deeplink(item))

    def retract(self, item: DeliveryItem) -> None:
        account = self._account(item)
        self.feed.tombstone(account.id, item.article_id, _now_iso())

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _wants_push(item: DeliveryItem, account: AppAccount) -> bool:
        return item.notify and item.action is DeliveryAction.PUBLISH and account.jpush is not None

    def feed_item(
        self, item: DeliveryItem, updated_at: str | None = None, status: str = "published"
    ) -> FeedItem:
        """The feed's entry for a delivery (updated now unless told when)."""
        content = item.content
        return FeedItem(
            app=item.target.account,
            article_id=item.article_id,
            seq=0,
            revision=item.revision,
            delivery_id=item.delivery_id,
            column_id=item.article_column,
            title=content.title,
            summary=content.metadata.summary,
            body_html=content.body_html,
            source=content.metadata.source,
            url=_deeplink(item),
            published_at=item.published_at.isoformat(),
            updated_at=updated_at or _now_iso(),
            status=status,
        )

    def payload(self, item: DeliveryItem, account: AppAccount, cid: str) -> dict[str, Any]:
        """The JPush v3 body: a short alert plus extras naming the article and its version."""
        # Every app of a fan-out gets the same alert: render it once.
        alert = self._alert(item.content.title, item.article_site, item.article_column)
        extras = {"type": "article", "article_id": item.article_id, "version": item.revision,
                  "deeplink": _deeplink(item)}  # fmt: skip
        return {
            "platform": "all",
            "audience": account.audience,
            "notification": {
                "alert": alert,
                "android": {"alert": alert, "title": account.name, "extras": extras},
                "ios": {"alert": alert, "sound": "default", "badge": "+1", "extras": extras},
            },
            "options": {
                "sendno": int(item.delivery_id[:7], 16),
                "time_to_live": 86_400,
                "apns_production": False,
            },
            "cid": cid,
        }

    def _render_alert(self, title: str, site: str, column: str) -> str:
        return (
            self.env.get_template("alert.txt")
            .render(title=title, column=self.column_names(site, column), limit=MAX_ALERT_CHARS)
            .strip()
        )


def _deeplink(item: DeliveryItem) -> str:
    return f"app://article/{item.article_id}"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
