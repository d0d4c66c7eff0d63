"""WeChat official accounts as a delivery channel: an approved article becomes a published
article (发布) of each account in the plan, or a mass send (群发) to its followers when the
publication asks for one (`mass_send`).

A send is four platform calls, recorded one by one (`item.record`) so that a resumed attempt
continues where the last one stopped and never submits twice (`freepublish/submit` has no
idempotency key): the cover (`thumb`), the draft (`draft`), the publish task (`publish`), and
once WeChat has finished, the article (`article`). Publishing is asynchronous: while WeChat is
still at it, the attempt ends as retryable with a short wait and the next one only asks again
(or at once, when WeChat's PUBLISHJOBFINISH push reports it done: hub/web/channel_callbacks.py).

A mass send takes the draft to `message/mass/sendall` instead (step `mass`, its msg_id) with
the delivery id as `clientmsgid`: WeChat keeps one send per id for 24 h and answers a repeat
with the first send's msg_id, so a send whose answer was lost is simply sent again. Only a
first publication is mass-sent; a correction deletes the mass send and publishes (发布) the
corrected article without pushing it to the followers a second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

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
from channels.wechat.api import ARTICLE_GONE, INVALID_MEDIA_ID, WeChatApi
from channels.wechat.render import thumb_jpeg, wechat_body, wechat_title
from workflows.beijing_time import BEIJING
from workflows.delivery_events import DeliveryAction, ErrorKind
from workflows.publication import Channel

POLL_AFTER_S = 5.0
FIRST_POLLS_S = (0.3, 0.6)  # inline waits before the attempt ends as "still publishing"
QUOTA_ASK_EVERY_S = 300.0
UNANSWERED_GRACE_S = 600.0  # how long a lost submit is looked for before a person is asked
# publish_status (research/channel-protocols.md 1.5) -> why it did not become an article
_MASS_FAILED = {"SEND_FAIL": "微信群发失败", "DELETE": "群发消息已被删除"}
_FAILED = {
    2: "原创声明未通过",
    3: "微信发布失败（平台未说明原因）",
    4: "平台审核不通过",
    5: "文章已被公众号删除",
    6: "文章已被平台封禁",
}


class WeChatAdapter:
    channel = Channel.WECHAT
    # No update in place: a correction is a deletion and a new publication.
    capabilities = frozenset({Capability.PUBLISH, Capability.RETRACT, Capability.STATUS})
    limits = ChannelLimits(max_title_chars=32, max_body_bytes=1_000_000)

    def __init__(
        self,
        accounts: Mapping[str, WeChatApi],
        media: MediaFiles | None = None,
        link: Callable[[DeliveryItem], str] | None = None,
        problems: Mapping[str, str] | None = None,
    ) -> None:
        self.accounts = accounts
        self.media = media
        self.link = link  # the article on its own site (阅读原文)
        self.problems = problems or {}  # accounts that cannot publish, and why
        self._quotas: dict[str, tuple[float, dict[str, int] | None]] = {}

    def _api(self, item: DeliveryItem) -> WeChatApi:
        return account_client(self.accounts, self.problems, item, "微信公众号")

    def _step(self, item: DeliveryItem, step: str, make: Any) -> str:
        """One platform step, taken once (the tests kill workers here)."""
        return item.step(step, make)

    def _file(self, src: str) -> tuple[bytes, str] | None:
        found = media_file(self.media, src)
        return (found[0].read_bytes(), found[1]) if found else None

    def send(self, item: DeliveryItem) -> Receipt:
        api = self._api(item)
        content = item.content
        title = wechat_title(content.title)

        def cover() -> str:
            first = first_image(content.body_html)
            image = self._file(first) if first else None
            return api.add_thumb(thumb_jpeg(image[0] if image else None))

        def rehost(src: str) -> str:
            image = self._file(src)
            if image is None:
                return src  # not the hub's: WeChat drops it, as it drops any outside image
            data, kind = image
            return api.upload_image(data, src.rsplit("/", 1)[-1], kind)

        def draft() -> str:
            article = {"title": title, "author": content.metadata.source[:16],
                       "digest": content.metadata.summary[:128],
                       "content": wechat_body(content.body_html, rehost),
                       "content_source_url": self._source_url(item)[:1000],
                       "thumb_media_id": thumb, "need_open_comment": 0,
                       "only_fans_can_comment": 0}  # fmt: skip
            return api.add_draft([article])

        self._replace(item, api)
        thumb = self._step(item, "thumb", cover)
        draft_id = self._step(item, "draft", draft)
        if _mass(item):
            msg_id = self._step(item, "mass", lambda: api.mass_send(draft_id, item.delivery_id))
            outcome = partial(self._mass_outcome, item, api, msg_id, True)
        else:
            publish_id = self._step(item, "publish", lambda: api.submit(draft_id))
            outcome = partial(self._outcome, item, api, publish_id, True)
        for wait in FIRST_POLLS_S:  # most publishing is done in moments: ask again soon
            try:
                return outcome()
            except ChannelError as exc:
                if exc.retry_after != POLL_AFTER_S:
                    raise
            time.sleep(wait)
        return outcome()

    def _source_url(self, item: DeliveryItem) -> str:
        return self.link(item) if self.link else str(item.context.get("url", ""))

    def _replace(self, item: DeliveryItem, api: WeChatApi) -> None:
        """A correction: WeChat cannot edit a published article, so the previous one is
        deleted (the platform confirms it) before the corrected one is published."""
        mass = item.replaces.get("mass")
        previous = item.replaces.get("article") or mass
        if item.action is not DeliveryAction.UPDATE or not previous or item.steps.get("replaced"):
            return
        try:
            api.mass_delete(mass) if mass else api.delete(previous, 0)
        except ChannelError as exc:
            # 53600 / 40007: no such article or mass send any more (deleted on the platform)
            if exc.platform_code not in (ARTICLE_GONE, INVALID_MEDIA_ID):
                raise
        self._step(item, "replaced", lambda: previous)

    def _outcome(
        self, item: DeliveryItem, api: WeChatApi, publish_id: str, waiting_is_an_error: bool
    ) -> Receipt:
        status = api.publish_status(publish_id)
        code = status.get("publish_status")
        if code == 0:
            article_id = str(status.get("article_id", ""))
            self._step(item, "article", lambda: article_id)
            items = status.get("article_detail", {}).get("item", [])
            url = str(items[0].get("article_url", "")) if items else ""
            return Receipt(remote_id=f"{publish_id}/{article_id}", url=url)
        if code == 1:
            if waiting_is_an_error:
                raise ChannelError(ErrorKind.RETRYABLE, "微信发布中", retry_after=POLL_AFTER_S)
            raise ChannelError(ErrorKind.UNKNOWN_OUTCOME, "微信发布中")
        reason = _FAILED.get(int(code or 3), f"微信发布状态 {code}")
        raise ChannelError(ErrorKind.PERMANENT, reason)

    def _mass_outcome(
        self, item: DeliveryItem, api: WeChatApi, msg_id: str, waiting_is_an_error: bool
    ) -> Receipt:
        state = api.mass_status(msg_id)
        if state == "SEND_SUCCESS":
            # WeChat gives a mass send's links only in its MASSSENDJOBFINISH push; the
            # callback fills the delivery's URL when it comes.
            return Receipt(remote_id=f"mass/{msg_id}")
        if state == "SENDING":
            kind = ErrorKind.RETRYABLE if waiting_is_an_error else ErrorKind.UNKNOWN_OUTCOME
            raise ChannelError(kind, "微信群发中", retry_after=POLL_AFTER_S)
        raise ChannelError(ErrorKind.PERMANENT, _MASS_FAILED.get(state, f"微信群发状态 {state}"))

    def status(self, item: DeliveryItem) -> Receipt | None:
        """After a worker died or a call's answer was lost: what WeChat made of the recorded
        publish task; with none recorded, whether the draft was submitted all the same."""
        publish_id = item.steps.get("publish")
        api = self._api(item)
        if publish_id:
            return self._outcome(item, api, publish_id, waiting_is_an_error=False)
        if item.steps.get("mass"):
            return self._mass_outcome(item, api, item.steps["mass"], waiting_is_an_error=False)
        draft = item.steps.get("draft")
        if not draft or _mass(item) or api.draft_exists(draft):
            # Not submitted, or a mass send whose answer was lost: sent again with the same
            # clientmsgid, WeChat answers with the first send rather than sending twice.
            return None
        # Submitted, but its answer (the publish_id) never came back. Submitting again could
        # publish twice: the account's published articles are searched for this one instead.
        found = self._published_as(item, api)
        if found is not None:
            return found
        noticed = self._step(item, "submit_unanswered", lambda: str(int(time.time())))
        if time.time() - float(noticed) < UNANSWERED_GRACE_S:
            raise ChannelError(
                ErrorKind.RETRYABLE, "已提交发布但未收到微信应答：等待文章出现在已发表列表"
            )
        raise ChannelError(
            ErrorKind.PERMANENT,
            "已提交发布但未收到微信应答（草稿已被取走），已发表列表中也未出现；"
            "为免重复发布不再自动重试：请在公众号后台核对",
        )

    def _published_as(self, item: DeliveryItem, api: WeChatApi) -> Receipt | None:
        """This delivery's article among the account's latest published ones (same title and
        阅读原文 link, not deleted), recorded as if the publish task had answered."""
        title, source = item.content.title, self._source_url(item)
        for entry in api.published(content=True):
            for news in entry.get("content", {}).get("news_item", [])[:1]:
                if news.get("is_deleted") or news.get("title") != title:
                    continue
                if source and news.get("content_source_url") != source:
                    continue
                article_id = str(entry.get("article_id", ""))
                self._step(item, "article", lambda: article_id)  # noqa: B023
                return Receipt(remote_id=f"?/{article_id}", url=str(news.get("url", "")))
        return None

    def retract(self, item: DeliveryItem) -> None:
        article_id, mass = item.steps.get("article"), item.steps.get("mass")
        if mass:
            self._api(item).mass_delete(mass)
        elif article_id:
            self._api(item).delete(article_id, 0)
        # else: never became an article, nothing to take down

    def health(self, account_id: str) -> dict[str, object]:
        api = self.accounts.get(account_id)
        if api is None:
            problem = self.problems.get(account_id)
            return {"token": problem} if problem else {}
        cached = api.tokens.get(api.appid)
        if cached is None:
            return {"token": "尚未获取"}
        if cached.expires_at <= api.clock():
            return {"token": "已过期，下次调用时更新"}
        report: dict[str, object] = {"token": "有效",
                                     "token_expires_at": _clock_text(cached.expires_at)}  # fmt: skip
        quota = self._quota(account_id, api)
        if quota:
            report["quota_remaining"] = f"{quota['remain']}/{quota['daily_limit']}"
        return report

    def _quota(self, account_id: str, api: WeChatApi) -> dict[str, int] | None:
        """Today's publishing quota, asked of WeChat at most every few minutes (a health page
        must not spend the account's calls); None when WeChat did not say."""
        now = api.clock()
        asked = self._quotas.get(account_id)
        if asked is None or now - asked[0] > QUOTA_ASK_EVERY_S:
            try:
                asked = (now, api.quota("freepublish/submit"))
            except ChannelError:
                asked = (now, None)
            self._quotas[account_id] = asked
        return asked[1]


def _mass(item: DeliveryItem) -> bool:
    """Whether this delivery is a mass send: asked for, and the article's first publication
    (or one whose mass send was already begun)."""
    return bool(item.steps.get("mass")) or (
        item.mass_send and item.action is DeliveryAction.PUBLISH
    )


def _clock_text(epoch: float) -> str:
    """An expiry time for the operators, in Beijing time."""
    return datetime.fromtimestamp(epoch, BEIJING).strftime("%H:%M")
