"""Full text of every article's current revision for search (SQLite FTS5, trigram tokenizer:
Chinese has no spaces between words, and trigrams find any substring of three or more
characters without a dictionary)."""

from __future__ import annotations

import re

from events.envelope import RecordedEvent
from events.store import SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticleCreated, ArticleRevised

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")

_CREATE = (
    "CREATE TABLE IF NOT EXISTS article_search_ids (id INTEGER PRIMARY KEY, article_id TEXT UNIQUE)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_text USING fts5(title, body, tokenize='trigram')",
)


def plain_text(html: str) -> str:
    """The words of an HTML body, tags dropped."""
    return _SPACE.sub(" ", _TAG.sub(" ", html)).strip()


class ArticleSearchProjection:
    """Keeps `article_text` (title and body of the current revision) per article."""

    name = "article_search"
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> None:
        for statement in _CREATE:
            tx.execute(statement)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.execute("DROP TABLE IF EXISTS article_text")
        tx.execute("DROP TABLE IF EXISTS article_search_ids")

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        payload = event.payload
        if not isinstance(payload, ArticleCreated | ArticleRevised):
            return
        article_id = ARTICLES.entity(event.stream_id)
        tx.execute(
            "INSERT OR IGNORE INTO article_search_ids (article_id) VALUES (?)", (article_id,)
        )
        (row,) = tx.query("SELECT id FROM article_search_ids WHERE article_id = ?", (article_id,))
        tx.execute("DELETE FROM article_text WHERE rowid = ?", (row[0],))
        tx.execute(
            "INSERT INTO article_text (rowid, title, body) VALUES (?, ?, ?)",
            (row[0], payload.content.title, plain_text(payload.content.body_html)),
        )
