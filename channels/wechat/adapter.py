"""WeChat official accounts as a delivery channel: an approved article becomes a published
article (发布, not a mass send) of each account in the plan.

A send is four platform calls, recorded one by one (`item.record`) so that a resumed attempt
continues where the last one stopped and never submits twice (`freepublish/submit` has no
idempotency key): the cover (`thumb`), the draft (`draft`), the publish task (`publish`), and
once WeChat has finished, the article (`article`). Publishing is asynchronous: while WeChat is
still at it, the attempt ends as retryable with a short wait and the next one only asks again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from channels.contract import (
    Capability,
    ChannelError,
    ChannelLimits,
    DeliveryItem,
    MediaFiles,
    Receipt,
)
from channels.wechat.api import WeChatApi
from channels.wechat.render import thumb_jpeg, wechat_body, wechat_title
from workflows.delivery_events import ErrorKind
from workflows.publication import Channel

_MEDIA_KEY = re.compile(r"^/media/([0-9a-f]{64}\.[a-z]{3,4})")
_FIRST_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc="(/media/[^"]+)\"""")
POLL_AFTER_S = 5.0
BEIJING_TZ = timezone(timedelta(hours=8))
# publish_status (research/channel-protocols.md 1.5) -> why it did not become an article
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

    def __init__(self, accounts: Mapping[str, WeChatApi], media: MediaFiles | None = None) -> None:
        self.accounts = accounts
        self.media = media

    def _api(self, item: DeliveryItem) -> WeChatApi:
        api = self.accounts.get(item.target.account)
        if api is None:
            raise ChannelError(ErrorKind.PERMANENT, f"未配置微信公众号 {item.target.account}")
        return api

    def _step(self, item: DeliveryItem, step: str, make: Any) -> str:
        done = item.steps.get(step)
        if done:
            return done
        value = str(make())
        if item.record is not None:
            item.record(step, value)  # durable before the next platform call
        return value

    def _file(self, src: str) -> tuple[bytes, str] | None:
        match = _MEDIA_KEY.match(src)
        found = self.media.find(match.group(1)) if match and self.media else None
        if found is None:
            return None
        path, stored = found
        return path.read_bytes(), stored.media_type

    def send(self, item: DeliveryItem) -> Receipt:
        api = self._api(item)
        content = item.content
        title = wechat_title(content.title)

        def cover() -> str:
            first = _FIRST_IMAGE.search(content.body_html)
            image = self._file(first.group(1)) if first else None
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
                       "content_source_url": str(item.context.get("url", ""))[:1000],
                       "thumb_media_id": thumb, "need_open_comment": 0,
                       "only_fans_can_comment": 0}  # fmt: skip
            return api.add_draft([article])

        thumb = self._step(item, "thumb", cover)
        draft_id = self._step(item, "draft", draft)
        publish_id = self._step(item, "publish", lambda: api.submit(draft_id))
        return self._outcome(item, api, publish_id, waiting_is_an_error=True)

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

    def status(self, item: DeliveryItem) -> Receipt | None:
        """After a worker died or a call's answer was lost: what WeChat made of the recorded
        publish task; with none recorded, whether the draft was submitted all the same."""
        publish_id = item.steps.get("publish")
        api = self._api(item)
        if publish_id:
            return self._outcome(item, api, publish_id, waiting_is_an_error=False)
        draft = item.steps.get("draft")
        if not draft or api.draft_exists(draft):
            return None  # not submitted: the resent attempt submits the recorded draft
        # Submitted, but its answer (the publish_id) never came back: submitting again could
        # publish twice, so a person checks the account instead.
        raise ChannelError(
            ErrorKind.PERMANENT,
            "已提交发布但未收到微信应答（草稿已被取走），为免重复发布不再自动重试：请在公众号后台核对",
        )

    def retract(self, item: DeliveryItem) -> None:
        article_id = item.steps.get("article")
        if not article_id:
            return  # never became an article: nothing to take down
        self._api(item).delete(article_id, 0)

    def health(self, account_id: str) -> dict[str, object]:
        api = self.accounts.get(account_id)
        if api is None:
            return {}
        cached = api.tokens.get(api.appid)
        return {"token_expires_at": _clock_text(cached.expires_at)} if cached else {}


def _clock_text(epoch: float) -> str:
    """An expiry time for the operators, in Beijing time."""
    return datetime.fromtimestamp(epoch, BEIJING_TZ).strftime("%H:%M")
