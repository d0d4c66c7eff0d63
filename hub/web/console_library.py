"""资源库流转 in the console (/console/library): offers and submissions waiting for the user's
sites (adopt into a column, or return with a reason), what the sites took and whether their
sources changed since, and what the user's sites sent out and what became of it. A hit of
资源库检索 is reused (引用到本站) from here, and an article page offers 推送 / 报送上级."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from hub.web.console_page import Console
from hub.web.errors import status_of
from hub.web.security import can_see_site
from workflows.errors import DomainError
from workflows.publication_decider import publishes_on


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, directory = console.hub, console.directory

    def page(user: str) -> dict[str, Any]:
        actor = directory.acting(user)
        mine = [s for s in directory.sites if can_see_site(actor, s.code)]
        codes = [s.code for s in mine]
        incoming = hub.reuse.listing(codes)
        return {
            "waiting": [f for f in incoming if f["status"] == "offered"],
            "taken": [f for f in incoming if f["status"] in ("accepted", "withdrawn")],
            "sent": hub.reuse.listing(codes, incoming=False),
            "columns": {s.code: [(c.id, c.name) for c, _ in s.walk()] for s in mine},
        }

    def done(what: str) -> RedirectResponse:
        return RedirectResponse("/console/library?" + urlencode({"done": what}), status_code=303)

    async def refused_here(request: Request, caller: Any, exc: DomainError) -> Response:
        data = await run_in_threadpool(page, caller.user_id)
        return console.render(request, "library.html", caller, status_of(exc), error=exc, **data)

    @pages.get("/console/library")
    async def library_page(request: Request) -> Response:
        caller = await console.staff(request)
        data = await run_in_threadpool(page, caller.user_id)
        return console.render(request, "library.html", caller, **data)

    @pages.post("/console/library/{flow_id}/accept")
    async def accept(request: Request, flow_id: str) -> Response:
        caller = await console.staff(request)
        form = await request.form()
        columns = [c for c in form.getlist("columns") if isinstance(c, str) and c][:20]
        try:
            if not columns:
                raise DomainError("COLUMN_REQUIRED", "请选择采用到本站的栏目")
            await run_in_threadpool(hub.reuse.accept, caller.user_id, flow_id[:80], columns)
        except DomainError as exc:
            return await refused_here(request, caller, exc)
        return done("adopted")

    @pages.post("/console/library/{flow_id}/decline")
    async def decline(request: Request, flow_id: str) -> Response:
        caller = await console.staff(request)
        form = await request.form()
        reason = str(form.get("reason") or "")[:500]
        try:
            await run_in_threadpool(hub.reuse.decline, caller.user_id, flow_id[:80], reason)
        except DomainError as exc:
            return await refused_here(request, caller, exc)
        return done("declined_flow")

    @pages.post("/console/library/reuse")
    async def reuse(request: Request) -> Response:
        caller = await console.staff(request)
        form = await request.form()
        article = str(form.get("article") or "")[:80]
        to = str(form.get("to") or "")[:200]
        try:
            await run_in_threadpool(lambda: hub.reuse.reuse(caller.user_id, article, [to]))
        except DomainError as exc:
            return await refused_here(request, caller, exc)
        return done("reused")

    @pages.post("/console/library/offer")
    async def offer(request: Request) -> Response:
        caller = await console.staff(request)
        form = await request.form()
        article = str(form.get("article") or "")[:80]
        to_site = str(form.get("to_site") or "")[:40]
        note = str(form.get("note") or "")[:2000]
        try:
            article_id = console.visible(caller, article)
            if to_site == "parent":
                await run_in_threadpool(hub.reuse.submit, caller.user_id, article_id, note)
            else:
                await run_in_threadpool(hub.reuse.offer, caller.user_id, article_id, to_site, note)
        except DomainError as exc:
            return await refused_here(request, caller, exc)
        return done("offered")

    return pages


def reuse_choices(console: Console, user: str, source_site: str) -> list[tuple[str, str]]:
    """Where the user may place an article of `source_site`: `site/column` and its name."""
    directory = console.directory
    actor = directory.acting(user)
    return [(f"{s.key}/{c.id}", f"{s.name} · {c.name}") for s in directory.sites
            if s.key != source_site and publishes_on(actor, s.code) for c, _ in s.walk()]  # fmt: skip
