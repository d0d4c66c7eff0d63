"""The app feed: what each mobile app shows, as a change log apps sync incrementally.

Every upsert or retraction takes the app's next sequence number, so `since=<cursor>` returns
exactly the changes an app has not seen, retractions included (as tombstones). One store for
all apps (an SQLite file beside the site document roots; in the distributed runtime a schema
of the shared database, channels/local_db.py); the hub serves it (hub/web/app_feed.py).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, replace

from channels.local_db import Place, open_local_db, write_transaction

# An article's content is stored once per revision, however many apps show it (a province
# has thousands of apps); each app's feed holds small entries pointing at it.
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS contents (
        article_id TEXT NOT NULL, revision INTEGER NOT NULL, column_id TEXT NOT NULL,
        title TEXT NOT NULL, summary TEXT NOT NULL, body_html TEXT NOT NULL,
        source TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY (article_id, revision))""",
    """CREATE TABLE IF NOT EXISTS entries (
        app TEXT NOT NULL, article_id TEXT NOT NULL, seq INTEGER NOT NULL,
        revision INTEGER NOT NULL, delivery_id TEXT NOT NULL, published_at TEXT NOT NULL,
        updated_at TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (app, article_id))""",
    "CREATE UNIQUE INDEX IF NOT EXISTS entries_seq ON entries (app, seq)",
    "CREATE TABLE IF NOT EXISTS pushes (delivery_id TEXT PRIMARY KEY, cid TEXT NOT NULL)",
)
_CONTENT = ("article_id", "revision", "column_id", "title", "summary", "body_html", "source",
            "url")  # fmt: skip
_ENTRY = ("app", "article_id", "seq", "revision", "delivery_id", "published_at", "updated_at",
          "status")  # fmt: skip
# A retracted entry shows nothing of what it withdrew.
_SELECT = (
    "SELECT e.app, e.article_id, e.seq, e.revision, e.delivery_id, "
    "COALESCE(c.column_id, ''), COALESCE(c.title, ''), "
    "CASE e.status WHEN 'published' THEN c.summary ELSE '' END, "
    "CASE e.status WHEN 'published' THEN c.body_html ELSE '' END, "
    "COALESCE(c.source, ''), COALESCE(c.url, ''), e.published_at, "
    "e.updated_at, e.status FROM entries e LEFT JOIN contents c "
    "ON c.article_id = e.article_id AND c.revision = e.revision"
)


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
    """Feed entries and push bookkeeping of every app (thread-safe)."""

    def __init__(self, place: Place) -> None:
        self._db = open_local_db(place, ())
        with write_transaction(self._db):
            if isinstance(self._db, sqlite3.Connection):
                _migrate(self._db)
            for statement in _SCHEMA:
                self._db.execute(statement)
        self._lock = threading.Lock()

    def _next_seq(self, app: str) -> int:
        (head,) = self._db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM entries WHERE app = ?", (app,)
        ).fetchone()
        return int(head) + 1

    def upsert(self, item: FeedItem, cid: str = "") -> tuple[FeedItem, str]:
        """Show the item (a new change unless this delivery is already shown); with `cid`,
        keep it as the delivery's push key in the same transaction unless one is kept already.
        Returns what is shown and the delivery's push key ("" when it has none)."""
        with self._lock, write_transaction(self._db):
            kept = ""
            if cid:
                row = self._db.execute(
                    "INSERT INTO pushes (delivery_id, cid) VALUES (?, ?) "
                    "ON CONFLICT (delivery_id) DO UPDATE SET cid = pushes.cid RETURNING cid",
                    (item.delivery_id, cid),
                ).fetchone()
                kept = str(row[0])
            current = self._entry(item.app, item.article_id)
            if current and current[1] == item.delivery_id and current[2] == "published":
                return self._get(item.app, item.article_id) or item, kept
            stored = self._write(item, self._next_seq(item.app))
            if current and current[0] != item.revision:
                self._forget(item.article_id)  # the revision it replaced, if no app shows it
            return stored, kept

    def _write(self, item: FeedItem, seq: int) -> FeedItem:
        """Store the entry as change `seq` (and its content, when it shows one)."""
        if item.status == "published":
            self._db.execute(
                f"INSERT INTO contents ({', '.join(_CONTENT)}) "
                f"VALUES ({', '.join('?' * len(_CONTENT))}) ON CONFLICT DO NOTHING",
                tuple(getattr(item, f) for f in _CONTENT),
            )
        stored = replace(item, seq=seq)
        self._db.execute(
            f"INSERT INTO entries ({', '.join(_ENTRY)}) "
            f"VALUES ({', '.join('?' * len(_ENTRY))}) ON CONFLICT (app, article_id) DO UPDATE "
            f"SET {', '.join(f'{c} = excluded.{c}' for c in _ENTRY[2:])}",
            tuple(getattr(stored, f) for f in _ENTRY),
        )
        return stored

    def tombstone(self, app: str, article_id: str, at: str) -> None:
        """Replace the entry by a tombstone (a new change) unless it is gone already; the
        content goes when no app shows it any more."""
        with self._lock, write_transaction(self._db):
            current = self._entry(app, article_id)
            if current is not None and current[2] != "retracted":
                self._db.execute(
                    "UPDATE entries SET status = 'retracted', seq = ?, updated_at = ? "
                    "WHERE app = ? AND article_id = ?",
                    (self._next_seq(app), at, app, article_id),
                )
                self._forget(article_id)

    def _entry(self, app: str, article_id: str) -> tuple[int, str, str] | None:
        """(revision, delivery id, status) of the app's entry for the article."""
        row = self._db.execute(
            "SELECT revision, delivery_id, status FROM entries WHERE app = ? AND article_id = ?",
            (app, article_id),
        ).fetchone()
        return (int(row[0]), str(row[1]), str(row[2])) if row else None

    def _forget(self, article_id: str) -> None:
        """Delete the article's contents that no published entry shows."""
        self._db.execute(
            "DELETE FROM contents WHERE article_id = ? AND NOT EXISTS (SELECT 1 FROM entries e "
            "WHERE e.article_id = contents.article_id AND e.revision = contents.revision "
            "AND e.status = 'published')",
            (article_id,),
        )

    def _get(self, app: str, article_id: str) -> FeedItem | None:
        row = self._db.execute(
            f"{_SELECT} WHERE e.app = ? AND e.article_id = ?", (app, article_id)
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
        sql = f"{_SELECT} WHERE e.app = ? AND e.seq > ?"
        params: tuple[object, ...] = (app, since)
        if column:
            sql += " AND c.column_id = ?"
            params += (column,)
        with self._lock:
            rows = self._db.execute(
                sql + " ORDER BY e.seq LIMIT ?", (*params, limit + 1)
            ).fetchall()
        return [FeedItem(*row) for row in rows[:limit]], len(rows) > limit

    def replace(self, app: str, items: list[FeedItem], floor: int = 0) -> int:
        """Make `items` (oldest change first; status published or retracted) the app's whole
        feed, numbered above `floor` and above every number it has given out, in one
        transaction: an app syncing from any cursor it holds receives the feed once more and
        misses nothing. Returns the new head."""
        with self._lock, write_transaction(self._db):
            base = max(floor, self._next_seq(app) - 1)
            self._db.execute("DELETE FROM entries WHERE app = ?", (app,))
            for number, item in enumerate(items, start=base + 1):
                self._write(item, number)
            self._db.execute(
                "DELETE FROM contents WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE "
                "e.article_id = contents.article_id AND e.revision = contents.revision "
                "AND e.status = 'published')"
            )
            return base + len(items)

    def close(self) -> None:
        self._db.close()


def _migrate(db: sqlite3.Connection) -> None:
    """A feed written by an older release kept a copy of the content in every app's item:
    move it to `contents` and `entries` (tombstones keep their place in the change log)."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'items'").fetchone():
        return
    for statement in _SCHEMA:
        db.execute(statement)
    db.execute(
        f"INSERT OR IGNORE INTO contents ({', '.join(_CONTENT)}) SELECT {', '.join(_CONTENT)} "
        "FROM items WHERE status = 'published'"
    )
    db.execute(
        f"INSERT OR REPLACE INTO entries ({', '.join(_ENTRY)}) SELECT {', '.join(_ENTRY)} "
        "FROM items"
    )
    db.execute("DROP TABLE items")
