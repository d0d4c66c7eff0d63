"""An article search as the API's and the console's parameters give it (names, keys and
Beijing dates as people write them), turned into the query hub/queries/article_search.py runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from hub.queries.article_search import ArticleQuery
from workflows.beijing_time import BEIJING

if TYPE_CHECKING:
    from hub.runtime.embedded import EmbeddedHub


# Days outside these bound nothing the hub holds; held to them, a far date (0001-01-01 from a
# form or a fuzzer) cannot overflow when it becomes UTC or a day is added.
_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(9999, 12, 30)


def _utc(day: date) -> str:
    """Midnight of a Beijing day, as the UTC text the article list stores."""
    day = min(max(day, _FIRST_DAY), _LAST_DAY)
    return datetime.combine(day, time(), BEIJING).astimezone(UTC).isoformat()


def article_query(
    hub: EmbeddedHub,
    q: str = "",
    site: str | None = None,
    column: str | None = None,
    status: str | None = None,
    author: str | None = None,
    stage: str | None = None,
    updated_from: date | None = None,
    updated_to: date | None = None,
    channel: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> ArticleQuery:
    """The query; an unknown site is SITE_UNKNOWN, dates are whole Beijing days."""
    code = hub.config.directory.site(site).code if site else None
    return ArticleQuery(
        q=q, site=code, column=column or None, status=status or None, author=author or None,
        stage=stage or None,
        updated_from=_utc(updated_from) if updated_from else None,
        updated_to=_utc(min(updated_to, _LAST_DAY - timedelta(days=1)) + timedelta(days=1))
        if updated_to else None,
        channel=str(channel) if channel else None, cursor=cursor or None, limit=limit,
    )  # fmt: skip
