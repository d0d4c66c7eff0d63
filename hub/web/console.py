"""The staff interface (工作台) at /console: editors draft and submit, reviewers approve or
return, leaders sign off, operators watch deliveries live. Pages are rendered on the server
(Jinja2); every change is a form post carrying the session's CSRF token and runs the same
action (hub/web/actions.py) as the JSON API."""

from __future__ import annotations

import asyncio
import difflib
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from hub.article_search import ArticleQuery
from hub.article_service import invalid_input
from hub.clock import as_beijing, utc_now
from hub.docx_import import import_docx
from hub.media import MAX_ATTACHMENT_BYTES
from hub.runtime import EmbeddedHub
from hub.web.actions import ACTIONS
from hub.web.board import BoardFeed
from hub.web.errors import status_of
from hub.web.highlight import mark_findings
from hub.web.pages import TEMPLATES
from hub.web.preflight import preflight
from hub.web.preview import HEADERS as PREVIEW_HEADERS
from hub.web.preview import preview_targets, render_preview
from hub.web.search_params import article_query
from hub.web.security import (
    Caller,
    caller_of,
    can_see_site,
    check_csrf,
    delivery_site,
    require_writer,
    visibility,
    visible_article,
    visible_deliveries,
)
from workflows.article_events import ArticleCreated, ArticleRevised
from workflows.checks.links import read_link
from workflows.delivery_decider import DELIVERY_STATUS_LABELS
from workflows.errors import DomainError
from workflows.permissions import may
from workflows.publication import CHANNEL_LABELS, Target
from workflows.publication_decider import publishes_on
from workflows.vocabulary import (
    GATE_LABELS,
    ROLE_LABELS,
    SENSITIVITY_LABELS,
    STATUS_LABELS,
    ArticleStatus,
    Role,
)

STATIC = Path(__file__).parent / "static"


class LoginNeeded(Exception):
    """A page was asked for without a login: the app answers with the login page."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def to_login(request: Request, exc: Exception) -> Response:
    """The redirect to the login page that brings the user back to `target`."""
    target = exc.target if isinstance(exc, LoginNeeded) else "/console"
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|tr|div|table|blockquote)>|<br\s*/?>", re.I)
TEMPLATES.filters["gate_label"] = lambda gate: GATE_LABELS.get(gate, gate)

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


def _plain_lines(html: str) -> list[str]:
    text = _BLOCK_END.sub("\n", html)
    return [line.strip() for line in _TAG.sub("", text).splitlines() if line.strip()]


def router(hub: EmbeddedHub) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    directory = hub.config.directory
    board = BoardFeed(hub.delivery_service)
    # Names, not codes, wherever a person reads them (the code stays on hover).
    TEMPLATES.filters["site_name"] = directory.site_name
    TEMPLATES.filters["user_name"] = directory.user_name
    TEMPLATES.filters["target_name"] = directory.target_name

    def render(request: Request, name: str, caller: Caller | None, code: int = 200,
               **context: Any) -> HTMLResponse:  # fmt: skip
        me = directory.user(caller.user_id) if caller else None
        roles = []
        if me:
            roles = [(site, "、".join(ROLE_LABELS.get(r, r) for r in rs))
                     for site, rs in me.roles.items()]  # fmt: skip
        page = TEMPLATES.get_template(f"console/{name}").render(
            me=me, me_roles=roles, csrf=caller.csrf if caller else "",
            status_labels=STATUS_LABELS, notice=NOTICES.get(request.query_params.get("done", "")[:40], ""),
            notice_code=request.query_params.get("done", "")[:40] if request.query_params.get(
                "done", "")[:40] in NOTICES else "",
            **context,
        )  # fmt: skip
        return HTMLResponse(page, status_code=code)

    async def who(request: Request) -> Caller | None:
        caller = caller_of(request, hub.logins)
        if caller is not None and caller.via != "session":
            return None  # API tokens are for the API, not for pages
        return caller

    async def staff(request: Request) -> Caller:
        """The logged-in user of a page; a change must also carry the session's CSRF token.
        Without a login the browser is sent to the login page (LoginNeeded)."""
        caller = await who(request)
        if caller is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginNeeded(target)
        await check_csrf(request, caller)
        return caller

    # -- login ---------------------------------------------------------------------------

    @pages.get("/login")
    async def login_form(request: Request, next: str = "/console") -> Response:
        return render(request, "login.html", None, next=_local(next), username="")

    @pages.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = _field(form, "username", 64), _field(form, "password", 256)
        target = _local(_field(form, "next", 500) or "/console")
        if not _same_origin(request):
            error = DomainError("CSRF_FAILED", "登录请求来源不明，请从登录页登录")
            return render(request, "login.html", None, 403, error=error, next=target,
                          username=username)  # fmt: skip
        try:
            known = username in {u.id for u in directory.users}
            address = request.client.host if request.client else ""
            ok = (
                await run_in_threadpool(hub.logins.verify, username, password, None, address)
                and known
            )
        except DomainError as exc:
            return render(request, "login.html", None, status_of(exc), error=exc, next=target,
                          username=username)  # fmt: skip
        if not ok:
            error = DomainError("LOGIN_FAILED", "用户名或密码错误")
            return render(request, "login.html", None, 401, error=error, next=target,
                          username=username)  # fmt: skip
        session = hub.logins.open_session(username)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            "hub_session", session.token, httponly=True, samesite="lax",
            secure=hub.config.settings.secure_cookies, path="/",
        )  # fmt: skip
        return response

    @pages.post("/logout")
    async def logout(request: Request) -> Response:
        caller = await who(request)
        if caller is not None:
            await check_csrf(request, caller)
            hub.logins.close_session(request.cookies.get("hub_session", ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie("hub_session", path="/")
        return response

    # -- pages ---------------------------------------------------------------------------

    @pages.get("/console")
    async def dashboard(request: Request) -> Response:
        caller = await staff(request)
        mine, _ = await run_in_threadpool(
            hub.articles.search, ArticleQuery(author=caller.user_id, limit=50),
            visibility(hub, caller.user_id),
        )  # fmt: skip
        queue = await run_in_threadpool(hub.articles.review_queue, caller.user_id)
        return render(request, "dashboard.html", caller, mine=mine[:50], queue=queue)

    @pages.get("/console/articles")
    async def articles(request: Request) -> Response:
        """Finding work: full text, filters, pages by cursor (the API's search)."""
        caller = await staff(request)
        actor = directory.acting(caller.user_id)
        params = {name: request.query_params.get(name, "")[:100] for name in _SEARCH_FIELDS}
        try:
            query = article_query(
                hub, params["q"], params["site"] or None, params["column"] or None,
                params["status"] or None, params["author"] or None, params["stage"] or None,
                _date(params["from"]), _date(params["to"]), params["channel"] or None,
                params["cursor"] or None, 50,
            )  # fmt: skip
            items, next_cursor = await run_in_threadpool(
                hub.articles.search, query, visibility(hub, caller.user_id))  # fmt: skip
        except DomainError as exc:
            items, next_cursor, error = [], None, exc
        else:
            error = None
        sites = [s for s in directory.sites if can_see_site(actor, s.code)]
        authors = sorted({u for s in sites for u in _site_users(directory, s.key)})
        more = urlencode({**{k: v for k, v in params.items() if v}, "cursor": next_cursor}
                         ) if next_cursor else ""  # fmt: skip
        return render(request, "articles.html", caller, 400 if error else 200, items=items,
                      sites=sites, params=params, error=error, next_page=more,
                      authors=authors, channels=list(CHANNEL_LABELS.items()))  # fmt: skip

    @pages.get("/console/keepalive")
    async def keepalive(request: Request) -> Response:
        """A page's 保持登录: the session's idle timer restarts (any request of it does)."""
        await staff(request)
        return Response(status_code=204)

    @pages.post("/console/articles/{article_id}/presence")
    async def presence(request: Request, article_id: str) -> Response:
        """An open edit form says it is there; the answer names the others editing it now."""
        caller = await staff(request)
        target = await run_in_threadpool(visible, caller, article_id[:80])
        others = EDITING.seen(target, caller.user_id)
        names = [directory.user_name(u) for u in others]
        return Response(json.dumps({"others": names}, ensure_ascii=False),
                        media_type="application/json")  # fmt: skip

    @pages.get("/console/reviews")
    async def reviews(request: Request) -> Response:
        """The reviewer's queue by site and stage (oldest first within each)."""
        caller = await staff(request)
        queue = await run_in_threadpool(hub.articles.review_queue, caller.user_id)
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for item in queue:
            groups.setdefault((item["site"], item["stage_name"]), []).append(item)
        ordered = [{"site": site, "stage": stage, "entries": items}
                   for (site, stage), items in sorted(groups.items())]  # fmt: skip
        return render(request, "reviews.html", caller, groups=ordered)

    def placements(user_id: str) -> list[tuple[Any, list[tuple[Any, int]]]]:
        actor = directory.acting(user_id)
        return [
            (site, [(column, len(parents)) for column, parents in site.walk()])
            for site in directory.sites
            if Role.EDITOR in actor.roles_on(site.code)
        ]

    def form_page(request: Request, caller: Caller, form: dict[str, Any], *, article: Any = None,
                  error: DomainError | None = None,
                  notes: list[str] | None = None) -> HTMLResponse:  # fmt: skip
        action = f"/console/articles/{article['id']}/edit" if article else "/console/articles/new"
        return render(
            request, "article_form.html", caller, 400 if error else 200, form=form,
            article=article, action=action, error=error, placements=placements(caller.user_id),
            sensitivities=list(SENSITIVITY_LABELS.items()), notes=notes or [],
            disclosures=list(DISCLOSURE_LABELS.items()), exemptions=list(PII_LABELS.items()),
        )  # fmt: skip

    @pages.get("/console/articles/new")
    async def new_article(request: Request) -> Response:
        caller = await staff(request)
        return form_page(request, caller, _NEW_FORM)

    @pages.post("/console/articles/import")
    async def import_article(request: Request) -> Response:
        """A Word document fills the new-article form; the editor checks it and saves."""
        caller = await staff(request)
        form = await request.form()
        upload = form.get("file")
        values: dict[str, Any] = dict(_NEW_FORM)
        try:
            require_writer(directory.acting(caller.user_id))
            if not isinstance(upload, StarletteUpload) or not upload.filename:
                raise DomainError("IMPORT_NOT_DOCX", "请选择要导入的 Word 文档（.docx）")
            data = await upload.read(MAX_ATTACHMENT_BYTES + 1)
            document = await run_in_threadpool(import_docx, data, upload.filename, hub.media)
        except DomainError as exc:
            return form_page(request, caller, values, error=exc)
        values.update(title=document.title, body_html=document.body_html,
                      **{k: v for k, v in vars(document.fields).items() if v})  # fmt: skip
        notes = [f"已导入《{upload.filename}》，图片 {len(document.images)} 张；请核对后保存"]
        return form_page(request, caller, values, notes=notes + document.messages)

    @pages.post("/console/articles/new")
    async def create_article(request: Request) -> Response:
        caller = await staff(request)
        form = await request.form()
        values = _article_form(form)
        try:
            site, _, column = _field(form, "column", 200).partition("/")
            if not site or not column:
                raise DomainError("COLUMN_REQUIRED", "请选择站点与栏目")
            result = await run_in_threadpool(
                hub.articles.create, caller.user_id, site, [column] if column else [],
                values["title"], values["body_html"], _metadata(values),
            )  # fmt: skip
        except DomainError as exc:
            values["column"] = _field(form, "column", 200)
            return form_page(request, caller, values, error=exc)
        return _back(result.article_id, "saved")

    @pages.get("/console/articles/{article_id}")
    async def article_page(request: Request, article_id: str) -> Response:
        caller = await staff(request)
        return await run_in_threadpool(article_view, request, caller, article_id[:80], None)

    def visible(caller: Caller, article_ref: str) -> str:
        return visible_article(hub, caller.user_id, article_ref)

    def article_view(
        request: Request, caller: Caller, article_ref: str, error: DomainError | None
    ) -> HTMLResponse:
        try:
            article_id = visible(caller, article_ref)
        except DomainError as exc:
            return render(request, "dashboard.html", caller, status_of(exc), error=exc,
                          mine=[], queue=[])  # fmt: skip
        state, _ = hub.articles.state(article_id)
        show = hub.articles.show(article_id)
        stage = state.current_stage
        actor = directory.acting(caller.user_id)
        live_sites = hub.publishing.target_sites(state.live.targets if state.live else ())
        offered = [
            n for n in _OFFERED.get(state.status, ()) if may(n, actor, state, utc_now(), live_sites)
        ]
        can_edit = state.status in (ArticleStatus.DRAFT, ArticleStatus.RETURNED,
                                    ArticleStatus.APPROVED, ArticleStatus.PUBLISHED) and bool(
            {Role.EDITOR, Role.ADMIN} & actor.roles_on(state.site))  # fmt: skip
        return render(
            request, "article.html", caller, status_of(error) if error else 200, a=show,
            stage=stage, offered=offered, labels={n: a.label for n, a in ACTIONS.items()},
            can_edit=can_edit, timeline=hub.articles.timeline(article_id),
            findings=[f.model_dump(mode="json") for f in state.findings],
            overridden=state.overridden, fixable=any(f.fix for f in state.findings),
            marked_body=mark_findings(show["body_html"], state.findings),
            diff=previous_diff(article_id, state.revision, show["body_html"]), error=error,
            plan=publication_plan(state, actor) if "publish" in offered else None,
            previews=preview_targets(hub, state) if state.content else [],
        )  # fmt: skip

    def publication_plan(state: Any, actor: Any) -> dict[str, Any]:
        """What the publish form offers: the columns of every site where the user publishes
        (the article's own checked, its site first, 一稿多发 to the others), those sites'
        accounts, and the time."""
        own = {f"{s.key}/{c}" for s in directory.sites if s.code == state.site
               for c in state.columns}  # fmt: skip
        mine = {s.code for s in directory.sites if publishes_on(actor, s.code)}
        sites = sorted(
            (s for s in directory.sites if s.code in mine), key=lambda s: s.code != state.site
        )
        site_keys = {s.key: s.code for s in directory.sites}
        refusals = preflight(hub, state)
        return {
            "sites": [
                {"name": site.name, "own": site.code == state.site,
                 "columns": [{"ref": f"{site.key}/{column.id}", "name": column.name,
                              "depth": len(parents), "checked": f"{site.key}/{column.id}" in own}
                             for column, parents in site.walk()]}
                for site in sites
            ],
            "accounts": [
                {"ref": f"{a.channel}:{a.id}", "name": a.name,
                 "channel": CHANNEL_LABELS.get(a.channel, str(a.channel)),
                 "problems": refusals.get(f"{a.channel}:{a.id}", [])}
                for a in directory.accounts
                if a.channel in hub.adapters  # channels this hub can deliver to
                and site_keys.get(a.site, a.site) in mine
            ],
        }  # fmt: skip

    @pages.get("/console/articles/{article_id}/preview")
    async def preview(request: Request, article_id: str, target: str = "") -> Response:
        caller = await staff(request)

        def page() -> str:
            state, _ = hub.articles.state(visible(caller, article_id[:80]))
            return render_preview(hub, state, target[:200])

        try:
            html = await run_in_threadpool(page)
        except DomainError as exc:
            return render(request, "dashboard.html", caller, status_of(exc), error=exc,
                          mine=[], queue=[])  # fmt: skip
        return HTMLResponse(html, headers=PREVIEW_HEADERS)

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

    @pages.get("/console/articles/{article_id}/edit")
    async def edit_form(request: Request, article_id: str) -> Response:
        caller = await staff(request)
        try:
            show = await run_in_threadpool(hub.articles.show, visible(caller, article_id[:80]))
        except DomainError as exc:
            return render(request, "dashboard.html", caller, status_of(exc), error=exc,
                          mine=[], queue=[])  # fmt: skip
        meta = show["metadata"]
        form = {**meta, "title": show["title"], "body_html": show["body_html"],
                "keywords": "，".join(meta.get("keywords") or []),
                "written_date": meta.get("written_date") or ""}  # fmt: skip
        return form_page(request, caller, form, article=show)

    @pages.post("/console/articles/{article_id}/edit")
    async def edit_article(request: Request, article_id: str) -> Response:
        caller = await staff(request)
        values = _article_form(await request.form())
        try:
            target = visible(caller, article_id[:80])
            await run_in_threadpool(
                lambda: hub.articles.edit(caller.user_id, target, title=values["title"],
                                          body_html=values["body_html"],
                                          metadata=_metadata(values)))  # fmt: skip
        except DomainError as exc:
            show = hub.articles.show(article_id) if exc.code != "ARTICLE_NOT_FOUND" else None
            return form_page(request, caller, values, article=show, error=exc)
        return _back(target, "revised")

    @pages.post("/console/articles/{article_id}/{action}")
    async def run_action(request: Request, article_id: str, action: str) -> Response:
        caller = await staff(request)
        chosen = ACTIONS.get(action)
        if chosen is None or action == "edit":
            return render(request, "dashboard.html", caller, 404, mine=[], queue=[],
                          error=DomainError("COMMAND_UNKNOWN", f"没有操作 {action}"))  # fmt: skip
        form = await request.form()
        try:
            body = chosen.body.model_validate(_action_body(action, form))
            target = visible(caller, article_id[:80])
            await run_in_threadpool(chosen.run, hub, caller.user_id, target, body)
        except ValidationError as exc:
            return await run_in_threadpool(article_view, request, caller, article_id[:80],
                                           invalid_input(exc))  # fmt: skip
        except DomainError as exc:
            return await run_in_threadpool(article_view, request, caller, article_id[:80], exc)
        return _back(target, action)

    # -- the operator's board ------------------------------------------------------------

    def board_rows(caller: Caller, article: str, account: str, status: str) -> list[dict[str, Any]]:
        rows = hub.delivery_service.list(article or None, account or None, status or None, 500)
        rows = visible_deliveries(hub, caller.user_id, rows)
        titles = hub.articles.titles({r["article_id"] for r in rows})
        return [{**r, "title": titles.get(r["article_id"], "")} for r in rows]

    @pages.get("/console/deliveries")
    async def deliveries(request: Request, article: str = "", account: str = "",
                         status: str = "") -> Response:  # fmt: skip
        caller = await staff(request)
        article, account, status = article[:80], account[:80], status[:40]
        try:
            rows = await run_in_threadpool(board_rows, caller, article, account, status)
            error = None
        except DomainError as exc:
            rows, error = [], exc
        actor = directory.acting(caller.user_id)
        health = [a for a in await run_in_threadpool(hub.delivery_service.accounts)
                  if can_see_site(actor, a["site"])]  # fmt: skip
        since = await run_in_threadpool(hub.delivery_service.latest_change)
        query = urlencode({"article": article, "account": account, "status": status,
                           "since": since})  # fmt: skip
        return render(request, "deliveries.html", caller, rows=rows, article=article,
                      account=account, status=status, error=error, health=health,
                      delivery_labels=DELIVERY_STATUS_LABELS, channel_labels=CHANNEL_LABELS,
                      stream=f"/console/deliveries/stream?{query}")  # fmt: skip

    @pages.get("/console/deliveries/stream")
    async def delivery_stream(request: Request, article: str = "", account: str = "",
                              status: str = "", since: str = "") -> Response:  # fmt: skip
        """The board's live rows (from the process's one poller) and counts over every
        delivery its filter covers, per channel and per site."""
        caller = await who(request)
        if caller is None:
            return Response("请先登录", status_code=401, media_type="text/plain")
        row_template = TEMPLATES.get_template("console/delivery_row.html")
        article, account, status, since = article[:80], account[:80], status[:40], since[:40]
        actor = directory.acting(caller.user_id)

        def wants(row: dict[str, Any]) -> bool:
            return (
                (not article or row["article_id"] == article)
                and (not account or Target.parse(row["target"]).account == account)
                and (not status or row["status"] == status)
                and can_see_site(actor, delivery_site(hub.delivery_service, row["target"]))
            )

        def counts() -> str:
            rollup = hub.delivery_service.rollup(article or None, account or None,
                                                 status or None)  # fmt: skip
            return json.dumps(_rollup_text(rollup, actor, directory), ensure_ascii=False)

        async def events() -> AsyncIterator[str]:
            subscriber = await board.subscribe(wants, since)
            seen: dict[str, tuple[Any, ...]] = {}
            try:
                yield "retry: 2000\n\n"
                yield f"event: counts\ndata: {await run_in_threadpool(counts)}\n\n"
                while not await request.is_disconnected():
                    try:
                        rows = await asyncio.wait_for(subscriber.queue.get(), timeout=15)
                    except TimeoutError:
                        yield ": ping\n\n"
                        continue
                    titles = await run_in_threadpool(
                        hub.articles.titles, {r["article_id"] for r in rows})  # fmt: skip
                    for row in rows:
                        key = (row["status"], row["attempts"], row["last_error"], row["url"])
                        if seen.get(row["id"]) == key:
                            continue
                        seen[row["id"]] = key
                        html = row_template.render(
                            d={**row, "title": titles.get(row["article_id"], "")}, csrf="")  # fmt: skip
                        yield f"event: delivery\ndata: {json.dumps({'id': row['id'], 'html': html})}\n\n"
                    yield f"event: counts\ndata: {await run_in_threadpool(counts)}\n\n"
            finally:
                board.leave(subscriber)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})  # fmt: skip

    @pages.post("/console/deliveries/bulk")
    async def bulk(request: Request) -> Response:
        """Retry or cancel the selected deliveries, or every one the board's filter shows."""
        caller = await staff(request)
        form = await request.form()
        action, scope = _field(form, "action", 10), _field(form, "scope", 10)
        article, account, status = (_field(form, n, 80) for n in ("article", "account", "status"))
        ids = [v[:80] for v in form.getlist("ids") if isinstance(v, str)][:5000]

        def run() -> dict[str, Any]:
            chosen = ids
            if scope == "filter":
                chosen = [r["id"] for r in board_rows(caller, article, account, status)]
            if not chosen:
                raise DomainError("INVALID_INPUT", "请先勾选投递，或使用“对当前筛选的全部投递执行”")
            return hub.delivery_service.bulk(caller.user_id, action, chosen,
                                             _field(form, "reason", 500))  # fmt: skip

        try:
            outcome = await run_in_threadpool(run)
        except DomainError as exc:
            outcome, error = None, exc
        else:
            refused = outcome["refused"]
            error = DomainError("BULK_PARTIAL", f"已处理 {len(outcome['done'])} 个，"
                                f"{len(refused)} 个未处理：" + "；".join(
                                    f"{r['id'][-8:]} {r['message']}" for r in refused[:10]),
                                ) if refused else None  # fmt: skip
        if error is None:
            query = urlencode({"article": article, "account": account, "status": status,
                               "done": "bulk"})  # fmt: skip
            return RedirectResponse(f"/console/deliveries?{query}", 303)
        rows = await run_in_threadpool(board_rows, caller, article, account, status)
        return render(request, "deliveries.html", caller, status_of(error), rows=rows,
                      article=article, account=account, status=status, error=error, health=[],
                      delivery_labels=DELIVERY_STATUS_LABELS, channel_labels=CHANNEL_LABELS,
                      stream="/console/deliveries/stream")  # fmt: skip

    @pages.post("/console/deliveries/{delivery_id}/{operation}")
    async def operate(request: Request, delivery_id: str, operation: str) -> Response:
        caller = await staff(request)
        form = await request.form()
        reason = str(form.get("reason", ""))[:500]
        service = hub.delivery_service
        operations: dict[str, tuple[str, Callable[[], object]]] = {
            "retry": ("retried", lambda: service.retry(caller.user_id, delivery_id[:80])),
            "cancel": ("cancelled", lambda: service.cancel(caller.user_id, delivery_id[:80], reason)),
        }  # fmt: skip
        done = operations.get(operation, ("", None))[0]
        try:
            if operation not in operations:
                raise DomainError("COMMAND_UNKNOWN", f"没有这个操作：{operation[:40]}")
            await run_in_threadpool(operations[operation][1])
        except DomainError as exc:
            rows = await run_in_threadpool(board_rows, caller, "", "", "")
            return render(request, "deliveries.html", caller, status_of(exc), rows=rows,
                          error=exc, delivery_labels=DELIVERY_STATUS_LABELS,
                          stream="/console/deliveries/stream")  # fmt: skip
        return RedirectResponse("/console/deliveries?" + urlencode({"done": done}), 303)

    return pages


def _field(form: FormData, name: str, limit: int) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _local(target: str) -> str:
    """Only paths of this hub are followed after login (no open redirect), read as a browser
    reads them (`/\t/evil.example` is `//evil.example` to a browser)."""
    link = read_link(target) if target.startswith("/") else None
    if link is None or not link.own_site or any(c in target for c in "\\\t\r\n "):
        return "/console"
    return target


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1] == request.headers.get("host", "")


class Editing:
    """Who has an article's edit form open (this process's view; forms report every 20 s)."""

    WINDOW_S = 60.0

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def seen(self, article_id: str, user: str) -> list[str]:
        """Record `user` on the article; the other users seen within the window."""
        now = time.monotonic()
        with self._lock:
            users = self._seen.setdefault(article_id, {})
            users[user] = now
            for name in [u for u, at in users.items() if now - at > self.WINDOW_S]:
                del users[name]
            return sorted(u for u in users if u != user)


EDITING = Editing()

# What a page may say after a change: a fixed set of codes, never text from the address.
NOTICES: dict[str, str] = {
    "saved": "稿件已保存",
    "revised": "已保存为新版本",
    "retried": "已重试",
    "cancelled": "已取消投递",
    "bulk": "批量操作已完成",
    **{name: f"已{action.label}" for name, action in ACTIONS.items()},
}


_SEARCH_FIELDS = ("q", "site", "column", "status", "author", "stage", "from", "to", "channel",
                  "cursor")  # fmt: skip


def _date(value: str) -> date | None:
    """A date field of the search form; a malformed one is a clear error."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("INVALID_INPUT", f"日期格式有误：{value}（应为 2026-12-01）") from None


def _site_users(directory: Any, site_key: str) -> list[str]:
    return [u.id for u in directory.users if site_key in u.roles]


def _rollup_text(rollup: dict[str, Any], actor: Any, directory: Any) -> dict[str, Any]:
    """The board's counts for people: in all, per channel, per site the user may see."""

    def line(counts: dict[str, int]) -> str:
        return "，".join(f"{DELIVERY_STATUS_LABELS.get(k, k)} {n:,}"
                         for k, n in sorted(counts.items())) or "暂无投递"  # fmt: skip

    return {
        "total": line(rollup["total"][""]),
        "channels": {CHANNEL_LABELS.get(c, c): line(n) for c, n in rollup["channels"].items()},
        "sites": {directory.site_name(s): line(n) for s, n in rollup["sites"].items()
                  if s and can_see_site(actor, s)},
    }  # fmt: skip


def _back(article_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(
        f"/console/articles/{article_id}?" + urlencode({"done": done}), status_code=303
    )


_NEW_FORM = {"sensitivity": "normal", "disclosure_type": "proactive", "pii_exemption": ""}
# Labels of the metadata choices, as the form offers them (government-rules.md 7c).
DISCLOSURE_LABELS = {
    "proactive": "主动公开",
    "on_request": "依申请公开",
    "not_disclosed": "不予公开",
}
PII_LABELS = {"": "无", "punishment": "惩戒公示", "mandatory": "强制性信息披露"}
_TEXT_METADATA = ("source", "author", "summary", "doc_number", "index_number", "issuing_agency",
                  "subject_category", "disclosure_reason")  # fmt: skip
_CHOICE_METADATA = ("sensitivity", "disclosure_type", "pii_exemption")


def _article_form(form: FormData) -> dict[str, Any]:
    text = {name: _field(form, name, 200_000 if name == "body_html" else 2000)
            for name in ("title", "body_html", "keywords", "written_date", *_TEXT_METADATA,
                         *_CHOICE_METADATA)}  # fmt: skip
    return {**text, "major": form.get("major") == "1", "repost": form.get("repost") == "1"}


def _metadata(values: dict[str, Any]) -> dict[str, Any]:
    keywords = [k.strip() for k in re.split(r"[,，;；\s]+", values["keywords"]) if k.strip()]
    meta: dict[str, Any] = {name: values[name] for name in _TEXT_METADATA}
    meta |= {"keywords": keywords, "major": values["major"], "repost": values["repost"],
             "sensitivity": values["sensitivity"] or "normal",
             "disclosure_type": values["disclosure_type"] or "proactive",
             "pii_exemption": values["pii_exemption"],
             "written_date": values["written_date"] or None}  # fmt: skip
    return meta


def _action_body(action: str, form: FormData) -> dict[str, Any]:
    """A form's fields as the action's request body."""
    match action:
        case "approve":
            revision = _field(form, "revision", 12)
            return {
                "gates": [g for g in form.getlist("gates") if isinstance(g, str)],
                "revision": int(revision) if revision.isdigit() else None,
                "content_hash": _field(form, "content_hash", 100) or None,
                "opinion": _field(form, "opinion", 2000),
            }
        case "return":
            reasons = _field(form, "reasons", 5000).splitlines()
            return {"reasons": [r.strip() for r in reasons if r.strip()]}
        case "signoff":
            return {"opinion": _field(form, "opinion", 2000)}
        case "withdraw" | "archive" | "retract":
            return {"reason": _field(form, "reason", 2000)}
        case "publish":
            body: dict[str, Any] = {
                "notify": form.get("notify") == "1",
                "mass_send": form.get("mass_send") == "1",
                "at": _local_time(_field(form, "at", 40)),
                "expire_at": _local_time(_field(form, "expire_at", 40)),
                "to": [t[:200] for t in form.getlist("to") if isinstance(t, str)][:5000],
            }
            if form.get("plan") == "1":  # the plan form: an unticked box sends nothing
                body["feeds"] = form.get("feeds") == "1"
            return body
        case "override":
            return {"finding_id": _field(form, "finding_id", 80),
                    "reason": _field(form, "reason", 500)}  # fmt: skip
        case "fix":
            return {"finding_ids": [f[:80] for f in form.getlist("finding_ids")
                                    if isinstance(f, str)][:200]}  # fmt: skip
        case "reschedule":
            return {
                "at": _local_time(_field(form, "at", 40)),
                "expire_at": _local_time(_field(form, "expire_at", 40)),
                "clear_expiry": form.get("clear_expiry") == "1",
            }
        case _:
            return {}


def _local_time(value: str) -> datetime | None:
    """A `datetime-local` field (Beijing time) as an aware time; empty: None."""
    if not value:
        return None
    try:
        return as_beijing(datetime.fromisoformat(value))
    except ValueError:
        raise DomainError("INVALID_INPUT", f"时间格式有误：{value}") from None
