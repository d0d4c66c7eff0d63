"""Runs the system checks for articles: builds each check's context from configuration and
read models, and attaches reports to the commands that need them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from events.store import EventStore
from hub.projections.index_numbers import next_serial, owners_of
from hub.setup.config import HubConfig
from workflows.article_commands import (
    ArticleCommand,
    EditArticle,
    PublishArticle,
    RecheckArticle,
    ReleasePublication,
    SubmitArticle,
)
from workflows.article_decider import ARTICLES
from workflows.article_state import ArticleState, fold
from workflows.content import ArticleContent
from workflows.publication import Channel, Target

if TYPE_CHECKING:  # the checks engine loads when a check runs
    from workflows.checks.document import CheckContext
    from workflows.checks.engine import CheckReport


def _new_media(targets: tuple[Target, ...]) -> bool:
    """Whether any target is a new-media account (rules for reposted sources apply there)."""
    return any(t.channel in (Channel.WECHAT, Channel.WEIBO, Channel.APP) for t in targets)


class CheckService:
    """The checks as the hub runs them: current dictionaries, the site's facts, today."""

    def __init__(self, config: HubConfig, store: EventStore) -> None:
        self.config = config
        self.store = store

    def context(
        self,
        state: ArticleState,
        content: ArticleContent,
        phase: str,
        publish_time: datetime | None = None,
        new_media: bool = False,
    ) -> CheckContext:
        """What the rules need to know beyond the revision itself."""
        directory = self.config.directory
        site = next((s for s in directory.sites if s.code == state.site), None)
        column_type = None
        if site is not None and state.columns:
            column = site.column(state.columns[0])
            column_type = column.type if column else None
        today = date.today()
        org_code = site.org_code if site else None
        related_types, related_links = self._related(content.metadata.related_articles)
        index_number = content.metadata.index_number
        from workflows.checks.document import CheckContext

        return CheckContext(
            phase=phase,
            as_of=today,
            column_type=column_type,
            org_code=org_code,
            article_id=state.article_id,
            index_numbers=owners_of(self.store, index_number) if index_number else {},
            next_index_serial=next_serial(self.store, org_code, today.year) if org_code else None,
            publish_time=publish_time,
            new_media=new_media,
            related_types=related_types,
            related_links=related_links,
        )

    def _related(
        self, related: tuple[str, ...]
    ) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        """For rule P19, from the store: each related article's column type and the articles
        it links back to (its current revision)."""
        directory = self.config.directory
        types: dict[str, str] = {}
        links: dict[str, tuple[str, ...]] = {}
        for other in related:
            state = fold([e.payload for e in self.store.read_stream(ARTICLES(other))])
            if state.content is None:
                continue
            site = next((s for s in directory.sites if s.code == state.site), None)
            column = site.column(state.columns[0]) if site and state.columns else None
            if column is not None:
                types[other] = column.type
            links[other] = tuple(state.content.metadata.related_articles)
        return types, links

    def check(
        self,
        state: ArticleState,
        content: ArticleContent,
        phase: str,
        publish_time: datetime | None = None,
        new_media: bool = False,
    ) -> CheckReport:
        """The report for `content` of the article in `state`."""
        context = self.context(state, content, phase, publish_time, new_media)
        from workflows.checks.engine import check_content

        return check_content(content, self.config.checks, context)

    def attach(self, command: ArticleCommand, state: ArticleState) -> ArticleCommand:
        """Commands whose decision needs a check report, with the report for that decision."""
        if isinstance(command, SubmitArticle) and state.content is not None:
            return replace(command, report=self.check(state, state.content, "submit"))
        if isinstance(command, RecheckArticle) and state.content is not None:
            return replace(command, report=self.check(state, state.content, "recheck"))
        if isinstance(command, PublishArticle) and state.content is not None:
            at = command.publish_at or command.now
            new_media = _new_media(command.targets or (state.live.targets if state.live else ()))
            report = self.check(state, state.content, "publish", at, new_media)
            return replace(command, report=report)
        if isinstance(command, ReleasePublication) and state.scheduled and state.content:
            new_media = _new_media(state.scheduled.targets)
            report = self.check(state, state.content, "publish", command.now, new_media)
            return replace(command, report=report)
        if isinstance(command, EditArticle):
            return replace(command, report=self.check(state, command.content, "submit"))
        return command
