"""The text of a Weibo post: 【title】 the summary, shortened to fit, and the article's link.

Weibo counts 140 "characters", a Chinese character as one and two Latin characters as one
(research/channel-protocols.md 10: how links count is not documented, so a link here counts
as its full length — a post that fits this count fits Weibo's). The title is never shortened:
a title too long for a post is the operator's to shorten, a permanent error with the reason.
`#` would open a topic (`#话题#`, refused by `statuses/share`) and becomes a full-width `＃`.
"""

from __future__ import annotations

import math
import re

from channels.contract import ChannelError
from workflows.checks.html_parse import html_to_text
from workflows.content import ArticleContent
from workflows.delivery_events import ErrorKind

MAX_UNITS = 140
_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


def units(text: str) -> int:
    """Weibo's length of `text`."""
    wide = sum(1 for ch in text if ord(ch) > 0x7F)
    return wide + math.ceil((len(text) - wide) / 2)


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text.replace("#", "＃")).strip()


def post_text(content: ArticleContent, link: str) -> str:
    title = _clean(content.title)
    head = f"【{title}】"
    tail = f" {link}"
    room = MAX_UNITS - units(head) - units(tail)
    if room < 0:
        raise ChannelError(
            ErrorKind.PERMANENT,
            f"标题与链接共 {units(head) + units(tail)} 字，超过微博 {MAX_UNITS} 字：请缩短标题后重新发布",
        )
    summary = _clean(content.metadata.summary or html_to_text(content.body_html).text)
    if units(summary) > room:
        summary = summary[: room * 2]  # no more can fit
        while summary and units(summary) + 1 > room:
            summary = summary[:-1]
        summary = summary.rstrip("，,、；;：: ") + "…" if summary else ""
    return f"{head}{summary}{tail}"


def same_post(shown: str, ours: str) -> bool:
    """Whether a timeline status is our post: the same text once links are set aside (Weibo
    shows links as its own short links)."""
    return _clean(_URL.sub("", shown)) == _clean(_URL.sub("", ours))
