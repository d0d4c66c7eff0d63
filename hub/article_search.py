"""Finding articles: full text (FTS5 trigram, hub/projections/article_search.py), filters and
cursor pages over the article list, with the caller's visibility applied inside the query, so
a page of 50 holds 50 articles the caller may see, and a deep page costs what the first does."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from events.store import EventStore
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


def search(
    store: EventStore, query: ArticleQuery, visible: Visibility | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of articles, newest change first, and the cursor of the next page (or None)."""
    where: list[str] = []
    params: list[Any] = []
    if visible is not None:
        live = ["target IN (SELECT value FROM json_each(?))"]
        params_live: list[Any] = [json.dumps(sorted(visible.targets))]
        for prefix in sorted(visible.prefixes):
            live.append("(target >= ? AND target < ?)")
            params_live += [prefix, prefix + "\uffff"]
        where.append(
            "(a.site IN (SELECT value FROM json_each(?)) OR a.article_id IN "
            f"(SELECT article_id FROM live_targets WHERE {' OR '.join(live)}))"
        )
        params += [json.dumps(sorted(visible.sites)), *params_live]
    text = query.q.strip()
    if len(text) >= MIN_FULL_TEXT:
        where.append(
            "a.article_id IN (SELECT i.article_id FROM article_text t JOIN article_search_ids i "
            "ON i.id = t.rowid WHERE article_text MATCH ?)"
        )
        params.append('"' + text.replace('"', '""') + '"')
    elif text:
        where.append("a.title LIKE ? ESCAPE '\\'")
        params.append(
            "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    for column, value in (("a.site", query.site), ("a.status", query.status),
                          ("a.author", query.author), ("a.waiting_for", query.stage)):  # fmt: skip
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if query.column:
        where.append("EXISTS (SELECT 1 FROM json_each(a.columns) WHERE value = ?)")
        params.append(query.column)
    if query.updated_from:
        where.append("a.updated_at >= ?")
        params.append(query.updated_from)
    if query.updated_to:
        where.append("a.updated_at < ?")
        params.append(query.updated_to)
    if query.channel:
        where.append(
            "a.article_id IN (SELECT article_id FROM live_targets WHERE target >= ? AND target < ?)"
        )
        params += [f"{query.channel}:", f"{query.channel}:\uffff"]
    if query.cursor:
        where.append("(a.updated_at, a.article_id) < (?, ?)")
        params += list(decode_cursor(query.cursor))
    sql = (
        "SELECT a.article_id, a.site, a.columns, a.title, a.status, a.waiting_for, a.revision, "
        "a.author, a.updated_at FROM article_list a"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY a.updated_at DESC, a.article_id DESC LIMIT ?"
    )
    params.append(query.limit + 1)
    rows = store.query(sql, params)
    items = [dict(zip(_KEYS, row, strict=True)) for row in rows[: query.limit]]
    for item in items:
        item["columns"] = json.loads(item["columns"])
    more = len(rows) > query.limit
    last = items[-1] if items and more else None
    return items, encode_cursor(last["updated_at"], last["id"]) if last else None
