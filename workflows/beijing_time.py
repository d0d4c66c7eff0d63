"""Beijing time (Asia/Shanghai) as people and crawlers read it: the one formatting helper for
every page, feed, console screen and command line. Events and timers stay in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
_FORMATS = {"date": "%Y-%m-%d", "minute": "%Y-%m-%d %H:%M", "second": "%Y-%m-%d %H:%M:%S"}


def in_beijing(moment: datetime | str) -> datetime:
    """A time (or ISO text) as Beijing time; a time without a zone is taken as UTC (stored)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(BEIJING)


def beijing_text(
    moment: datetime | str | None, precision: Literal["date", "minute", "second"] = "minute"
) -> str:
    """2026-12-03 09:00 (or the date, or to the second) in Beijing time; "" for no time."""
    if moment is None or moment == "":
        return ""
    return in_beijing(moment).strftime(_FORMATS[precision])


def beijing_iso(moment: datetime | str) -> str:
    """ISO 8601 with the explicit +08:00 offset, for feeds and sitemaps."""
    return in_beijing(moment).isoformat(timespec="seconds")
