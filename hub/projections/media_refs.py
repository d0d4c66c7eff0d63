"""Which revisions of which articles link each stored image or attachment (`/media/<key>`):
the hub serves a file only while a live publication links it, or to staff who may see a draft
that does."""

from __future__ import annotations

import re

from events.envelope import RecordedEvent
from events.recorder import Column, NotNull, Table
from events.store import EventStore, SubscriberTransaction
from hub.projections.publications import PUBLICATIONS
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticleCreated, ArticleRevised

MEDIA_KEY = re.compile(r"/media/([0-9a-f]{64}\.[a-z0-9]{3,4})\b")

MEDIA_REFS = Table(
    "media_refs",
    (
        Column("media_key", key=True),
        Column("article_id", key=True),
        Column("revision", "int", key=True),
        Column("site", required=True),
    ),
    indexes=(("article_id", "revision"),),
)
ARTICLE_SITES = Table("media_article_sites", (Column("article_id", key=True), Column("site")))


class MediaRefsProjection:
    """Keeps `media_refs` from the content of every revision."""

    name = "media_refs"
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(MEDIA_REFS, ARTICLE_SITES)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(MEDIA_REFS, ARTICLE_SITES)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        payload = event.payload
        article_id = ARTICLES.entity(event.stream_id)
        if isinstance(payload, ArticleCreated):
            revision, site = 1, payload.site
            tx.insert_new(ARTICLE_SITES, [(article_id, site)])
        elif isinstance(payload, ArticleRevised):
            revision = payload.revision
            rows = tx.rows(ARTICLE_SITES, {"article_id": article_id}, ("site",))
            site = str(rows[0][0]) if rows else ""
        else:
            return
        keys = set(MEDIA_KEY.findall(payload.content.body_html))
        tx.insert_new(MEDIA_REFS, [(key, article_id, revision, site) for key in sorted(keys)])


def media_access(store: EventStore, key: str) -> tuple[bool, set[str]]:
    """Whether a live publication links the file, and the sites of the articles (any
    revision) that link it (whose staff may see it in a draft)."""
    refs = store.rows(MEDIA_REFS, {"media_key": key}, ("article_id", "revision", "site"))
    linking = {(str(article), int(revision)) for article, revision, _ in refs}
    live = store.rows(PUBLICATIONS, {"article_id": sorted({a for a, _ in linking}),
                                     "live_revision": NotNull}, ("article_id", "live_revision"))  # fmt: skip
    return (any((str(a), int(r)) in linking for a, r in live),
            {str(site) for _, _, site in refs})  # fmt: skip
