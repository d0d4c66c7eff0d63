"""The app feed: what each mobile app shows, as a change log apps sync incrementally.

Every upsert or retraction takes the app's next sequence number, so `since=<cursor>` returns
exactly the changes an app has not seen, retractions included (as tombstones). One SQLite file
for all apps, beside the site document roots; the hub serves it (hub/web/app_feed.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from channels.local_db import open_local_db, write_transaction

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS items (
        app TEXT NOT NULL, article_id TEXT NOT NULL, seq INTEGER NOT NULL,
        revision INTEGER NOT NULL, delivery_id TEXT NOT NULL, column_id TEXT NOT NULL,
        title TEXT NOT NULL, summary TEXT NOT NULL, body_html TEXT NOT NULL,
        source TEXT NOT NULL, url TEXT NOT NULL, published_at TEXT NOT NULL,
        updated_at TEXT NOT NULL, status TEXT NOT NULL,
        PRIMARY KEY (app, article_id))""",
    "CREATE UNIQUE INDEX IF NOT EXISTS items_seq ON items (app, seq)",
    "CREATE TABLE IF NOT EXISTS pushes (delivery_id TEXT PRIMARY KEY, cid TEXT NOT NULL)",
)
_FIELDS = ("app", "article_id", "seq", "revision", "delivery_id", "column_id", "title",
           "summary", "body_html", "source", "url", "published_at", "updated_at",
           "status")  # fmt: skip


@dataclass(frozen=True)
class FeedItem:
    app: str
    article_id: str
    seq: int
    revision: int
    delivery_id: str
    column_id: str
    title: str
    summary: str
    body_html: str
    source: str
    url: str
    published_at: str
    updated_at: str
    status: str  # published | retracted

    def as_json(self) -> dict[str, object]:
        """The article as the app API shows it."""
        return {
            "id": self.article_id,
            "version": self.revision,
            "status": self.status,
            "column": self.column_id,
            "title": self.title,
            "summary": self.summary,
            "content_html": self.body_html,
            "source": self.source,
            "url": self.url,
            "published_at": self.published_at,
            "updated_at": self.updated_at,
        }


class AppFeed:
    """Feed items and push bookkeeping of every app (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self._db = open_local_db(path, _SCHEMA)
        self._lock = threading.Lock()

    def _next_seq(self, app: str) -> int:
        (head,) = self._db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM items WHERE app = ?", (app,)
        ).fetchone()
        return int(head) + 1

    def upsert(self, item: FeedItem, cid: str = "") -> FeedItem:
        """Show the item (a new change unless this delivery is already shown); with `cid`,
        keep it as the delivery's push key in the same transaction (unless one is kept)."""
        with self._lock, write_transaction(self._db):
            if cid:
                self._db.execute(
                    "INSERT OR IGNORE INTO pushes (delivery_id, cid) VALUES (?, ?)",
                    (item.delivery_id, cid),
                )
            current = self._get(item.app, item.article_id)
            if (
                current
                and current.delivery_id == item.delivery_id
                and (current.status == "published")
            ):
                return current
            stored = FeedItem(**{**item.__dict__, "seq": self._next_seq(item.app)})
            self._db.execute(
                f"INSERT OR REPLACE INTO items VALUES ({', '.join('?' * len(_FIELDS))})",
                tuple(getattr(stored, f) for f in _FIELDS),
            )
            return stored

    def tombstone(self, app: str, article_id: str, at: str) -> None:
        """Replace the item by a tombstone (a new change) unless it is gone already."""
        with self._lock, write_transaction(self._db):
            current = self._get(app, article_id)
            if current is not None and current.status != "retracted":
                self._db.execute(
                    "UPDATE items SET status = 'retracted', body_html = '', summary = '', "
                    "seq = ?, updated_at = ? WHERE app = ? AND article_id = ?",
                    (self._next_seq(app), at, app, article_id),
                )

    def _get(self, app: str, article_id: str) -> FeedItem | None:
        row = self._db.execute(
            f"SELECT {', '.join(_FIELDS)} FROM items WHERE app = ? AND article_id = ?",
            (app, article_id),
        ).fetchone()
        return FeedItem(*row) if row else None

    def get(self, app: str, article_id: str) -> FeedItem | None:
        with self._lock:
            return self._get(app, article_id)

    def head(self, app: str) -> int:
        """The app's newest sequence number (0 when empty)."""
        with self._lock:
            return self._next_seq(app) - 1

    def changes(
        self, app: str, since: int, limit: int, column: str | None = None
    ) -> tuple[list[FeedItem], bool]:
        """Changes after `since`, oldest first, and whether more follow."""
        sql = f"SELECT {', '.join(_FIELDS)} FROM items WHERE app = ? AND seq > ?"
        params: tuple[object, ...] = (app, since)
        if column:
            sql += " AND column_id = ?"
            params += (column,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY seq LIMIT ?", (*params, limit + 1)).fetchall()
        return [FeedItem(*row) for row in rows[:limit]], len(rows) > limit

    # -- push keys: the cid is kept before the push is sent --------------------------------

    def push_cid(self, delivery_id: str) -> str | None:
        """The JPush cid kept for the delivery, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT cid FROM pushes WHERE delivery_id = ?", (delivery_id,)
            ).fetchone()
        return str(row[0]) if row else None

    def close(self) -> None:
        self._db.close()
