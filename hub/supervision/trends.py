"""Trends for the duty room's wall (值班大屏): each site's homepage availability and
freshness day by day over the last weeks (Beijing days), from the probes' hourly rollups and
the first publications — pictures people would rather look at than read."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from events.recorder import AtLeast
from events.store import EventStore
from hub.projections.probes import PROBE_HOURS
from hub.projections.published_items import PUBLISHED_ITEMS
from workflows.beijing_time import BEIJING


@dataclass(frozen=True)
class Trend:
    """One value per day, oldest first (None: nothing measured that day)."""

    days: tuple[date, ...]
    values: tuple[float | None, ...]

    def points(self, width: int, height: int, top: float) -> str:
        """SVG polyline points of the measured days, scaled to `top`."""
        step = width / max(1, len(self.values) - 1)
        return " ".join(f"{i * step:.1f},{height - min(v, top) / top * height:.1f}"
                        for i, v in enumerate(self.values) if v is not None)  # fmt: skip

    @property
    def last(self) -> float | None:
        return next((v for v in reversed(self.values) if v is not None), None)


def _days(now: datetime, count: int) -> list[date]:
    today = now.astimezone(BEIJING).date()
    return [today - timedelta(days=n) for n in range(count - 1, -1, -1)]


def availability_trend(store: EventStore, site: str, now: datetime, count: int = 14) -> Trend:
    """The share of homepage probes that failed, per day (%)."""
    days = _days(now, count)
    since = datetime.combine(days[0], datetime.min.time(), BEIJING)
    totals: dict[date, tuple[int, int]] = {}
    for hour, attempts, failures in store.rows(
        PROBE_HOURS, {"site": site, "hour": AtLeast(since.isoformat())},
        ("hour", "homepage_attempts", "homepage_failures"),
    ):  # fmt: skip
        day = datetime.fromisoformat(str(hour)).astimezone(BEIJING).date()
        a, f = totals.get(day, (0, 0))
        totals[day] = (a + int(attempts or 0), f + int(failures or 0))
    values = tuple((totals[d][1] * 100 / totals[d][0]) if totals.get(d, (0, 0))[0] else None
                   for d in days)  # fmt: skip
    return Trend(tuple(days), values)


def freshness_trend(store: EventStore, site: str, now: datetime, count: int = 14) -> Trend:
    """Days since the site's last new item, as each day ended (None: nothing yet)."""
    days = _days(now, count)
    times = sorted(datetime.fromisoformat(str(at)) for (at,) in store.rows(
        PUBLISHED_ITEMS, {"account": site, "channel": "website"}, ("published_at",)))  # fmt: skip
    values: list[float | None] = []
    for day in days:
        end = min(datetime.combine(day + timedelta(days=1), datetime.min.time(), BEIJING), now)
        seen = bisect_right(times, end)
        values.append((end - times[seen - 1]).total_seconds() / 86400 if seen else None)
    return Trend(tuple(days), tuple(values))
