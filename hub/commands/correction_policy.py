"""The policy "correction approved → publish the correction": an approved new revision of a
live article replaces the live one on every target, without anyone pressing publish.

It runs as a checkpointed subscriber in a worker (the engine loop under `hub serve`), not in
the reviewer's request: the final approval appends and returns, and the publication (and its
deliveries) follow. The publication's id and its events' ids derive from the approval event,
so running the reaction again publishes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from events.decider import derived_id
from events.envelope import RecordedEvent
from events.log import get_logger
from events.store import SubscriberTransaction
from hub.commands.article_service import ArticleService
from hub.commands.publishing import SYSTEM
from hub.runtime.clock import utc_now
from workflows.article_commands import PublishArticle
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticleApproved
from workflows.errors import DomainError

log = get_logger(__name__)


class CorrectionPublisher:
    """Publishes each approved correction to the live revision's targets."""

    name = "correction-publisher"
    stream_prefix = ARTICLES.prefix

    def __init__(self, articles: ArticleService) -> None:
        self.articles = articles

    def create(self, tx: SubscriberTransaction) -> None:
        pass

    def record(
        self, tx: SubscriberTransaction, event: RecordedEvent, touched: Sequence[str]
    ) -> None:
        pass

    def react(self, event: RecordedEvent) -> list[str]:
        approved = event.payload
        if not isinstance(approved, ArticleApproved):
            return []
        article_id = ARTICLES.entity(event.stream_id)
        state, _ = self.articles.commands.load(article_id)
        live = state.live
        if live is None or live.revision >= approved.revision:
            return []  # a first approval (published by hand), or already replaced
        if state.revision != approved.revision:
            return []  # edited again since: the newer revision is reviewed first
        publication_id = derived_id(event.event_id, "publication")
        command = PublishArticle(article_id, SYSTEM, utc_now(), publication_id)
        try:
            result = self.articles.run(command, cause=event.event_id)
        except DomainError as exc:
            # The approval stands; the operator sees an approved correction not yet out.
            log.warning("correction.not_published", article_id=article_id,
                        event_id=event.event_id, code=exc.code)  # fmt: skip
            return []
        log.info("correction.published", article_id=article_id, event_ids=result.event_ids,
                 causation_id=event.event_id)  # fmt: skip
        return [article_id]
