"""The large-screen channel: a delivery puts a ScreenItem on the screen's playlist (a new
version, pushed to connected screens as an SSE `upsert`); a retraction takes it off."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC
from typing import Any

from channels.contract import EVERY_CAPABILITY, ChannelError, ChannelLimits, DeliveryItem, Receipt
from channels.screen.playlist import Playlists
from workflows.checks.html_parse import html_to_text
from workflows.delivery_events import ErrorKind
from workflows.publication import Channel
from workflows.vocabulary import Sensitivity

BODY_TEXT_CHARS = 600  # what a wall can show in one card
_IMG = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_PRIORITY = {Sensitivity.NORMAL: 5, Sensitivity.IMPORTANT: 3, Sensitivity.SENSITIVE: 2}


class ScreenAdapter:
    channel = Channel.SCREEN
    capabilities = EVERY_CAPABILITY
    limits = ChannelLimits(max_title_chars=80, max_images=20)

    def __init__(
        self,
        playlists: Playlists,
        screens: set[str],
        org_of: Callable[[str], str] = lambda site: site,
    ) -> None:
        self.playlists = playlists
        self.screens = screens
        self.org_of = org_of

    def _screen(self, item: DeliveryItem) -> str:
        if item.target.account not in self.screens:
            raise ChannelError(ErrorKind.PERMANENT, f"未配置大屏 {item.target.account}")
        return item.target.account

    def screen_item(self, item: DeliveryItem) -> dict[str, Any]:
        """The ScreenItem of research/channel-protocols.md 4.2."""
        content = item.content
        text = " ".join(html_to_text(content.body_html).text.split())
        cover = _IMG.search(content.body_html)
        valid_until = item.expire_at.astimezone(UTC).isoformat() if item.expire_at else None
        return {
            "id": item.article_id,
            "kind": "article",
            "title": content.title,
            "summary": content.metadata.summary,
            "body_text": text[:BODY_TEXT_CHARS],
            "cover_url": cover.group(1) if cover else "",
            "source_org": content.metadata.source or self.org_of(item.article_site),
            "published_at": item.published_at.astimezone(UTC).isoformat(),
            "priority": _PRIORITY.get(content.metadata.sensitivity, 5),
            "display": {
                "template": "headline" if len(content.title) <= 24 else "card",
                "duration_s": 15,
                "valid_from": item.published_at.astimezone(UTC).isoformat(),
                "valid_until": valid_until,
            },
        }

    def send(self, item: DeliveryItem) -> Receipt:
        screen = self._screen(item)
        version = self.playlists.upsert(screen, item.delivery_id, self.screen_item(item))
        return Receipt(remote_id=f"{screen}@{version}")

    def status(self, item: DeliveryItem) -> Receipt | None:
        on_air = self.playlists.delivery_on_air(self._screen(item), item.article_id)
        if on_air is None or on_air[0] != item.delivery_id:
            return None
        return Receipt(remote_id=f"{item.target.account}@{on_air[1]}")

    def retract(self, item: DeliveryItem) -> None:
        self.playlists.retract(self._screen(item), item.article_id)
