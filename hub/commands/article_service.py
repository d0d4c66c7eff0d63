"""Article use cases shared by every interface (CLI now, web and API later): one code path."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError

from events.envelope import RecordedEvent
from events.ids import new_id
from events.recorder import EndsWith, StartsWith
from events.runner import CommandResult, Runner
from events.store import EventStore
from hub.commands.check_service import CheckService
from hub.commands.fixes import apply_fixes
from hub.commands.validation_messages import chinese, problems
from hub.content.sanitize import clean_html
from hub.delivery.summary import summaries
from hub.projections.articles import ARTICLE_LIST, REVIEW_QUEUE
from hub.projections.history import timeline_of
from hub.projections.index_numbers import next_serial
from hub.queries.article_search import ArticleQuery, Visibility
from hub.queries.article_search import search as search_articles
from hub.setup.config import HubConfig
from hub.setup.directory import Column, Site
from workflows.article_commands import (
    ALL_SITES,
    ApproveStage,
    ArchiveArticle,
    ArticleCommand,
    CreateArticle,
    EditArticle,
    OverrideFinding,
    PublishArticle,
    RecheckArticle,
    ReturnArticle,
    SignOff,
    SubmitArticle,
    WithdrawArticle,
)
from workflows.article_decider import ARTICLES
from workflows.article_state import ArticleState, initial_state
from workflows.checks.findings import Finding, Severity
from workflows.content import ArticleContent
from workflows.errors import DomainError
from workflows.vocabulary import STATUS_LABELS, WRITING_ROLES


def field_problems(exc: ValidationError, whole: str = "输入") -> list[tuple[str, str]]:
    """(field path, message) of each problem pydantic found; `whole` names the input itself."""
    return [
        (".".join(str(p) for p in error["loc"]) or whole, chinese(error)) for error in exc.errors()
    ]


def invalid_input(exc: ValidationError) -> DomainError:
    """Turn a pydantic validation error into one clear domain error."""
    found = [f"{place}: {what}" for place, what in problems(exc.errors())]
    return DomainError("INVALID_INPUT", "输入有误: " + "; ".join(found), problems=found)


def _stage_label(state: ArticleState, stage_id: str | None) -> str | None:
    """The configured name of a stage (or 领导签批) for people."""
    return state.stage_name(stage_id) if stage_id is not None and state.workflow else None


def build_content(title: str, body_html: str, metadata: Mapping[str, Any]) -> ArticleContent:
    """Validate content and metadata at the edge; the body is sanitised (hub/content/sanitize.py)."""
    try:
        return ArticleContent.model_validate(
            {"title": title, "body_html": clean_html(body_html), "metadata": dict(metadata)}
        )
    except ValidationError as exc:
        raise invalid_input(exc) from None


_CHECKED_STEPS: dict[type, str] = {SubmitArticle: "送审", PublishArticle: "发布"}


# Article commands run on the generic runner over the article decider.
ArticleRunner = Runner[ArticleCommand, ArticleState]
ArticleResult = CommandResult[ArticleState]


class ArticleService:
    """Resolves names, builds commands, runs them and keeps read models current."""

    def __init__(
        self,
        config: HubConfig,
        store: EventStore,
        commands: ArticleRunner,
        after_write: Callable[[], object] = lambda: None,
    ) -> None:
        self.config = config
        self.store = store
        self.commands = commands
        self.checks = CheckService(config, store)
        self._after_write = after_write

    # -- writes --------------------------------------------------------------------------

    def run(self, command: ArticleCommand, *, cause: str | None = None) -> ArticleResult:
        """Run a command with its check report attached; keep read models current. A
        reaction names the event that caused it (`cause`): its events then get derived ids."""
        result = self.commands.execute(command, prepare=self.checks.attach, cause=cause)
        self._after_write()
        doing = _CHECKED_STEPS.get(type(command))
        if doing and result.event_types == ("ArticleChecked",) and result.state.findings:
            blocked = [f for f in result.state.findings if f.severity is Severity.BLOCK]
            raise DomainError(
                "CHECKS_BLOCKED",
                f"系统强制校验发现 {len(blocked)} 项必须修改的问题，未能{doing}"
                f"（用 hub article findings {result.article_id[-12:]} 查看）",
                findings=[f.model_dump(mode="json") for f in blocked],
            )
        return result

    def create(
        self,
        user: str,
        site_ref: str,
        column_refs: list[str],
        title: str,
        body_html: str,
        metadata: Mapping[str, Any] | None = None,
        *,
        article_id: str | None = None,
    ) -> ArticleResult:
        """Draft a new article for a site and one or more columns (`article_id`: a derived id,
        so a command run again cannot draft it twice)."""
        actor = self.config.directory.acting(user)
        site, columns = self._placement(site_ref, column_refs)
        content = build_content(title, body_html, self._completed(site, columns, metadata))
        workflow = self.config.workflow_for(site, columns[0])
        column_ids = tuple(dict.fromkeys(c.id for c in columns))
        return self.run(CreateArticle(article_id or new_id(), site.code, column_ids, content,
                                      workflow, actor))  # fmt: skip

    def edit(
        self,
        user: str,
        article_ref: str,
        *,
        title: str | None = None,
        body_html: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ArticleResult:
        """Make a new revision from the current one with the given changes."""
        article_id = self.resolve(article_ref)
        state, _ = self.commands.load(article_id)
        actor = self.config.directory.acting(user)
        if state.content is None:
            raise DomainError("ARTICLE_NOT_FOUND", f"稿件 {article_ref} 不存在")
        current = state.content
        merged = current.metadata.model_dump(mode="json") | dict(metadata or {})
        if metadata and metadata.get("related_articles"):
            merged["related_articles"] = self.related(metadata["related_articles"], article_id)
        if metadata and metadata.get("replaced_by"):
            merged["replaced_by"] = self.related(metadata["replaced_by"], article_id)[0]
        content = build_content(
            title if title is not None else current.title,
            body_html if body_html is not None else current.body_html,
            merged,
        )
        return self.run(EditArticle(article_id, content, actor))

    def submit(self, user: str, article_ref: str) -> ArticleResult:
        """Send the article into review."""
        actor = self.config.directory.acting(user)
        return self.run(SubmitArticle(self.resolve(article_ref), actor))

    def approve(
        self,
        user: str,
        article_ref: str,
        gates: list[str],
        *,
        revision: int | None = None,
        content_hash: str | None = None,
        opinion: str = "",
        stage: str | None = None,
    ) -> ArticleResult:
        """Approve the current stage; without `revision` the current revision is meant."""
        actor = self.config.directory.acting(user)
        article_id = self.resolve(article_ref)
        if revision is None:
            revision = self.commands.load(article_id)[0].revision
        return self.run(
            ApproveStage(article_id, revision, tuple(gates), actor, opinion, content_hash, stage)
        )

    def return_(
        self, user: str, article_ref: str, reasons: list[str], stage: str | None = None
    ) -> ArticleResult:
        """Return the article to its editor with reasons."""
        actor = self.config.directory.acting(user)
        return self.run(ReturnArticle(self.resolve(article_ref), tuple(reasons), actor, stage))

    def sign_off(
        self, user: str, article_ref: str, *, revision: int | None = None, opinion: str = ""
    ) -> ArticleResult:
        """A leader signs off the reviewed revision."""
        actor = self.config.directory.acting(user)
        article_id = self.resolve(article_ref)
        if revision is None:
            revision = self.commands.load(article_id)[0].revision
        return self.run(SignOff(article_id, revision, actor, opinion))

    def withdraw(self, user: str, article_ref: str, reason: str = "") -> ArticleResult:
        """The editor pulls the article back out of review."""
        actor = self.config.directory.acting(user)
        return self.run(WithdrawArticle(self.resolve(article_ref), actor, reason))

    def archive(self, user: str, article_ref: str, reason: str = "") -> ArticleResult:
        """Archive an article that is not in review."""
        actor = self.config.directory.acting(user)
        return self.run(ArchiveArticle(self.resolve(article_ref), actor, reason))

    def recheck(self, user: str, article_ref: str) -> ArticleResult:
        """Check an approved (or scheduled, or published) article again with today's
        dictionaries; new blocking findings take it back to its editor."""
        actor = self.config.directory.acting(user)
        return self.run(RecheckArticle(self.resolve(article_ref), actor))

    def override(self, user: str, article_ref: str, finding_id: str, reason: str) -> ArticleResult:
        """A reviewer accepts a REVIEW finding of the current revision with a reason."""
        actor = self.config.directory.acting(user)
        return self.run(OverrideFinding(self.resolve(article_ref), finding_id, reason, actor))

    def fix(
        self, user: str, article_ref: str, finding_ids: list[str] | None = None
    ) -> tuple[ArticleResult, list[Finding], list[Finding]]:
        """Apply the suggested fixes (all, or the named findings) as a new revision."""
        article_id = self.resolve(article_ref)
        state, _ = self.commands.load(article_id)
        if state.content is None:
            raise DomainError("ARTICLE_NOT_FOUND", f"稿件 {article_ref} 不存在")
        report = self.checks.check(state, state.content, "check")
        chosen = [
            f
            for f in report.findings
            if f.fix is not None and (not finding_ids or f.id in finding_ids)
        ]
        unknown = sorted(set(finding_ids or ()) - {f.id for f in report.findings})
        if unknown:
            raise DomainError("FINDING_UNKNOWN", f"当前版本没有校验问题 {', '.join(unknown)}")
        if not chosen:
            raise DomainError("NOTHING_TO_FIX", "没有可自动修改的问题")
        content, applied, skipped = apply_fixes(state.content, chosen)
        if not applied:
            raise DomainError("NOTHING_TO_FIX", "建议的修改无法自动套用，请手工修改")
        actor = self.config.directory.acting(user)
        return self.run(EditArticle(article_id, content, actor)), applied, skipped

    def _placement(self, site_ref: str, column_refs: list[str]) -> tuple[Site, list[Column]]:
        """The site and columns an article is (to be) written for."""
        directory = self.config.directory
        site = directory.site(site_ref)
        if not column_refs:
            raise DomainError("COLUMN_REQUIRED", "稿件至少要放入一个栏目")
        return site, [directory.column(site, ref) for ref in column_refs]

    def _completed(
        self, site: Site, columns: list[Column], metadata: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The metadata with what the hub fills in itself: 公开目录 items get their 索引号
        generated (P17) when none is given: unit code / year - serial."""
        completed = dict(metadata or {})
        if completed.get("related_articles"):
            completed["related_articles"] = self.related(completed["related_articles"])
        if completed.get("replaced_by"):
            completed["replaced_by"] = self.related(completed["replaced_by"])[0]
        from workflows.checks.rules_metadata import CATALOGUE_COLUMN_TYPES, generate_index_number

        if (
            not completed.get("index_number")
            and site.org_code
            and columns
            and columns[0].type in CATALOGUE_COLUMN_TYPES
        ):
            year = date.today().year
            serial = next_serial(self.store, site.org_code, year)
            completed["index_number"] = generate_index_number(site.org_code, year, serial)
        return completed

    def check_draft(
        self,
        user: str,
        site_ref: str,
        column_refs: list[str],
        title: str,
        body_html: str,
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The system checks of content not yet saved (the editor's form as it is typed):
        field errors if it would not validate, else the findings submission would record."""
        site, columns = self._placement(site_ref, column_refs)
        if not self.config.directory.acting(user).roles_on(site.code) & WRITING_ROLES:
            raise DomainError(
                "SITE_ROLE_REQUIRED", f"用户 {user} 在站点 {site.code} 不能撰写或修改稿件"
            )
        try:
            content = ArticleContent.model_validate(
                {
                    "title": title,
                    "body_html": clean_html(body_html),
                    "metadata": self._completed(site, columns, metadata),
                }
            )
        except ValidationError as exc:
            errors = [{"field": field, "message": message}
                      for field, message in field_problems(exc, "content")]  # fmt: skip
            return {"valid": False, "errors": errors, "findings": []}
        state = initial_state._replace(site=site.code, columns=tuple(c.id for c in columns))
        report = self.checks.check(state, content, "submit")
        return {
            "valid": True,
            "errors": [],
            "body_html": content.body_html,
            "blocked": report.blocked,
            "findings": [f.model_dump(mode="json") for f in report.findings],
        }

    def findings(self, article_ref: str) -> dict[str, Any]:
        """The current revision's findings: recorded at submit, and as checked right now."""
        state, _ = self.state(article_ref)
        assert state.content is not None
        current = self.checks.check(state, state.content, "check")
        return {
            "id": state.article_id,
            "revision": state.revision,
            "content_hash": state.content_hash,
            "dictionary_version": current.dictionary_version,
            "recorded": [
                f.model_dump(mode="json") | {"overridden": f.id in state.overridden}
                for f in state.findings
            ],
            "current": [f.model_dump(mode="json") for f in current.findings],
        }

    # -- reads ---------------------------------------------------------------------------

    def related(self, refs: Any, own: str | None = None) -> list[str]:
        """The articles a 政策文件 or 政策解读 is linked with (P19), each resolved in this hub's
        store to its full id: an unknown id, or the article itself, is refused."""
        if isinstance(refs, str):
            refs = [refs]
        if not isinstance(refs, (list, tuple)):
            raise DomainError("INVALID_INPUT", "关联稿件应为稿件编号列表")
        found = []
        for ref in refs:
            try:
                article = self.resolve(str(ref))
            except DomainError:
                raise DomainError("RELATED_NOT_FOUND", f"关联稿件 {ref} 不存在（须为本平台的稿件编号）",
                                  article_id=str(ref)) from None  # fmt: skip
            if article == own:
                raise DomainError("RELATED_NOT_FOUND", "稿件不能关联它自己")
            found.append(article)
        return list(dict.fromkeys(found))

    def resolve(self, ref: str) -> str:
        """An article id from a full id or a unique start or end of one (at least 6 characters)."""
        ref = ref.strip().lower()
        if self.store.stream_version(ARTICLES(ref)):
            return ref
        if len(ref) >= 6 and all(c in "0123456789abcdef-" for c in ref):
            rows = list(dict.fromkeys(
                self.store.rows(ARTICLE_LIST, {"article_id": StartsWith(ref)}, ("article_id",),
                                limit=2)
                + self.store.rows(ARTICLE_LIST, {"article_id": EndsWith(ref)}, ("article_id",),
                                  limit=2)
            ))  # fmt: skip
            if len(rows) == 1:
                return str(rows[0][0])
            if len(rows) > 1:
                raise DomainError("ARTICLE_AMBIGUOUS", f"{ref!r} 对应多篇稿件，请写完整编号")
        raise DomainError("ARTICLE_NOT_FOUND", f"稿件 {ref} 不存在", article_id=ref)

    def state(self, article_ref: str) -> tuple[ArticleState, int]:
        """The article's state folded from its stream (the source of truth)."""
        return self.commands.load(self.resolve(article_ref))

    def show(self, article_ref: str) -> dict[str, Any]:
        """The article's status, current revision, hash and approvals so far."""
        state, version = self.state(article_ref)
        assert state.content is not None and state.workflow is not None
        site = self.config.directory.site(state.site)
        delivery = summaries(self.store, [state.article_id]).get(state.article_id)
        return {
            "id": state.article_id,
            "site": {"key": site.key, "code": site.code, "name": site.name},
            "columns": list(state.columns),
            "title": state.content.title,
            "status": str(state.status),
            "status_label": STATUS_LABELS[state.status],
            "waiting_for": state.waiting_for,
            "waiting_label": _stage_label(state, state.waiting_for),
            "revision": state.revision,
            "content_hash": state.content_hash,
            "stream_version": version,
            "author": state.author,
            "revision_editor": state.revision_editor,
            "workflow": {
                "id": state.workflow.id,
                "name": state.workflow.name,
                "stages": [
                    {
                        "id": s.id,
                        "name": s.name,
                        "role": str(s.role),
                        "gates": [str(g) for g in s.gates],
                    }
                    for s in state.workflow.stages
                ],
            },
            "needs_signoff": state.needs_signoff,
            "approvals": [
                {
                    "stage": a.stage,
                    "stage_name": _stage_label(state, a.stage),
                    "user": a.user_id,
                    "revision": a.revision,
                    "content_hash": a.content_hash,
                    "gates": list(a.gates),
                    "opinion": a.opinion,
                }
                for a in state.approvals
            ],
            "signed_off_by": state.signed_off_by,
            "signoff_opinion": state.signoff_opinion if state.signed_off_by else "",
            "approved_revision": state.approved_revision,
            "approved_hash": state.approved_hash,
            "live": state.live.as_json() if state.live else None,
            "delivery": delivery.as_json() if delivery else None,
            "scheduled": state.scheduled.as_json() if state.scheduled else None,
            "last_return": None
            if state.last_return is None
            else {
                "stage": state.last_return.stage,
                "stage_name": _stage_label(state, state.last_return.stage),
                "revision": state.last_return.revision,
                "by": state.last_return.returned_by,
                "reasons": list(state.last_return.reasons),
            },
            "metadata": state.content.metadata.model_dump(mode="json"),
            "body_html": state.content.body_html,
        }

    def history(self, article_ref: str) -> list[RecordedEvent]:
        """The article's stored events, oldest first."""
        return self.store.read_stream(ARTICLES(self.resolve(article_ref)))

    def timeline(self, article_ref: str) -> list[dict[str, Any]]:
        """The article's history projection: one described line per event."""
        return timeline_of(self.store, self.resolve(article_ref))

    def search(
        self, query: ArticleQuery, visible: Visibility | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the articles `visible` allows (hub/queries/article_search.py) and the next
        page's cursor."""
        return search_articles(self.store, query, visible)

    def titles(self, article_ids: set[str]) -> dict[str, str]:
        """The current title of each article (for lists that name articles, not ids)."""
        if not article_ids:
            return {}
        rows = self.store.rows(ARTICLE_LIST, {"article_id": sorted(article_ids)},
                               ("article_id", "title"))  # fmt: skip
        return {str(a): str(t) for a, t in rows}

    def recent(
        self, site_ref: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Articles, newest change first, optionally by site and status."""
        where: dict[str, Any] = {}
        if site_ref:
            where["site"] = self.config.directory.site(site_ref).code
        if status:
            where["status"] = status
        columns = ("article_id", "site", "columns", "title", "status", "waiting_for", "revision",
                   "author", "updated_at")  # fmt: skip
        rows = self.store.rows(ARTICLE_LIST, where, columns, order_by=("-updated_at",),
                               limit=limit)  # fmt: skip
        keys = (
            "id",
            "site",
            "columns",
            "title",
            "status",
            "waiting_for",
            "revision",
            "author",
            "updated_at",
        )
        items = [dict(zip(keys, row, strict=True)) for row in rows]
        for item in items:
            item["columns"] = json.loads(item["columns"])
        return items

    def review_queue(self, user: str) -> list[dict[str, Any]]:
        """What waits for this user: stages whose role they hold, minus separation of duties."""
        actor = self.config.directory.acting(user)
        where: dict[str, Any] = {}
        if ALL_SITES not in actor.site_roles:
            where["site"] = sorted(actor.site_roles)
            if not where["site"]:
                return []
        columns = ("article_id", "site", "waiting_for", "stage_name", "role", "revision", "title",
                   "excluded", "since")  # fmt: skip
        rows = self.store.rows(REVIEW_QUEUE, where, columns, order_by=("since",))
        queue = []
        for row in rows:
            article_id, site, waiting, stage_name, role, revision, title, excluded, since = row
            if role not in actor.roles_on(site) or user in json.loads(excluded):
                continue
            queue.append(
                {
                    "id": article_id,
                    "site": site,
                    "stage": waiting,
                    "stage_name": stage_name,
                    "revision": revision,
                    "title": title,
                    "since": since,
                }
            )
        return queue
