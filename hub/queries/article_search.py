"""Finding articles: full text (FTS5 trigram, hub/projections/article_search.py), filters and
cursor pages over the article list, with the caller's visibility applied inside the query, so
a page of 50 holds 50 articles the caller may see, and a deep page costs what the first does.
A list is ordered by the newest change; a text search by the newest article first (the full
text index's own order, which it can walk without collecting every match of a common word)."""

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
        # Per row, through indexes: its site, else one of its live targets on a visible site.
        live = ["lt.target IN (SELECT value FROM json_each(?))"]
        params_live: list[Any] = [json.dumps(sorted(visible.targets))]
        for prefix in sorted(visible.prefixes):
            live.append("(lt.target >= ? AND lt.target < ?)")
            params_live += [prefix, prefix + "\uffff"]
        where.append(
            "(a.site IN (SELECT value FROM json_each(?)) OR EXISTS (SELECT 1 FROM live_targets "
            f"lt WHERE lt.article_id = a.article_id AND ({' OR '.join(live)})))"
        )
        params += [json.dumps(sorted(visible.sites)), *params_live]
    text = query.q.strip()
    full_text = len(text) >= MIN_FULL_TEXT
    if full_text:
        # The index drives: matches newest-created first, each row checked by the filters
        # below until the page is full (a common word costs no more than a rare one).
        where.append("article_text MATCH ?")
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
        after = decode_cursor(query.cursor)
        if full_text:
            where.append("t.rowid < ?")
            params.append(int(after[0]) if after[0].isdigit() else 0)
        else:
            where.append("(a.updated_at, a.article_id) < (?, ?)")
            params += list(after)
    columns = ("a.article_id, a.site, a.columns, a.title, a.status, a.waiting_for, a.revision, "
               "a.author, a.updated_at")  # fmt: skip
    if full_text:
        sql = (f"SELECT {columns}, t.rowid FROM article_text t "
               "JOIN article_search_ids i ON i.id = t.rowid "
               "JOIN article_list a ON a.article_id = i.article_id WHERE " + " AND ".join(where)
               + " ORDER BY t.rowid DESC LIMIT ?")  # fmt: skip
    else:
        sql = (f"SELECT {columns}, NULL FROM article_list a"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY a.updated_at DESC, a.article_id DESC LIMIT ?")  # fmt: skip
    params.append(query.limit + 1)
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
