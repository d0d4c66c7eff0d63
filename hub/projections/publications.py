"""What is live or scheduled where: one row per article with a live or scheduled publication.
The durable timers (scheduled release, expiry) are queries over this table."""

from __future__ import annotations

import json

from events.envelope import RecordedEvent
from events.store import EventStore, SubscriberTransaction
from hub.runtime.clock import utc_iso
from workflows.article_decider import ARTICLES
from workflows.article_events import (
    ArticlePublished,
    ArticleRetracted,
    PublicationCancelled,
    PublicationRescheduled,
    PublicationScheduled,
    TargetsWithdrawn,
)
from workflows.publication import Target

_CREATE = (
    """CREATE TABLE IF NOT EXISTS publications (
        article_id TEXT PRIMARY KEY,
        live_id TEXT,
        live_revision INTEGER,
        live_targets TEXT,
        published_at TEXT,
        expire_at TEXT,
        scheduled_id TEXT,
        scheduled_revision INTEGER,
        scheduled_targets TEXT,
        publish_at TEXT,
        scheduled_expire_at TEXT,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS publications_publish_at ON publications (publish_at)",
    "CREATE INDEX IF NOT EXISTS publications_expire_at ON publications (expire_at)",
    # Each live target of each article, so "what is live on site X" is an index range.
    """CREATE TABLE IF NOT EXISTS live_targets (
        target TEXT NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY (target, article_id))""",
    "CREATE INDEX IF NOT EXISTS live_targets_article ON live_targets (article_id)",
)


def _keys(targets: tuple[Target, ...]) -> str:
    return json.dumps([t.key for t in targets])


class PublicationsProjection:
    """Keeps `publications` from the publication events of every article."""

    name = "publications-v2"  # v2: live_targets (a new name replays every event once)
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> None:
        for statement in _CREATE:
            tx.execute(statement)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.execute("DROP TABLE IF EXISTS publications")
        tx.execute("DROP TABLE IF EXISTS live_targets")

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if not ARTICLES.owns(event.stream_id):
            return
        article_id = ARTICLES.entity(event.stream_id)
        at = event.occurred_at.isoformat()
        payload = event.payload
        if isinstance(payload, PublicationScheduled | ArticlePublished):
            tx.execute(
                "INSERT INTO publications (article_id, updated_at) VALUES (?, ?) "
                "ON CONFLICT (article_id) DO UPDATE SET updated_at = excluded.updated_at",
                (article_id, at),
            )
        match payload:
            case PublicationScheduled(publication=p):
                tx.execute(
                    "UPDATE publications SET scheduled_id = ?, scheduled_revision = ?, "
                    "scheduled_targets = ?, publish_at = ?, scheduled_expire_at = ? "
                    "WHERE article_id = ?",
                    (
                        p.publication_id,
                        p.revision,
                        _keys(p.targets),
                        utc_iso(p.publish_at),
                        utc_iso(p.expire_at),
                        article_id,
                    ),
                )
            case ArticlePublished(publication=p):
                tx.execute("DELETE FROM live_targets WHERE article_id = ?", (article_id,))
                tx.executemany(
                    "INSERT INTO live_targets VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [(t.key, article_id) for t in p.targets],
                )
                tx.execute(
                    "UPDATE publications SET live_id = ?, live_revision = ?, live_targets = ?, "
                    "published_at = ?, expire_at = ?, scheduled_id = NULL, "
                    "scheduled_revision = NULL, scheduled_targets = NULL, publish_at = NULL, "
                    "scheduled_expire_at = NULL WHERE article_id = ?",
                    (
                        p.publication_id,
                        p.revision,
                        _keys(p.targets),
                        utc_iso(event.occurred_at),
                        utc_iso(p.expire_at),
                        article_id,
                    ),
                )
            case PublicationRescheduled():
                expire = utc_iso(payload.expire_at)
                tx.execute(
                    "UPDATE publications SET publish_at = ?, scheduled_expire_at = ?, "
                    "updated_at = ? WHERE article_id = ? AND scheduled_id = ?",
                    (utc_iso(payload.publish_at), expire, at, article_id, payload.publication_id),
                )
                tx.execute(
                    "UPDATE publications SET expire_at = ?, updated_at = ? "
                    "WHERE article_id = ? AND live_id = ?",
                    (expire, at, article_id, payload.publication_id),
                )
            case PublicationCancelled():
                tx.execute(
                    "UPDATE publications SET scheduled_id = NULL, scheduled_revision = NULL, "
                    "scheduled_targets = NULL, publish_at = NULL, scheduled_expire_at = NULL, "
                    "updated_at = ? WHERE article_id = ?",
                    (at, article_id),
                )
            case TargetsWithdrawn():
                rows = tx.query(
                    "SELECT live_targets FROM publications WHERE article_id = ? AND live_id = ?",
                    (article_id, payload.publication_id),
                )
                gone = {t.key for t in payload.targets}
                tx.executemany(
                    "DELETE FROM live_targets WHERE target = ? AND article_id = ?",
                    [(key, article_id) for key in sorted(gone)],
                )
                left = [k for k in json.loads(rows[0][0] or "[]") if k not in gone] if rows else []
                if left:
                    tx.execute(
                        "UPDATE publications SET live_targets = ?, updated_at = ? "
                        "WHERE article_id = ?",
                        (json.dumps(left), at, article_id),
                    )
                else:
                    _clear_live(tx, article_id, at)
            case ArticleRetracted():
                _clear_live(tx, article_id, at)


def _clear_live(tx: SubscriberTransaction, article_id: str, at: str) -> None:
    tx.execute("DELETE FROM live_targets WHERE article_id = ?", (article_id,))
    tx.execute(
        "UPDATE publications SET live_id = NULL, live_revision = NULL, live_targets = NULL, "
        "published_at = NULL, expire_at = NULL, updated_at = ? WHERE article_id = ?",
        (at, article_id),
    )


def due_releases(store: EventStore, now_iso: str) -> list[str]:
    """Articles whose scheduled publication time has come."""
    rows = store.query(
        "SELECT article_id FROM publications WHERE publish_at IS NOT NULL AND publish_at <= ? "
        "ORDER BY publish_at",
        (now_iso,),
    )
    return [str(r[0]) for r in rows]


def due_expiries(store: EventStore, now_iso: str) -> list[str]:
    """Articles whose live publication has reached its expiry time."""
    rows = store.query(
        "SELECT article_id FROM publications WHERE expire_at IS NOT NULL AND expire_at <= ? "
        "AND live_id IS NOT NULL ORDER BY expire_at",
        (now_iso,),
    )
    return [str(r[0]) for r in rows]


def next_timer(store: EventStore) -> str | None:
    """The earliest pending release or expiry time, if any."""
    rows = store.query(
        "SELECT MIN(t) FROM (SELECT MIN(publish_at) AS t FROM publications "
        "UNION ALL SELECT MIN(expire_at) FROM publications WHERE live_id IS NOT NULL)"
    )
    return rows[0][0] if rows and rows[0][0] else None
