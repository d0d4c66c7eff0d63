"""Which revisions of which articles link each stored image or attachment (`/media/<key>`):
the hub serves a file only while a live publication links it, or to staff who may see a draft
that does."""

from __future__ import annotations

import re

from events.envelope import RecordedEvent
from events.store import EventStore, SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticleCreated, ArticleRevised

MEDIA_KEY = re.compile(r"/media/([0-9a-f]{64}\.[a-z0-9]{3,4})\b")

_CREATE = (
    """CREATE TABLE IF NOT EXISTS media_refs (
        media_key TEXT NOT NULL, article_id TEXT NOT NULL, revision INTEGER NOT NULL,
        site TEXT NOT NULL, PRIMARY KEY (media_key, article_id, revision))""",
    "CREATE INDEX IF NOT EXISTS media_refs_article ON media_refs (article_id, revision)",
    "CREATE TABLE IF NOT EXISTS media_article_sites (article_id TEXT PRIMARY KEY, site TEXT)",
)


class MediaRefsProjection:
    """Keeps `media_refs` from the content of every revision."""

    name = "media_refs"
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> None:
        for statement in _CREATE:
            tx.execute(statement)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.execute("DROP TABLE IF EXISTS media_refs")
        tx.execute("DROP TABLE IF EXISTS media_article_sites")

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        payload = event.payload
        article_id = ARTICLES.entity(event.stream_id)
        if isinstance(payload, ArticleCreated):
            revision, site = 1, payload.site
            tx.execute(
                "INSERT INTO media_article_sites VALUES (?, ?) ON CONFLICT DO NOTHING",
                (article_id, site),
            )
        elif isinstance(payload, ArticleRevised):
            revision = payload.revision
            rows = tx.query(
                "SELECT site FROM media_article_sites WHERE article_id = ?", (article_id,)
            )
            site = str(rows[0][0]) if rows else ""
        else:
            return
        keys = set(MEDIA_KEY.findall(payload.content.body_html))
        tx.executemany(
            "INSERT INTO media_refs VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(key, article_id, revision, site) for key in sorted(keys)],
        )


def media_access(store: EventStore, key: str) -> tuple[bool, set[str]]:
    """Whether a live publication links the file, and the sites of the articles (any
    revision) that link it (whose staff may see it in a draft)."""
    live = store.query(
        "SELECT 1 FROM media_refs r JOIN publications p ON p.article_id = r.article_id "
        "AND p.live_revision = r.revision WHERE r.media_key = ? LIMIT 1",
        (key,),
    )
    sites = store.query("SELECT DISTINCT site FROM media_refs WHERE media_key = ?", (key,))
    return bool(live), {str(s) for (s,) in sites}
