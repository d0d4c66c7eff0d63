"""Where an approved article goes (targets) and what is live or scheduled (publications)."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property, lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

# Defined with the other fixed words (light to import); part of this module's names too.
from workflows.vocabulary import CHANNEL_LABELS as CHANNEL_LABELS
from workflows.vocabulary import Channel as Channel

_Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class Target(BaseModel):
    """One place an article is delivered to: a column of a site, or a channel account."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel
    account: _Name  # the site code for websites, the account id otherwise
    column: _Name | None = None  # websites only

    @model_validator(mode="after")
    def _column_for_websites_only(self) -> Target:
        if (self.channel is Channel.WEBSITE) != (self.column is not None):
            raise ValueError("网站目标须指定栏目，其他渠道目标不能指定栏目")
        return self

    @cached_property
    def key(self) -> str:
        """A stable text form: `website:9900000001/notices`, `app:sf-app`."""
        suffix = f"/{self.column}" if self.column else ""
        return f"{self.channel}:{self.account}{suffix}"

    @classmethod
    def parse(cls, key: str) -> Target:
        """The target written as `channel:account[/column]`."""
        return _parse_target(key)


@lru_cache(maxsize=65_536)
def _parse_target(key: str) -> Target:
    """Targets are frozen, so one parsed instance per key serves every reader (the ledger
    holds a row per target per publication)."""
    channel, _, rest = key.partition(":")
    account, _, column = rest.partition("/")
    return Target(channel=channel, account=account, column=column or None)


class Publication(BaseModel):
    """A revision going (scheduled) or gone (live) to a set of targets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    publication_id: str
    revision: int
    content_hash: str
    targets: tuple[Target, ...]
    publish_at: datetime
    expire_at: datetime | None = None
    notify: bool = False  # push a notification where the channel can (apps)
    mass_send: bool = False  # WeChat official accounts mass-send it (群发) to their followers

    def as_json(self) -> dict[str, Any]:
        """JSON-ready data, targets in their text form."""
        return {
            "publication_id": self.publication_id,
            "revision": self.revision,
            "content_hash": self.content_hash,
            "targets": [t.key for t in self.targets],
            "publish_at": self.publish_at.isoformat(),
            "expire_at": self.expire_at.isoformat() if self.expire_at else None,
            "notify": self.notify,
            "mass_send": self.mass_send,
        }


def merge_targets(*groups: tuple[Target, ...]) -> tuple[Target, ...]:
    """The targets of all groups, each once, in first-seen order."""
    seen: dict[str, Target] = {}
    for group in groups:
        for target in group:
            seen.setdefault(target.key, target)
    return tuple(seen.values())
