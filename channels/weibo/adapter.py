"""Sina Weibo as a delivery channel: an approved article becomes a post of each Weibo account
in the plan — 【title】 summary and the link to the article on its own site (the app's safe
domain), with the article's first image as the picture.

`statuses/share` has no idempotency key. Before the call the attempt is recorded (step
`share`), so an attempt that follows a crash or a lost answer first looks for the post on the
account's own timeline; and Weibo itself refuses the same text twice (20019/20017/20111),
which is taken as "probably posted" and reconciled the same way, never posted again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from channels.contract import (
    Capability,
    ChannelError,
    ChannelLimits,
    DeliveryItem,
    MediaFiles,
    Receipt,
    account_client,
    first_image,
    media_file,
)
from channels.weibo.api import STATUS_GONE, Duplicate, Slow, WeiboApi
from channels.weibo.text import post_text, same_post
from workflows.delivery_events import DeliveryAction, ErrorKind
from workflows.publication import Channel

PIC_TYPES = {"image/jpeg", "image/png", "image/gif"}
PIC_MAX = 5 * 1024 * 1024
TIMELINE_DEPTH = 50
UNSEEN_POLL_S = 30.0
UNSEEN_GRACE_S = 600.0  # how long a post Weibo says it has is looked for before a person is asked


class WeiboAdapter:
    channel = Channel.WEIBO
    # No edit on Weibo: a correction is a deletion and a new post.
    capabilities = frozenset({Capability.PUBLISH, Capability.RETRACT, Capability.STATUS})
    limits = ChannelLimits(max_images=None)

    def __init__(
        self,
        accounts: Mapping[str, WeiboApi],
        link: Callable[[DeliveryItem], str],
        media: MediaFiles | None = None,
        problems: Mapping[str, str] | None = None,
    ) -> None:
        self.accounts = accounts
        self.link = link
        self.media = media
        self.problems = problems or {}

    def _api(self, item: DeliveryItem) -> WeiboApi:
        return account_client(self.accounts, self.problems, item, "微博账号")

    def text(self, item: DeliveryItem) -> str:
        return post_text(item.content, self.link(item))

    def _picture(self, item: DeliveryItem) -> tuple[str, bytes, str] | None:
        first = first_image(item.content.body_html)
        found = media_file(self.media, first) if first else None
        if found is None:
            return None
        path, kind = found
        if kind not in PIC_TYPES or path.stat().st_size >= PIC_MAX:
            return None
        return path.name, path.read_bytes(), kind

    def send(self, item: DeliveryItem) -> Receipt:
        api = self._api(item)
        text = self.text(item)
        self._replace(item, api)
        if item.steps.get("share"):
            found = self._find(api, text)
            if found is not None:
                return found  # an earlier attempt posted it
            if item.steps.get("unseen"):
                self._still_unseen(item)  # Weibo has it: wait for it, never post it again
        if item.record is not None:
            item.record("share", _now_text())
        try:
            status = api.share(text, self._picture(item))
        except (Duplicate, Slow) as exc:
            # Slow: taken, shown in a minute or two. Duplicate: Weibo already has this text,
            # probably from an attempt whose answer was lost. Either way: posted; find it.
            found = self._find(api, text)
            if found is not None:
                return found
            unseen = f"{_now_text()} {exc.reason}"
            item.step("unseen", lambda: unseen)
            raise ChannelError(ErrorKind.RETRYABLE, f"{exc.reason}（微博已有这条，等待出现在时间线）",
                               retry_after=UNSEEN_POLL_S) from None  # fmt: skip
        return self._receipt(api, status)

    def _replace(self, item: DeliveryItem, api: WeiboApi) -> None:
        """A correction: Weibo cannot edit a post, so the previous one is deleted before the
        corrected one is posted (and a correction is not posted beside an undeletable one)."""
        previous = item.replaces.get("remote_id")
        if item.action is not DeliveryAction.UPDATE or not previous or item.steps.get("replaced"):
            return
        self._destroy(api, previous, "更正未发布")
        item.step("replaced", lambda: previous)

    def _destroy(self, api: WeiboApi, status_id: str, consequence: str) -> None:
        try:
            api.destroy(status_id)
        except ChannelError as exc:
            if exc.platform_code == STATUS_GONE:
                return  # already gone
            if exc.kind is ErrorKind.PERMANENT:
                raise ChannelError(
                    ErrorKind.PERMANENT,
                    f"{exc.reason}：微博未允许删除这条微博（{status_id}），{consequence}；"
                    "请在微博后台手动删除",
                ) from None
            raise

    def _still_unseen(self, item: DeliveryItem) -> None:
        since, _, reason = item.steps["unseen"].partition(" ")
        waited = (datetime.now(UTC) - datetime.fromisoformat(since)).total_seconds()
        if waited < UNSEEN_GRACE_S:
            raise ChannelError(ErrorKind.RETRYABLE, f"{reason}（微博已有这条，等待出现在时间线）",
                               retry_after=UNSEEN_POLL_S)  # fmt: skip
        raise ChannelError(
            ErrorKind.PERMANENT,
            f"{reason}：微博表示已有这条，但 {int(waited // 60)} 分钟后账号时间线上仍没有；"
            "为免重复发布不再自动重试，请在微博后台核对",
        )

    def _receipt(self, api: WeiboApi, status: Mapping[str, object]) -> Receipt:
        idstr = str(status.get("idstr") or status.get("id") or "")
        return Receipt(remote_id=idstr, url=api.url_of(idstr))

    def _find(self, api: WeiboApi, text: str) -> Receipt | None:
        """The account's post of this text, if its timeline has it."""
        for status in api.timeline(TIMELINE_DEPTH):
            if same_post(str(status.get("text", "")), text):
                return self._receipt(api, status)
        return None

    def status(self, item: DeliveryItem) -> Receipt | None:
        """After a worker died or an answer was lost: the post, if the timeline shows it."""
        if not item.steps.get("share") and not item.remote_id:
            return None  # never called the platform
        return self._find(self._api(item), self.text(item))

    def retract(self, item: DeliveryItem) -> None:
        api = self._api(item)
        status_id = item.remote_id
        if not status_id:
            found = self.status(item)
            if found is None:
                return  # never posted: nothing to take down
            status_id = found.remote_id
        self._destroy(api, status_id, "撤稿未完成")

    def health(self, account_id: str) -> dict[str, object]:
        api = self.accounts.get(account_id)
        if api is None:
            problem = self.problems.get(account_id)
            return {"token": problem} if problem else {}
        cached = api.tokens.get(api.token_key)
        if cached is None:
            return {"token": "未授权"}
        left = cached.expires_at - api.clock()
        if left <= 0:
            return {"token": "授权已过期"}
        return {"token": "有效", "token_expires_in": f"{left / 86_400:.1f} 天"}


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
