"""The policy "a source changed → its adopted copies follow": when an article that other sites
adopted (采用, a copy of their own) is corrected or retracted, each copy follows as its site
says (sites.yaml `reuse_follow`): `auto` — a correction becomes the copy's new revision and
goes into that site's review (nothing appears on a site unreviewed by it), a retraction takes
the copy down; `task` — the copy stays as it is and its editors see the change to handle.
Either way the change is recorded on the reuse (SourceChanged). References (引用) need no
policy: they are the source itself on the other site, and follow it.

Runs as a checkpointed reaction in the engine loop; every command is caused by the source's
event (derived ids), so running it again changes nothing twice."""

from __future__ import annotations

from collections.abc import Sequence

from events.decider import derived_id
from events.envelope import Actor, RecordedEvent
from events.log import get_logger
from events.store import SubscriberTransaction
from hub.commands.reuse_service import ReuseService
from hub.projections.delivery_sources import revision_content
from hub.projections.reuses import REUSES_TABLE
from hub.runtime.clock import utc_now
from workflows.article_commands import ActingUser, EditArticle, RetractArticle, SubmitArticle
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticlePublished, ArticleRetracted
from workflows.content import ArticleContent
from workflows.errors import DomainError
from workflows.reuse_decider import RecordSourceChange
from workflows.vocabulary import Role

log = get_logger(__name__)


class SourceFollower:
    name = "reuse-follower"
    stream_prefix = ARTICLES.prefix

    def __init__(self, reuses: ReuseService) -> None:
        self.reuses = reuses

    def create(self, tx: SubscriberTransaction) -> None:
        pass

    def record(self, tx: SubscriberTransaction, event: RecordedEvent,
               touched: Sequence[str]) -> None:  # fmt: skip
        pass

    def react(self, event: RecordedEvent) -> list[str]:
        payload = event.payload
        if isinstance(payload, ArticlePublished) and payload.replaces_revision is not None:
            change, revision = "corrected", payload.publication.revision
        elif isinstance(payload, ArticleRetracted):
            change, revision = "retracted", payload.revision
        else:
            return []
        source = ARTICLES.entity(event.stream_id)
        copies = self.reuses.store.rows(
            REUSES_TABLE, {"source_article": source, "status": "accepted",
                           "kind": ["offer", "submission"]},
            ("reuse_id", "to_site", "copy_article"))  # fmt: skip
        touched = []
        for reuse_id, to_site, copy_article in copies:
            followed = False
            site = self.reuses.config.directory.site(str(to_site))
            if site.reuse_follow == "auto":
                followed = self._follow(event, str(copy_article), site.code, change, source,
                                        revision)  # fmt: skip
            self.reuses.runner.execute(
                RecordSourceChange(str(reuse_id), change, revision, followed),
                actor=Actor("system", Role.OPERATOR), cause=derived_id(event.event_id, str(reuse_id)))  # fmt: skip
            log.info("reuse.source_changed", reuse_id=reuse_id, article_id=source,
                     change=change, followed=followed, event_id=event.event_id)  # fmt: skip
            touched.append(str(reuse_id))
        return touched

    def _follow(self, event: RecordedEvent, copy: str, site_code: str, change: str,
                source: str, revision: int) -> bool:  # fmt: skip
        """Make the copy follow; whether it did (a copy archived meanwhile cannot)."""
        articles = self.reuses.articles
        system = ActingUser("system", {site_code: frozenset({Role.EDITOR, Role.OPERATOR})})
        state, _ = articles.commands.load(copy)
        try:
            if change == "retracted":
                if state.live is None:
                    return True  # nothing of it shows: its editors see the change
                articles.run(RetractArticle(copy, system, utc_now(), "来源已撤稿"),
                             cause=derived_id(event.event_id, copy))  # fmt: skip
                return True
            source_content = revision_content(self.reuses.store, source, revision)
            current = state.content
            if current is None:
                return False
            content = ArticleContent(title=source_content.title,
                                     body_html=source_content.body_html,
                                     metadata=current.metadata)  # fmt: skip
            edited = articles.run(EditArticle(copy, content, system),
                                  cause=derived_id(event.event_id, copy))  # fmt: skip
            if str(edited.state.status) == "draft":  # (a live article's edit is in review)
                articles.run(SubmitArticle(copy, system),
                             cause=derived_id(event.event_id, copy, "submit"))  # fmt: skip
            return True
        except DomainError as exc:
            log.warning("reuse.not_followed", article_id=copy, code=exc.code,
                        event_id=event.event_id)  # fmt: skip
            return False
