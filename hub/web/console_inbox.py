"""The console's notifications (通知): what happened to the work orders of the user's sites
(found, dispatched, returned, extended, closed) and, for supervisors, the orders waiting for
their re-check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from hub.runtime.clock import utc_now
from hub.web.console_page import Console


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    inbox = console.hub.inbox

    @pages.get("/console/notifications")
    async def notifications(request: Request) -> Response:
        caller = await console.staff(request)
        items = await run_in_threadpool(inbox.latest, caller.user_id, 200)
        return console.render(request, "notifications.html", caller, items=items)

    @pages.post("/console/notifications/read")
    async def read_all(request: Request) -> Response:
        caller = await console.staff(request)
        await run_in_threadpool(inbox.mark_read, caller.user_id, utc_now())
        return RedirectResponse("/console/notifications", 303)

    return pages
