"""Large-screen playlists: per screen, the items on air and the numbered changes that led there.

The playlist version is the number of the screen's newest change; it is the playlist's ETag
and the SSE event id, so a screen that reconnects with `Last-Event-ID: N` gets every change
after N, and one that polls with `If-None-Match` gets 304 until something changed
(research/channel-protocols.md 4.2). One store for all screens (an SQLite file; a schema of the shared database in the
distributed runtime); the hub serves it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from channels.local_db import Place, open_local_db, write_transaction

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS items (
        screen TEXT NOT NULL, article_id TEXT NOT NULL, delivery_id TEXT NOT NULL,
        version INTEGER NOT NULL, item TEXT NOT NULL, PRIMARY KEY (screen, article_id))""",
    """CREATE TABLE IF NOT EXISTS changes (
        screen TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL,
        data TEXT NOT NULL, PRIMARY KEY (screen, version))""",
    """CREATE TABLE IF NOT EXISTS heartbeats (
        screen TEXT PRIMARY KEY, version_seen INTEGER, item_on_air TEXT, at TEXT)""",
)


@dataclass(frozen=True)
class Change:
    version: int
    kind: str  # upsert | retract
    data: dict[str, Any]


class Playlists:
    """Every screen's playlist and change log (thread-safe)."""

    def __init__(self, place: Place) -> None:
        self._db = open_local_db(place, _SCHEMA)
        self._lock = threading.Lock()

    def _head(self, screen: str) -> int:
        row = self._db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM changes WHERE screen = ?", (screen,)
        ).fetchone()
        return int(row[0])

    def _change(self, screen: str, kind: str, data: dict[str, Any]) -> int:
        version = self._head(screen) + 1
        data = {**data, "version": version}
        self._db.execute(
            "INSERT INTO changes VALUES (?, ?, ?, ?)",
            (screen, version, kind, json.dumps(data, ensure_ascii=False)),
        )
        return version

    def upsert(self, screen: str, delivery_id: str, item: dict[str, Any]) -> int:
        """Put the item on the screen (a new change unless this delivery is on it already);
        return the item's version."""
        with self._lock, write_transaction(self._db):
            row = self._db.execute(
                "SELECT delivery_id, version FROM items WHERE screen = ? AND article_id = ?",
                (screen, item["id"]),
            ).fetchone()
            if row and row[0] == delivery_id:
                return int(row[1])
            version = self._change(screen, "upsert", item)
            self._db.execute(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?) ON CONFLICT (screen, article_id) DO UPDATE "
                "SET delivery_id = excluded.delivery_id, version = excluded.version, "
                "item = excluded.item",
                (screen, item["id"], delivery_id, version,
                 json.dumps({**item, "version": version}, ensure_ascii=False)),
            )  # fmt: skip
            return version

    def retract(self, screen: str, article_id: str) -> None:
        """Take the item off the screen (a `retract` change) if it is on it."""
        with self._lock, write_transaction(self._db):
            deleted = self._db.execute(
                "DELETE FROM items WHERE screen = ? AND article_id = ?", (screen, article_id)
            ).rowcount
            if deleted:
                self._change(screen, "retract", {"id": article_id})

    def delivery_on_air(self, screen: str, article_id: str) -> tuple[str, int] | None:
        """(delivery id, version) of the article's item on the screen, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT delivery_id, version FROM items WHERE screen = ? AND article_id = ?",
                (screen, article_id),
            ).fetchone()
        return (str(row[0]), int(row[1])) if row else None

    def playlist(self, screen: str, now_iso: str) -> tuple[int, list[dict[str, Any]]]:
        """The version and the complete current set of items still valid at `now_iso`."""
        with self._lock:
            version = self._head(screen)
            rows = self._db.execute("SELECT item FROM items WHERE screen = ?", (screen,)).fetchall()
        items = [json.loads(row[0]) for row in rows]
        live = [i for i in items if not i["display"]["valid_until"]
                or i["display"]["valid_until"] > now_iso]  # fmt: skip
        live.sort(key=lambda i: (i["priority"], _negated(i["published_at"])))
        return version, live

    def head(self, screen: str) -> int:
        with self._lock:
            return self._head(screen)

    def changes_after(self, screen: str, version: int, limit: int = 500) -> list[Change]:
        with self._lock:
            rows = self._db.execute(
                "SELECT version, kind, data FROM changes WHERE screen = ? AND version > ? "
                "ORDER BY version LIMIT ?",
                (screen, version, limit),
            ).fetchall()
        return [Change(int(v), str(k), json.loads(d)) for v, k, d in rows]

    def heartbeat(self, screen: str, version_seen: int, item_on_air: str, at: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO heartbeats VALUES (?, ?, ?, ?) ON CONFLICT (screen) DO UPDATE "
                "SET version_seen = excluded.version_seen, item_on_air = excluded.item_on_air, "
                "at = excluded.at",
                (screen, version_seen, item_on_air, at),
            )

    def last_heartbeat(self, screen: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT version_seen, item_on_air, at FROM heartbeats WHERE screen = ?", (screen,)
            ).fetchone()
        return {"version_seen": row[0], "item_on_air": row[1], "at": row[2]} if row else None

    def replace(
        self, screen: str, changes: list[tuple[str, dict[str, Any]]], floor: int = 0
    ) -> int:
        """Make `changes` (oldest first: ("upsert", item) or ("retract", {"id": ...}), one per
        article, each with its delivery id under "delivery_id" for upserts) the screen's whole
        playlist and change log, numbered above `floor` and above every version it has given
        out, in one transaction: a screen reconnecting with any Last-Event-ID it holds gets
        the playlist once more and misses nothing. Returns the new version."""
        with self._lock, write_transaction(self._db):
            base = max(floor, self._head(screen))
            self._db.execute("DELETE FROM items WHERE screen = ?", (screen,))
            self._db.execute("DELETE FROM changes WHERE screen = ?", (screen,))
            for version, (kind, data) in enumerate(changes, start=base + 1):
                delivery_id = data.pop("delivery_id", "")
                shown = {**data, "version": version}
                text = json.dumps(shown, ensure_ascii=False)
                self._db.execute(
                    "INSERT INTO changes VALUES (?, ?, ?, ?)", (screen, version, kind, text)
                )
                if kind == "upsert":
                    self._db.execute(
                        "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
                        (screen, data["id"], delivery_id, version, text),
                    )
            return base + len(changes)

    def close(self) -> None:
        self._db.close()


def _negated(text: str) -> tuple[int, ...]:
    """Sort key that orders ISO timestamps newest first."""
    return tuple(-ord(c) for c in text)
