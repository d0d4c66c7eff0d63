"""One article in the console: its page (content, findings, history, what the user may do
now, the publish plan with preflight), channel previews, and the actions its forms post
(the same actions as the JSON API, hub/web/actions.py)."""

from __future__ import annotations

import difflib
import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from hub.commands.article_service import invalid_input
from hub.runtime.clock import as_beijing, utc_now
from hub.web.actions import ACTIONS
from hub.web.console_page import Console, back_to_article, field
from hub.web.errors import status_of
from hub.web.highlight import mark_findings
from hub.web.preview import HEADERS as PREVIEW_HEADERS
from hub.web.preview import preview_targets, render_preview
from hub.web.publication_plan import publication_plan
from hub.web.security import Caller
from workflows.article_commands import ActingUser
from workflows.article_events import ArticleCreated, ArticleRevised
from workflows.article_state import ArticleState
from workflows.errors import DomainError
from workflows.permissions import may
from workflows.publication_decider import publishes_on
from workflows.vocabulary import ArticleStatus, Role

# Which actions a page offers in which state (the service decides whether the user may).
_OFFERED: dict[ArticleStatus, tuple[str, ...]] = {
    ArticleStatus.DRAFT: ("submit", "archive"),
    ArticleStatus.RETURNED: ("submit", "archive"),
    ArticleStatus.IN_REVIEW: ("approve", "return", "withdraw"),
    ArticleStatus.AWAITING_SIGNOFF: ("signoff", "return", "withdraw"),
    ArticleStatus.APPROVED: ("publish", "recheck", "archive"),
    ArticleStatus.SCHEDULED: ("reschedule", "recheck", "retract"),
    ArticleStatus.PUBLISHED: ("reschedule", "recheck", "retract"),
    ArticleStatus.RETRACTED: ("archive",),
}
_EDITABLE = (ArticleStatus.DRAFT, ArticleStatus.RETURNED, ArticleStatus.APPROVED,
             ArticleStatus.PUBLISHED)  # fmt: skip
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|tr|div|table|blockquote)>|<br\s*/?>", re.I)


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, directory = console.hub, console.directory

    def article_view(
        request: Request, caller: Caller, article_ref: str, error: DomainError | None
    ) -> HTMLResponse:
        try:
            article_id = console.visible(caller, article_ref)
        except DomainError as exc:
            return console.refused(request, caller, exc)
        state, _ = hub.articles.state(article_id)
        show = hub.articles.show(article_id)
        actor = directory.acting(caller.user_id)
        live_sites = hub.publishing.target_sites(state.live.targets if state.live else ())
        offered = [
            n for n in _OFFERED.get(state.status, ()) if may(n, actor, state, utc_now(), live_sites)
        ]
        can_edit = state.status in _EDITABLE and bool(
            {Role.EDITOR, Role.ADMIN} & actor.roles_on(state.site))  # fmt: skip
        offer_to = offer_choices(state, actor)
        return console.render(
            request, "article.html", caller, status_of(error) if error else 200, a=show,
            stage=state.current_stage, offered=offered,
            labels={n: a.label for n, a in ACTIONS.items()},
            can_edit=can_edit, offer_to=offer_to, timeline=hub.articles.timeline(article_id),
            findings=[f.model_dump(mode="json") for f in state.findings],
            overridden=state.overridden, fixable=any(f.fix for f in state.findings),
            marked_body=mark_findings(show["body_html"], state.findings),
            diff=previous_diff(article_id, state.revision, show["body_html"]), error=error,
            plan=publication_plan(hub, state, actor) if "publish" in offered else None,
            previews=preview_targets(hub, state) if state.content else [],
        )  # fmt: skip

    def previous_diff(article_id: str, revision: int, body_html: str) -> list[str]:
        if revision < 2:
            return []
        before = next(
            (e.payload.content.body_html for e in hub.articles.history(article_id)
             if isinstance(e.payload, ArticleCreated | ArticleRevised)
             and e.payload.revision == revision - 1),
            "",
        )  # fmt: skip
        lines = difflib.unified_diff(
            _plain_lines(before), _plain_lines(body_html), lineterm="", n=1
        )
        return [line for line in lines if not line.startswith(("---", "+++", "@@"))]

    @pages.get("/console/articles/{article_id}")
    async def article_page(request: Request, article_id: str) -> Response:
        caller = await console.staff(request)
        return await run_in_threadpool(article_view, request, caller, article_id[:80], None)

    @pages.get("/console/articles/{article_id}/preview")
    async def preview(request: Request, article_id: str, target: str = "") -> Response:
        caller = await console.staff(request)

        def page() -> str:
            state, _ = hub.articles.state(console.visible(caller, article_id[:80]))
            return render_preview(hub, state, target[:200])

        try:
            html = await run_in_threadpool(page)
        except DomainError as exc:
            return console.refused(request, caller, exc)
        return HTMLResponse(html, headers=PREVIEW_HEADERS)

    @pages.post("/console/articles/{article_id}/{action}")
    async def run_action(request: Request, article_id: str, action: str) -> Response:
        caller = await console.staff(request)
        chosen = ACTIONS.get(action)
        if chosen is None or action == "edit":
            unknown = DomainError("COMMAND_UNKNOWN", f"没有操作 {action}")
            return console.refused(request, caller, unknown, 404)
        form = await request.form()
        try:
            body = chosen.body.model_validate(action_body(action, form))
            target = console.visible(caller, article_id[:80])
            await run_in_threadpool(chosen.run, hub, caller.user_id, target, body)
        except ValidationError as exc:
            return await run_in_threadpool(article_view, request, caller, article_id[:80],
                                           invalid_input(exc))  # fmt: skip
        except DomainError as exc:
            return await run_in_threadpool(article_view, request, caller, article_id[:80], exc)
        return back_to_article(target, action)

    def offer_choices(state: ArticleState, actor: ActingUser) -> list[tuple[str, str]]:
        """Where the user may offer a reviewed article of their site (推送), and the site
        above it (报送上级, value `parent`); none for an unreviewed one."""
        reviewed = state.live is not None or (
            state.content is not None and state.approved_hash == state.content_hash)  # fmt: skip
        if not reviewed or not ({Role.EDITOR} & actor.roles_on(state.site)
                                or publishes_on(actor, state.site)):  # fmt: skip
            return []
        site = directory.site(state.site)
        choices = (
            [("parent", f"报送上级：{directory.site_name(site.parent)}")] if site.parent else []
        )
        return choices + [
            (s.key, f"推送到：{s.name}") for s in directory.sites if s.code != site.code
        ]

    return pages


def _plain_lines(html: str) -> list[str]:
    text = _BLOCK_END.sub("\n", html)
    return [line.strip() for line in _TAG.sub("", text).splitlines() if line.strip()]


def action_body(action: str, form: FormData) -> dict[str, Any]:
    """A form's fields as the action's request body."""
    match action:
        case "approve":
            revision = field(form, "revision", 12)
            return {
                "gates": [g for g in form.getlist("gates") if isinstance(g, str)],
                "revision": int(revision) if revision.isdigit() else None,
                "content_hash": field(form, "content_hash", 100) or None,
                "opinion": field(form, "opinion", 2000),
            }
        case "return":
            reasons = field(form, "reasons", 5000).splitlines()
            return {"reasons": [r.strip() for r in reasons if r.strip()]}
        case "signoff":
            return {"opinion": field(form, "opinion", 2000)}
        case "withdraw" | "archive" | "retract":
            return {"reason": field(form, "reason", 2000)}
        case "publish":
            body: dict[str, Any] = {
                "notify": form.get("notify") == "1",
                "mass_send": form.get("mass_send") == "1",
                "at": local_time(field(form, "at", 40)),
                "expire_at": local_time(field(form, "expire_at", 40)),
                "to": [t[:200] for t in form.getlist("to") if isinstance(t, str)][:5000],
            }
            if form.get("plan") == "1":  # the plan form: an unticked box sends nothing
                body["feeds"] = form.get("feeds") == "1"
            return body
        case "override":
            return {"finding_id": field(form, "finding_id", 80),
                    "reason": field(form, "reason", 500)}  # fmt: skip
        case "fix":
            return {"finding_ids": [f[:80] for f in form.getlist("finding_ids")
                                    if isinstance(f, str)][:200]}  # fmt: skip
        case "reschedule":
            return {
                "at": local_time(field(form, "at", 40)),
                "expire_at": local_time(field(form, "expire_at", 40)),
                "clear_expiry": form.get("clear_expiry") == "1",
            }
        case _:
            return {}


def local_time(value: str) -> datetime | None:
    """A `datetime-local` field (Beijing time) as an aware time; empty: None."""
    if not value:
        return None
    try:
        return as_beijing(datetime.fromisoformat(value))
    except ValueError:
        raise DomainError("INVALID_INPUT", f"时间格式有误：{value}") from None
