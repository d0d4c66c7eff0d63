"""What each site shows, kept by the website channel itself: one row per live article page.
Column pages, the homepage, the Atom feeds and the sitemap are rendered from it. It lives
beside the document roots, never inside one (a web server must not serve it)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """CREATE TABLE IF NOT EXISTS pages (
    article_id TEXT NOT NULL,
    column_id TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (column_id, article_id))"""


@dataclass(frozen=True)
class Listed:
    article_id: str
    column_id: str
    title: str
    url: str
    published_at: str  # ISO 8601 with zone

    @property
    def date(self) -> str:
        return self.published_at[:10]


class SiteIndex:
    """The live pages of one site (SQLite, one small file per site)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    def put(self, item: Listed) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?)",
            (item.article_id, item.column_id, item.title, item.url, item.published_at),
        )

    def remove(self, column_id: str, article_id: str) -> None:
        self._db.execute(
            "DELETE FROM pages WHERE column_id = ? AND article_id = ?", (column_id, article_id)
        )

    def newest(self, column_id: str | None = None, limit: int = 50) -> list[Listed]:
        sql = "SELECT article_id, column_id, title, url, published_at FROM pages"
        params: tuple[object, ...] = ()
        if column_id is not None:
            sql += " WHERE column_id = ?"
            params = (column_id,)
        rows = self._db.execute(sql + " ORDER BY published_at DESC LIMIT ?", (*params, limit))
        return [Listed(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
