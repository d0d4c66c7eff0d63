"""Where, in an article's stream, the engine finds what a delivery carries: the event holding
each revision's content, the event of each publication, and the article's home site and column.

The table holds stream versions, not copies of the content: an attempt reads the two events it
needs by version instead of folding the whole article stream (a long-lived article has
hundreds of events), and the database does not hold every revision twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from events.envelope import RecordedEvent
from events.recorder import Below, Column, Table
from events.store import EventStore, SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticleCreated, ArticlePublished, ArticleRevised
from workflows.content import ArticleContent
from workflows.errors import DomainError
from workflows.publication import Publication

HOMES = Table(
    "source_homes",
    (Column("article_id", key=True), Column("site", required=True),
     Column("column_id", required=True)),
)  # fmt: skip
REVISIONS = Table(
    "source_revisions",
    (Column("article_id", key=True), Column("revision", "int", key=True),
     Column("version", "int", required=True)),
)  # fmt: skip
PUBLICATIONS = Table(
    "source_publications",
    (Column("article_id", key=True), Column("publication_id", key=True),
     Column("version", "int", required=True)),
)  # fmt: skip


class DeliverySourcesProjection:
    """Keeps the stream versions of revisions and publications, per article."""

    name = "delivery-sources"
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(HOMES, REVISIONS, PUBLICATIONS)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(HOMES, REVISIONS, PUBLICATIONS)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        self.apply_batch(tx, [event])

    def apply_batch(self, tx: SubscriberTransaction, events: Sequence[RecordedEvent]) -> None:
        homes, revisions, publications = [], [], []
        for event in events:
            if not ARTICLES.owns(event.stream_id):
                continue
            article_id = ARTICLES.entity(event.stream_id)
            payload = event.payload
            if isinstance(payload, ArticleCreated):
                column = payload.columns[0] if payload.columns else ""
                homes.append((article_id, payload.site, column))
            if isinstance(payload, ArticleCreated | ArticleRevised):
                revisions.append((article_id, payload.revision, event.stream_version))
            elif isinstance(payload, ArticlePublished):
                pid = payload.publication.publication_id
                publications.append((article_id, pid, event.stream_version))
        # The first event wins: a replay or a repeated id never moves a pointer.
        tx.insert_new(HOMES, homes)
        tx.insert_new(REVISIONS, revisions)
        tx.insert_new(PUBLICATIONS, publications)


@dataclass(frozen=True)
class DeliverySource:
    """What a delivery of one publication carries, and what was published before it."""

    content: ArticleContent
    publication: Publication
    published_at: datetime
    site: str
    column: str
    earlier: tuple[Publication, ...] = ()  # publications before this one, oldest first


def _one(store: EventStore, stream: str, version: int) -> RecordedEvent:
    [event] = store.read_stream(stream, version, version)
    return event


def revision_content(store: EventStore, article_id: str, revision: int) -> ArticleContent:
    """The content of one revision of an article, read by its stream version."""
    found = store.rows(REVISIONS, {"article_id": article_id, "revision": revision}, ("version",))
    if not found:
        raise DomainError("REVISION_NOT_FOUND", f"稿件 {article_id} 没有第 {revision} 版")
    revised = _one(store, ARTICLES(article_id), int(found[0][0])).payload
    assert isinstance(revised, ArticleCreated | ArticleRevised)
    return revised.content


def delivery_source(
    store: EventStore, article_id: str, revision: int, publication_id: str
) -> DeliverySource:
    """The content of `revision` (a correction's predecessor still needs its own), the
    publication and when it went out, the article's home, and the publications before it."""
    home = store.rows(HOMES, {"article_id": article_id}, ("site", "column_id"))
    revised_at = store.rows(REVISIONS, {"article_id": article_id, "revision": revision},
                            ("version",))  # fmt: skip
    published_at = store.rows(
        PUBLICATIONS, {"article_id": article_id, "publication_id": publication_id}, ("version",)
    )
    if not (home and revised_at and published_at):
        raise DomainError(
            "REVISION_NOT_FOUND", f"稿件 {article_id} 没有第 {revision} 版或其发布记录"
        )
    ((site, column),), ((revision_at,),), ((published_version,),) = home, revised_at, published_at
    stream = ARTICLES(article_id)
    revised = _one(store, stream, int(revision_at)).payload
    published = _one(store, stream, int(published_version))
    assert isinstance(revised, ArticleCreated | ArticleRevised)
    assert isinstance(published.payload, ArticlePublished)
    earlier_versions = store.rows(
        PUBLICATIONS,
        {"article_id": article_id, "version": Below(published_version)},
        ("version",),
        order_by=("version",),
    )
    earlier = []
    for (version,) in earlier_versions:
        payload = _one(store, stream, int(version)).payload
        assert isinstance(payload, ArticlePublished)
        earlier.append(payload.publication)
    return DeliverySource(
        revised.content,
        published.payload.publication,
        published.payload.original_published_at or published.occurred_at,
        str(site),
        str(column),
        tuple(earlier),
    )
