"""Every first publication of an article on a target, kept for the reports (年度报表, 通报):
unlike `live_targets`, a retracted item stays (with when it was taken down), so "items
published in 2026" still counts it; each row names the event that published it, so every
figure drills down to its events."""

from __future__ import annotations

from events.envelope import RecordedEvent
from events.recorder import Column, Table
from events.store import SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticlePublished, ArticleRetracted, TargetsWithdrawn

PUBLISHED_ITEMS = Table(
    "published_items",
    (
        Column("target", key=True), Column("article_id", key=True),
        Column("channel", required=True), Column("account", required=True),
        Column("column_id"), Column("published_at", required=True),
        Column("event_id", required=True), Column("position", "int"), Column("taken_down_at"),
    ),
    indexes=(("account", "published_at"), ("article_id",)),
)  # fmt: skip


class PublishedItemsProjection:
    name = "published-items"
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(PUBLISHED_ITEMS)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(PUBLISHED_ITEMS)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if not ARTICLES.owns(event.stream_id):
            return
        article_id = ARTICLES.entity(event.stream_id)
        at = event.occurred_at.isoformat()
        match event.payload:
            case ArticlePublished(publication=p, original_published_at=original):
                went_out = original.isoformat() if original else at
                tx.insert_new(PUBLISHED_ITEMS, [
                    (t.key, article_id, str(t.channel), t.account, t.column, went_out,
                     event.event_id, event.global_position, None) for t in p.targets])  # fmt: skip
                tx.update(PUBLISHED_ITEMS, {"article_id": article_id,
                                            "target": [t.key for t in p.targets]},
                          {"taken_down_at": None})  # fmt: skip
            case TargetsWithdrawn() | ArticleRetracted() as gone:
                tx.update(PUBLISHED_ITEMS, {"article_id": article_id,
                                            "target": [t.key for t in gone.targets],
                                            "taken_down_at": None},
                          {"taken_down_at": at})  # fmt: skip
