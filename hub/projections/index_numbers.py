"""索引号 in use: uniqueness (P17) and the next serial for a unit and year."""

from __future__ import annotations

from events.envelope import RecordedEvent
from events.recorder import Column, StartsWith, Table
from events.store import EventStore, SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticleCreated, ArticleRevised

INDEX_NUMBERS = Table(
    "index_numbers",
    (Column("article_id", key=True), Column("index_number", required=True)),
    indexes=(("index_number",),),
)


class IndexNumbersProjection:
    """Keeps each article's current 索引号."""

    name = "index_numbers"
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(INDEX_NUMBERS)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(INDEX_NUMBERS)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        payload = event.payload
        if isinstance(payload, ArticleCreated):
            article_id = payload.article_id
        elif isinstance(payload, ArticleRevised):
            article_id = ARTICLES.entity(event.stream_id)
        else:
            return
        value = payload.content.metadata.index_number
        if value:
            tx.upsert(INDEX_NUMBERS, [(article_id, value)])
        else:
            tx.delete(INDEX_NUMBERS, {"article_id": article_id})


def owners_of(store: EventStore, index_number: str) -> dict[str, str]:
    """{index number: article id} for the articles using `index_number`."""
    rows = store.rows(INDEX_NUMBERS, {"index_number": index_number}, ("index_number", "article_id"))
    return {row[0]: row[1] for row in rows}


def next_serial(store: EventStore, org_code: str, year: int) -> int:
    """One more than the highest serial used by `org_code` in `year` (索引号 ORG/YYYY-NNNNN)."""
    prefix = f"{org_code}/{year:04d}-"
    used = store.rows(
        INDEX_NUMBERS,
        {"index_number": StartsWith(prefix)},
        ("index_number",),
    )
    serials = [int(n[len(prefix) :]) for (n,) in used if n[len(prefix) :].isdigit()]
    return max(serials, default=0) + 1
