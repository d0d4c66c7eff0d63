"""The one small contract every channel adapter fits: what it can do, its limits, and how its
errors are classified. The delivery engine (hub/delivery/engine.py) speaks only this."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from workflows.content import ArticleContent
from workflows.delivery_events import DeliveryAction, ErrorKind
from workflows.publication import Channel, Target

ApiClient = TypeVar("ApiClient")


class Capability(StrEnum):
    PUBLISH = "publish"
    UPDATE = "update"  # replace in place (else: retract + publish)
    RETRACT = "retract"
    STATUS = "status"  # can tell whether a delivery arrived (needed after unknown outcomes)


EVERY_CAPABILITY = frozenset(Capability)  # channels the hub runs itself can do all of it


@dataclass(frozen=True)
class ChannelLimits:
    """Checked before sending; a violation is a permanent error with its reason."""

    max_title_chars: int | None = None
    max_body_bytes: int | None = None
    max_images: int | None = None


class MediaFiles(Protocol):
    """The hub's stored images and attachments (hub/content/media.py), as channels read them: the
    file of a `/media/<key>` link, to copy to the channel or upload to it."""

    def find(self, key: str) -> tuple[Path, Any] | None: ...


_MEDIA_KEY = re.compile(r"^/media/([0-9a-f]{64}\.[a-z]{3,4})")
_FIRST_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc="(/media/[^"]+)\"""")


def account_client(
    clients: Mapping[str, ApiClient], problems: Mapping[str, str], item: DeliveryItem, what: str
) -> ApiClient:
    """The API client of the item's account; an account that cannot publish (credentials
    missing) needs an administrator (REAUTH, with why), an unknown one is permanent."""
    client = clients.get(item.target.account)
    if client is not None:
        return client
    problem = problems.get(item.target.account)
    if problem:
        raise ChannelError(ErrorKind.REAUTH, problem)
    raise ChannelError(ErrorKind.PERMANENT, f"未配置{what} {item.target.account}")


def first_image(body_html: str) -> str | None:
    """The `/media/…` link of the body's first image of the hub's own (a cover, a picture)."""
    found = _FIRST_IMAGE.search(body_html)
    return found.group(1) if found else None


def media_file(media: MediaFiles | None, src: str) -> tuple[Path, str] | None:
    """The stored file behind a `/media/<key>` link and its media type (None: not the hub's)."""
    match = _MEDIA_KEY.match(src)
    found = media.find(match.group(1)) if match and media is not None else None
    if found is None:
        return None
    path, stored = found
    return path, str(stored.media_type)


@dataclass(frozen=True)
class DeliveryItem:
    """Everything an adapter needs for one delivery: the revision's content and where it goes."""

    delivery_id: str  # the idempotency key: the same on every attempt
    article_id: str
    revision: int
    content_hash: str
    target: Target
    action: DeliveryAction
    content: ArticleContent
    published_at: datetime
    remote_id: str = ""  # what the channel returned when it last received this delivery
    article_site: str = ""  # the site key and (first) column id the article was written for
    article_column: str = ""
    notify: bool = False  # the editor asked for a push notification
    mass_send: bool = False  # the editor asked WeChat accounts to mass-send it (群发)
    expire_at: datetime | None = None  # the publication's expiry, if any
    context: dict[str, Any] = field(default_factory=dict)  # site, column, account facts
    # A channel that publishes in several calls: what earlier steps made on the platform
    # (recorded, so a resumed attempt continues), and `record(step, value)`, which records
    # one durably before the adapter takes the next step (it raises if the attempt was lost).
    steps: Mapping[str, str] = field(default_factory=dict)
    record: Callable[[str, str], None] | None = None
    # A correction (action UPDATE): what the target's previous delivery left on the channel,
    # `remote_id` and its steps — for channels that replace by deleting and publishing anew.
    replaces: Mapping[str, str] = field(default_factory=dict)

    def step(self, name: str, make: Callable[[], object]) -> str:
        """What step `name` made: its recorded value, or `make()`'s, recorded durably before
        the adapter takes its next step (so a resumed attempt never takes it again)."""
        done = self.steps.get(name)
        if done:
            return done
        value = str(make())
        if self.record is not None:
            self.record(name, value)
        return value


@dataclass(frozen=True)
class Receipt:
    """The channel's record of a delivery."""

    remote_id: str = ""
    url: str = ""


class ChannelError(Exception):
    """A failed channel call, classified for the state machine."""

    def __init__(self, kind: ErrorKind, reason: str, retry_after: float | None = None, *,
                 platform_code: int | None = None) -> None:  # fmt: skip
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after  # seconds, when the channel said how long to wait
        # The platform's own error code (WeChat errcode, Weibo error_code, JPush error.code),
        # for code that decides by it; None when the failure was not the platform's answer.
        self.platform_code = platform_code


class ChannelAdapter(Protocol):
    """A channel: send (publish or update), ask, retract. Every call is idempotent on
    `item.delivery_id`; network timeouts raise `ChannelError(UNKNOWN_OUTCOME)`."""

    channel: Channel
    capabilities: frozenset[Capability]
    limits: ChannelLimits

    def send(self, item: DeliveryItem) -> Receipt:
        """Publish the item, or replace what the target shows (action UPDATE)."""
        ...

    def status(self, item: DeliveryItem) -> Receipt | None:
        """The receipt if the channel has this delivery, else None."""
        ...

    def retract(self, item: DeliveryItem) -> None:
        """Take the item off the target (nothing to do when it is not there)."""
        ...


def limit_problems(limits: ChannelLimits, item: DeliveryItem) -> list[str]:
    """Why the item does not fit the channel (empty when it fits)."""
    problems = []
    title = item.content.title
    if limits.max_title_chars is not None and len(title) > limits.max_title_chars:
        problems.append(f"标题 {len(title)} 字，超过渠道上限 {limits.max_title_chars} 字")
    body = item.content.body_html.encode("utf-8")
    if limits.max_body_bytes is not None and len(body) > limits.max_body_bytes:
        problems.append(f"正文 {len(body)} 字节，超过渠道上限 {limits.max_body_bytes} 字节")
    images = item.content.body_html.lower().count("<img")
    if limits.max_images is not None and images > limits.max_images:
        problems.append(f"正文含 {images} 张图片，超过渠道上限 {limits.max_images} 张")
    return problems
