"""Finding articles: full text (the database's index, hub/projections/article_search.py),
filters and cursor pages over the article list, with the caller's visibility applied inside the
query (hub/recorders/search.py), so a page of 50 holds 50 articles the caller may see, and a
deep page costs what the first does. A list is ordered by the newest change; a text search by
the newest article first."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from typing import Any

from events.store import EventStore
from hub.recorders import search_backend
from workflows.errors import DomainError

_KEYS = ("id", "site", "columns", "title", "status", "waiting_for", "revision", "author",
         "updated_at")  # fmt: skip
MIN_FULL_TEXT = 3  # the trigram index finds substrings of three characters or more


@dataclass(frozen=True)
class Visibility:
    """What a caller may see: articles of `sites`, and articles live on one of `targets`
    (exact target keys) or under one of `prefixes` (a site's website columns)."""

    sites: frozenset[str]
    targets: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ArticleQuery:
    """A search: every field optional; times are UTC ISO text."""

    q: str = ""
    site: str | None = None
    column: str | None = None
    status: str | None = None
    author: str | None = None
    stage: str | None = None
    updated_from: str | None = None
    updated_to: str | None = None
    channel: str | None = None
    cursor: str | None = None
    limit: int = 50


def encode_cursor(updated_at: str, article_id: str) -> str:
    raw = json.dumps([updated_at, article_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        updated_at, article_id = json.loads(raw)
        if not isinstance(updated_at, str) or not isinstance(article_id, str):
            raise ValueError(cursor)
    except (ValueError, TypeError) as exc:
        raise DomainError("CURSOR_INVALID", "翻页游标无效，请从第一页重新查询") from exc
    return updated_at, article_id


def _plain(query: ArticleQuery) -> ArticleQuery:
    """The query without control characters in its search text (no article holds them, and
    the databases' text matching refuses NUL); a filter holding one matches nothing."""
    q = "".join(c for c in query.q if c >= " " and c != "\x7f")
    filters = (query.site, query.column, query.status, query.author, query.stage,
               query.updated_from, query.updated_to, query.channel)  # fmt: skip
    if any(value is not None and "\x00" in value for value in filters):
        raise DomainError("INVALID_INPUT", "查询条件含有不可见的控制字符")
    return replace(query, q=q)


def search(
    store: EventStore, query: ArticleQuery, visible: Visibility | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of articles, newest change first, and the cursor of the next page (or None)."""
    query = _plain(query)
    full_text = len(query.q.strip()) >= MIN_FULL_TEXT
    after = decode_cursor(query.cursor) if query.cursor else None
    sql, params = search_backend(store.dialect).search_sql(query, visible, full_text, after)
    rows = store.query(sql, params)
    items = [dict(zip(_KEYS, row[:-1], strict=True)) for row in rows[: query.limit]]
    for item in items:
        item["columns"] = json.loads(item["columns"])
    if len(rows) <= query.limit:
        return items, None
    last = rows[query.limit - 1]
    # A text search pages by the index's order, a list by the newest change.
    return items, encode_cursor(str(last[-1]), last[0]) if full_text else encode_cursor(
        last[8], last[0]
    )
