"""索引号 in use: uniqueness (P17) and the next serial for a unit and year."""

from __future__ import annotations

from events.envelope import RecordedEvent
from events.store import EventStore, SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticleCreated, ArticleRevised

_CREATE = (
    """CREATE TABLE IF NOT EXISTS index_numbers (
        article_id TEXT PRIMARY KEY,
        index_number TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS index_numbers_value ON index_numbers (index_number)",
)


class IndexNumbersProjection:
    """Keeps each article's current 索引号."""

    name = "index_numbers"
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> None:
        for statement in _CREATE:
            tx.execute(statement)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.execute("DROP TABLE IF EXISTS index_numbers")

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
            tx.execute(
                "INSERT INTO index_numbers (article_id, index_number) VALUES (?, ?) "
                "ON CONFLICT (article_id) DO UPDATE SET index_number = excluded.index_number",
                (article_id, value),
            )
        else:
            tx.execute("DELETE FROM index_numbers WHERE article_id = ?", (article_id,))


def owners_of(store: EventStore, index_number: str) -> dict[str, str]:
    """{index number: article id} for the articles using `index_number`."""
    rows = store.query(
        "SELECT index_number, article_id FROM index_numbers WHERE index_number = ?",
        (index_number,),
    )
    return {row[0]: row[1] for row in rows}


def next_serial(store: EventStore, org_code: str, year: int) -> int:
    """One more than the highest serial used by `org_code` in `year`."""
    prefix = f"{org_code}/{year:04d}-"
    rows = store.query(
        "SELECT MAX(CAST(substr(index_number, ?) AS INTEGER)) FROM index_numbers "
        "WHERE index_number LIKE ? ",
        (len(prefix) + 1, prefix + "%"),
    )
    return int(rows[0][0] or 0) + 1
