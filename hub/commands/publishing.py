"""Publishing approved articles: resolving targets (columns, their fan-out, added accounts),
publish / schedule / reschedule / correct / retract, and the durable timers that release
scheduled publications and take expired ones down."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from events.ids import new_id
from events.log import get_logger
from hub.commands.article_service import ArticleResult, ArticleService
from hub.projections.publications import due_expiries, due_releases, next_timer
from hub.runtime.clock import as_beijing, utc_now
from hub.setup.config import HubConfig
from workflows.article_commands import (
    ALL_SITES,
    ActingUser,
    PublishArticle,
    ReleasePublication,
    ReschedulePublication,
    RetractArticle,
)
from workflows.article_state import ArticleState
from workflows.errors import DomainError
from workflows.publication import Channel, Target, merge_targets
from workflows.publication_decider import retraction_scope
from workflows.vocabulary import ArticleStatus, Role

log = get_logger(__name__)

# The hub itself, acting on timers and on approved corrections.
SYSTEM = ActingUser("system", {ALL_SITES: frozenset({Role.OPERATOR})})


class PublishingService:
    """Publication commands, as the CLI and the web call them."""

    def __init__(self, config: HubConfig, articles: ArticleService) -> None:
        self.config = config
        self.articles = articles

    # -- targets -------------------------------------------------------------------------

    def resolve_target(self, ref: str) -> Target:
        """`site/column` (site key or code), `channel:account`, or a bare account id."""
        directory = self.config.directory
        ref = ref.strip()
        if "/" in ref and ":" not in ref:
            site_ref, _, column_ref = ref.partition("/")
            site = directory.site(site_ref)
            column = directory.column(site, column_ref)
            return Target(channel=Channel.WEBSITE, account=site.code, column=column.id)
        channel, _, account_ref = ref.rpartition(":")
        account = directory.account(account_ref)
        if channel and channel != account.channel:
            raise DomainError(
                "TARGET_CHANNEL_MISMATCH",
                f"账号 {account.id} 属于 {account.channel} 渠道，不是 {channel}",
                target=ref,
            )
        return Target(channel=account.channel, account=account.id)

    def target_sites(self, targets: tuple[Target, ...]) -> dict[str, str]:
        """The site code that answers for each target (a website's own; an account's owner)."""
        directory = self.config.directory
        sites: dict[str, str] = {}
        for target in targets:
            if target.channel is Channel.WEBSITE:
                sites[target.key] = target.account
            else:
                try:
                    sites[target.key] = directory.site(directory.account(target.account).site).code
                except DomainError:
                    continue  # no longer configured: the decider counts it as the article's
        return sites

    def fan_out(self, targets: tuple[Target, ...]) -> tuple[Target, ...]:
        """The targets plus the accounts their website columns feed."""
        directory = self.config.directory
        feeds: list[Target] = []
        for target in targets:
            if target.channel is not Channel.WEBSITE or target.column is None:
                continue
            column = directory.site(target.account).column(target.column)
            for account_id in column.feeds if column else ():
                account = directory.account(account_id)
                feeds.append(Target(channel=account.channel, account=account.id))
        return merge_targets(targets, tuple(feeds))

    def targets_for(
        self, state: ArticleState, refs: list[str], *, feeds: bool = True
    ) -> tuple[Target, ...]:
        """The targets named by `refs`; none named: the article's own columns."""
        if refs:
            chosen = tuple(self.resolve_target(r) for r in refs)
        elif state.live is not None:
            return ()  # republishing (a correction): the live targets, decided by the decider
        else:
            site = self.config.directory.site(state.site)
            chosen = tuple(
                Target(channel=Channel.WEBSITE, account=site.code, column=c) for c in state.columns
            )
        return self.fan_out(chosen) if feeds else merge_targets(chosen)

    # -- commands ------------------------------------------------------------------------

    def publish(
        self,
        user: str,
        article_ref: str,
        to: list[str] | None = None,
        at: datetime | None = None,
        expire_at: datetime | None = None,
        *,
        feeds: bool = True,
        notify: bool = False,
        mass_send: bool = False,
    ) -> ArticleResult:
        """Publish the approved revision now, or at `at`, to `to` (default: its columns)."""
        article_id = self.articles.resolve(article_ref)
        state, _ = self.articles.commands.load(article_id)
        actor = self.config.directory.acting(user)
        targets = self.targets_for(state, to or [], feeds=feeds)
        command = PublishArticle(
            article_id,
            actor,
            utc_now(),
            new_id(),
            targets,
            as_beijing(at),
            as_beijing(expire_at),
            notify=notify,
            mass_send=mass_send,
            target_sites=self.target_sites(targets),
        )
        return self.articles.run(command)

    def reschedule(
        self,
        user: str,
        article_ref: str,
        at: datetime | None = None,
        expire_at: datetime | None = None,
        *,
        clear_expiry: bool = False,
    ) -> ArticleResult:
        """Move a scheduled publication, or set or clear an expiry."""
        actor = self.config.directory.acting(user)
        article_id = self.articles.resolve(article_ref)
        command = ReschedulePublication(
            article_id, actor, utc_now(), as_beijing(at), as_beijing(expire_at), clear_expiry
        )
        return self.articles.run(command)

    def retract(
        self, user: str, article_ref: str, reason: str, site: str | None = None
    ) -> ArticleResult:
        """Take the article off every target that received it (or cancel its schedule); a
        user who publishes on receiving sites only (or who names `site`) takes it off those
        sites' columns and accounts."""
        directory = self.config.directory
        actor = directory.acting(user)
        article_id = self.articles.resolve(article_ref)
        state, _ = self.articles.commands.load(article_id)
        live = state.live.targets if state.live else ()
        sites = self.target_sites(live)
        scope = (directory.site(site).code,) if site else retraction_scope(actor, state, sites)
        command = RetractArticle(
            article_id, actor, utc_now(), reason, sites=scope, target_sites=sites
        )
        return self.articles.run(command)

    def live_sites(self, state: ArticleState) -> set[str]:
        """The codes of the sites where an article is live (whose staff may see it)."""
        live = state.live.targets if state.live else ()
        return set(self.target_sites(live).values())

    def correct(
        self,
        user: str,
        article_ref: str,
        *,
        title: str | None = None,
        body_html: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ArticleResult:
        """A new revision of a published article: reviewed again, then it replaces the live one
        on every target (automatically, once approved)."""
        state, _ = self.articles.state(article_ref)
        if state.live is None:
            raise DomainError(
                "NOT_PUBLISHED", "稿件未发布，直接修改即可（hub article edit），无需更正"
            )
        return self.articles.edit(
            user, article_ref, title=title, body_html=body_html, metadata=metadata
        )

    # -- timers --------------------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> dict[str, list[str]]:
        """Release every due scheduled publication and take down every expired one (the
        deliveries follow: the engine plans them from the events)."""
        moment = now or utc_now()
        iso = moment.astimezone(UTC).isoformat()
        done: dict[str, list[str]] = {"released": [], "expired": [], "failed": []}
        for article_id in due_releases(self.articles.store, iso):
            self._fire(ReleasePublication(article_id, SYSTEM, moment), "released", done)
        for article_id in due_expiries(self.articles.store, iso):
            self._fire(RetractArticle(article_id, SYSTEM, moment, expired=True), "expired", done)
        return done

    def _fire(
        self,
        command: ReleasePublication | RetractArticle,
        outcome: str,
        done: dict[str, list[str]],
    ) -> None:
        try:
            result = self.articles.run(command)
        except DomainError as exc:
            log.warning("timer.failed", article_id=command.article_id, code=exc.code)
            done["failed"].append(command.article_id)
            return
        if result.state.status is ArticleStatus.PUBLISHED or outcome == "expired":
            done[outcome].append(command.article_id)
        else:  # the checks at release time stopped it
            done["failed"].append(command.article_id)

    def next_timer(self) -> str | None:
        """When the next scheduled release or expiry is due (UTC ISO text)."""
        return next_timer(self.articles.store)
