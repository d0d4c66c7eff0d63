"""Full text of every article's current revision for search, in the database's own full text
index (hub/recorders/: FTS5 trigrams on SQLite, trigram-indexed ILIKE on PostgreSQL)."""

from __future__ import annotations

import re

from events.envelope import RecordedEvent
from events.store import SubscriberTransaction
from hub.recorders import search_backend
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticleCreated, ArticleRevised

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(html: str) -> str:
    """The words of an HTML body, tags dropped."""
    return _SPACE.sub(" ", _TAG.sub(" ", html)).strip()


class ArticleSearchProjection:
    """Keeps the title and body of each article's current revision in the search index."""

    name = "article_search"
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> None:
        search_backend(tx.dialect).create(tx)

    def drop(self, tx: SubscriberTransaction) -> None:
        search_backend(tx.dialect).drop(tx)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        payload = event.payload
        if not isinstance(payload, ArticleCreated | ArticleRevised):
            return
        # The creation's position orders search results (newest article first); a revision
        # keeps the order its article was given.
        search_backend(tx.dialect).index(
            tx,
            ARTICLES.entity(event.stream_id),
            event.global_position,
            payload.content.title,
            plain_text(payload.content.body_html),
        )
