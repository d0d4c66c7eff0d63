"""Content flowing between sites (用网: 共享调用, 推送/采用, 信息报送), as the CLI and the web
call it. A reference places a live article of another site on the caller's columns (the
source's reviews stand; it follows the source); an offer or a submission hands a reviewed
article to another site, which takes a copy of its own into its own review (采用) or returns
it with a reason (退回). Every step is an event; the lineage (source site, revision, who
accepted it) stays with the copy and the receiving site's pages show where it came from."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from events.decider import derived_id
from events.envelope import Actor
from events.ids import new_id
from events.runner import Runner
from events.store import EventStore
from hub.commands.article_service import ArticleResult, ArticleService
from hub.commands.publishing import PublishingService
from hub.projections.delivery_sources import revision_content
from hub.projections.publications import LIVE_TARGETS
from hub.projections.published_items import PUBLISHED_ITEMS
from hub.projections.reuses import REUSES_TABLE
from hub.runtime.clock import utc_now
from hub.setup.config import HubConfig
from hub.setup.directory import Site
from workflows.article_commands import ReuseArticle
from workflows.errors import DomainError
from workflows.publication import Channel
from workflows.publication_decider import publishing_role
from workflows.reuse_decider import (
    Accept,
    Decline,
    Offer,
    ReuseCommand,
    ReuseState,
    reuse_decider,
)
from workflows.vocabulary import Role

_FIELDS = tuple(c.name for c in REUSES_TABLE.columns)


class ReuseService:
    def __init__(
        self, config: HubConfig, store: EventStore, articles: ArticleService,
        publishing: PublishingService, caught_up: Callable[[], object],
    ) -> None:  # fmt: skip
        self.config, self.store = config, store
        self.articles, self.publishing = articles, publishing
        self.runner: Runner[ReuseCommand, ReuseState] = Runner(store, reuse_decider)
        self._caught_up = caught_up

    # -- references (共享调用) ------------------------------------------------------------

    def reuse(self, user: str, article_ref: str, to: list[str], *, feeds: bool = True,
              reuse_id: str = "") -> ArticleResult:  # fmt: skip
        """Place the live article on columns of one other site (`to`: `site/column`)."""
        article_id = self.articles.resolve(article_ref)
        state, _ = self.articles.commands.load(article_id)
        if not to:
            raise DomainError("TARGETS_REQUIRED", "请至少选择本站的一个栏目")
        targets = self.publishing.targets_for(state, to, feeds=feeds)
        sites = {t.account for t in targets if t.channel is Channel.WEBSITE}
        if len(sites) != 1:
            raise DomainError("TARGET_OTHER_SITE", "一次引用只能放到一个站点的栏目")
        actor = self.config.directory.acting(user)
        command = ReuseArticle(article_id, actor, utc_now(), new_id(), sites.pop(), targets,
                               self.publishing.target_sites(targets), reuse_id)  # fmt: skip
        return self.articles.run(command)

    # -- offers and submissions (推送、报送 → 采用、退回) ------------------------------------

    def offer(self, user: str, article_ref: str, to_site: str, note: str = "",
              *, kind: str = "offer") -> str:  # fmt: skip
        """Offer a reviewed article to another site, or (`kind="submission"`) submit it to
        the site above; the reuse's id."""
        directory = self.config.directory
        article_id = self.articles.resolve(article_ref)
        state, _ = self.articles.commands.load(article_id)
        if state.content is None:
            raise DomainError("ARTICLE_NOT_FOUND", f"稿件 {article_ref} 不存在")
        source, receiving = directory.site(state.site), directory.site(to_site)
        live = state.live
        reviewed = live is not None or state.approved_hash == state.content_hash
        revision = live.revision if live else state.revision
        content_hash = live.content_hash if live else state.content_hash
        title = (
            revision_content(self.store, article_id, revision).title
            if live
            else state.content.title
        )
        reuse_id = derived_id(kind, article_id, receiving.code)
        actor = directory.acting(user)
        command = Offer(reuse_id, kind, article_id, source.code, revision, content_hash, title,
                        receiving.code, actor, utc_now(), reviewed,
                        upward=source.parent == receiving.key, note=note)  # fmt: skip
        self._run(command, Actor(user, _role_on(actor, source)))
        return reuse_id

    def submit(self, user: str, article_ref: str, note: str = "") -> str:
        """信息报送: to the site above the article's own."""
        state, _ = self.articles.commands.load(self.articles.resolve(article_ref))
        site = self.config.directory.site(state.site) if state.exists else None
        if site is None or site.parent is None:
            raise DomainError(
                "NO_PARENT_SITE", "本站没有配置上级站点（sites.yaml 的 parent），无法报送"
            )
        return self.offer(user, article_ref, site.parent, note, kind="submission")

    def accept(self, user: str, reuse_id: str, columns: list[str]) -> dict[str, Any]:
        """采用: a copy in the receiving site's columns, sent into its own review."""
        state = self._state(reuse_id)
        directory = self.config.directory
        receiving = directory.site(state.to_site) if state.to_site else None
        if receiving is None:
            raise DomainError("REUSE_NOT_FOUND", f"没有流转记录 {reuse_id}")
        actor = directory.acting(user)
        if Role.EDITOR not in actor.roles_on(receiving.code):
            raise DomainError("SITE_ROLE_REQUIRED",
                              f"用户 {user} 在 {receiving.name} 没有编辑权限，不能采用（采用后须编辑送审）")  # fmt: skip
        if str(state.status) != "offered":
            raise DomainError("REUSE_NOT_OFFERED", "该信息不在待采用状态")
        copy_id = derived_id("copy", reuse_id)
        if not self.articles.commands.load(copy_id)[0].exists:
            content = revision_content(self.store, state.source_article, state.revision)
            metadata = content.metadata.model_dump(mode="json")
            metadata.update(source=directory.site_name(state.source_site), repost=True,
                            index_number="", related_articles=[])  # fmt: skip
            self.articles.create(user, receiving.key, columns, content.title, content.body_html,
                                 metadata, article_id=copy_id)  # fmt: skip
            self.articles.submit(user, copy_id)
        column_ids = tuple(directory.column(receiving, c).id for c in columns)
        self._run(Accept(reuse_id, copy_id, column_ids, actor),
                  Actor(user, publishing_role(actor, receiving.code)))  # fmt: skip
        return self.get(reuse_id)

    def decline(self, user: str, reuse_id: str, reason: str) -> dict[str, Any]:
        state = self._state(reuse_id)
        actor = self.config.directory.acting(user)
        self._run(Decline(reuse_id, reason, actor),
                  Actor(user, publishing_role(actor, state.to_site or "-")))  # fmt: skip
        return self.get(reuse_id)

    # -- reading ----------------------------------------------------------------------------

    def get(self, reuse_id: str) -> dict[str, Any]:
        self._caught_up()
        rows = self.store.rows(REUSES_TABLE, {"reuse_id": reuse_id})
        if not rows:
            raise DomainError("REUSE_NOT_FOUND", f"没有流转记录 {reuse_id}")
        return self._shown(rows[0])

    def listing(self, site_codes: list[str], *, incoming: bool = True,
                kind: str | None = None, status: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """What flowed to (or, `incoming=False`, from) these sites, newest first."""
        self._caught_up()
        where: dict[str, Any] = {"to_site" if incoming else "source_site": site_codes}
        if kind:
            where["kind"] = kind
        if status:
            where["status"] = status
        rows = self.store.rows(REUSES_TABLE, where, order_by=("offered_at",))
        return [self._shown(r) for r in reversed(rows)]

    def repost_speed(self, article_ref: str, now: datetime | None = None) -> dict[str, Any]:
        """How fast every other site reposted a document (引用, or an adopted copy): when it
        went live there, how long after the source first went live; sites that have not."""
        self._caught_up()
        article_id = self.articles.resolve(article_ref)
        state, _ = self.articles.commands.load(article_id)
        directory = self.config.directory
        first = self._first_live(article_id, directory.site(state.site).code)
        copies = {str(r[0]): str(r[1]) for r in self.store.rows(
            REUSES_TABLE, {"source_article": article_id, "kind": ["offer", "submission"]},
            ("to_site", "copy_article")) if r[1]}  # fmt: skip
        sites = []
        for site in directory.sites:
            if site.code == state.site:
                continue
            at = self._first_live(article_id, site.code)
            if at is None and site.code in copies:
                at = self._first_live(copies[site.code], site.code)
            hours = None
            if at is not None and first is not None:
                hours = round(
                    (datetime.fromisoformat(at) - datetime.fromisoformat(first)).total_seconds()
                    / 3600,
                    2,
                )
            sites.append({"site": site.key, "site_name": site.name, "reposted_at": at,
                          "hours": hours, "within_24h": hours is not None and hours <= 24})  # fmt: skip
        done = [s for s in sites if s["reposted_at"]]
        return {"article_id": article_id, "source_site": directory.site(state.site).key,
                "first_published_at": first, "sites": sites, "reposted": len(done),
                "within_24h": sum(1 for s in done if s["within_24h"]), "of": len(sites)}  # fmt: skip

    def key_documents(self, limit: int = 20) -> list[dict[str, Any]]:
        """The policy documents live on the provincial (and national) portals, newest first,
        each with how many other sites reposted it and how many within 24 hours (the check
        counts it): what a supervisor follows."""
        self._caught_up()
        directory = self.config.directory
        keys: dict[str, str] = {}
        for site in directory.sites:
            if site.level not in ("province", "national"):
                continue
            policy = {c.id for c, _ in site.walk() if c.type == "政策文件"}
            for target, article_id, published_at in self.store.rows(
                LIVE_TARGETS, {}, ("target", "article_id", "published_at")
            ):
                prefix, _, column = str(target).partition("/")
                if prefix == f"{Channel.WEBSITE}:{site.code}" and column in policy:
                    at = str(published_at or "")
                    keys[str(article_id)] = max(keys.get(str(article_id), ""), at)
        newest = sorted(keys, key=lambda a: keys[a], reverse=True)[:limit]
        documents = []
        for article_id in newest:
            speed = self.repost_speed(article_id)
            state, _ = self.articles.commands.load(article_id)
            title = state.content.title if state.content else article_id
            documents.append({**speed, "title": title})
        return documents

    def _first_live(self, article_id: str, site_code: str) -> str | None:
        rows = self.store.rows(PUBLISHED_ITEMS, {"article_id": article_id, "account": site_code,
                                                "channel": str(Channel.WEBSITE)},
                               ("published_at",), order_by=("published_at",), limit=1)  # fmt: skip
        return str(rows[0][0]) if rows else None

    # -- plumbing ---------------------------------------------------------------------------

    def _state(self, reuse_id: str) -> ReuseState:
        state, _ = self.runner.load(reuse_id)
        if str(state.status) == "none":
            raise DomainError("REUSE_NOT_FOUND", f"没有流转记录 {reuse_id}")
        return state

    def _run(self, command: ReuseCommand, actor: Actor) -> None:
        self.runner.execute(command, actor=actor)
        self._caught_up()

    def _shown(self, row: tuple[Any, ...]) -> dict[str, Any]:
        data = dict(zip(_FIELDS, row, strict=True))
        directory = self.config.directory
        data["columns"] = json.loads(data["columns"]) if data["columns"] else []
        data["followed"] = None if data["followed"] is None else bool(data["followed"])
        data["source_site_name"] = directory.site_name(str(data["source_site"]))
        data["to_site_name"] = directory.site_name(str(data["to_site"]))
        return data


def _role_on(actor: Any, site: Site) -> str:
    held = actor.roles_on(site.code)
    return Role.EDITOR if Role.EDITOR in held else publishing_role(actor, site.code)
