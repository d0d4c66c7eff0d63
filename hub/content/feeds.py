"""RSS 2.0 and Atom feeds of other government sites, read into entries (网上抓取): title,
link, stable id, publication time, source, and the body as HTML. Parsed with defusedxml (no
DTDs, entities or external references); what a feed lacks is left empty, never invented."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from workflows.errors import DomainError

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class FeedEntry:
    guid: str  # the entry's stable id (its guid/id, else its link)
    title: str
    link: str
    body_html: str
    published: datetime | None
    source: str  # the feed's own title (its site)


def _text(node: Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _when(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)  # RSS: RFC 822
    except (TypeError, ValueError):
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))  # Atom: RFC 3339
    except ValueError:
        return None


def parse_feed(data: bytes) -> list[FeedEntry]:
    """The entries of an RSS 2.0 or Atom document; FEED_INVALID for anything else."""
    try:
        root = SafeET.fromstring(data)
    except Exception as exc:  # defusedxml's refusals and ParseError alike
        raise DomainError("FEED_INVALID", f"不是有效的 RSS/Atom 文档: {exc}") from None
    entries: list[FeedEntry] = []
    if root.tag == "rss":
        channel = root.find("channel")
        source = _plain(_text(channel.find("title"))) if channel is not None else ""
        for item in root.iter("item"):
            link = _text(item.find("link"))
            body = _text(item.find(_CONTENT)) or _text(item.find("description"))
            entries.append(FeedEntry(_text(item.find("guid")) or link,
                                     _plain(_text(item.find("title"))), link, body,
                                     _when(_text(item.find("pubDate"))), source))  # fmt: skip
    elif root.tag == f"{_ATOM}feed":
        source = _plain(_text(root.find(f"{_ATOM}title")))
        for entry in root.iter(f"{_ATOM}entry"):
            link_node = entry.find(f"{_ATOM}link[@rel='alternate']")
            if link_node is None:
                link_node = entry.find(f"{_ATOM}link")
            link = link_node.get("href", "") if link_node is not None else ""
            body = _text(entry.find(f"{_ATOM}content")) or _text(entry.find(f"{_ATOM}summary"))
            when = _text(entry.find(f"{_ATOM}published")) or _text(entry.find(f"{_ATOM}updated"))
            entries.append(FeedEntry(_text(entry.find(f"{_ATOM}id")) or link,
                                     _plain(_text(entry.find(f"{_ATOM}title"))), link, body,
                                     _when(when), source))  # fmt: skip
    else:
        raise DomainError("FEED_INVALID", f"不是 RSS 2.0 或 Atom 文档（根元素 {root.tag}）")
    return [e for e in entries if e.guid and e.title]
