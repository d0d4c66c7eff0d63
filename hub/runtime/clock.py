"""Time as the hub handles it: events and timers in UTC, people in Beijing time."""

from __future__ import annotations

from datetime import UTC, datetime

from workflows.beijing_time import BEIJING as CHINA_TIME
from workflows.beijing_time import beijing_text


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_iso(moment: datetime | None) -> str | None:
    """A time as UTC ISO text, so that stored times compare correctly as text."""
    return moment.astimezone(UTC).isoformat() if moment else None


def as_beijing(moment: datetime | None) -> datetime | None:
    """Times typed without a zone are Beijing time, the users' clock."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=CHINA_TIME)


def beijing_minute(moment: datetime | str) -> str:
    """A time (or ISO text) as Beijing time, to the minute: 2026-11-22 09:00."""
    return beijing_text(moment)
