"""Time-travel in the console (/console/live): what a site, a column or an account of the
user's sites showed at a moment — each article's revision, since when it was out, when that
revision went out, who reviewed, approved and signed it (hub/queries/live_at.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from hub.runtime.clock import utc_now
from hub.web.console_page import Console
from hub.web.security import can_see_site, live_for
from workflows.beijing_time import BEIJING
from workflows.errors import DomainError


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, directory = console.hub, console.directory

    def answer(user: str, params: dict[str, str]) -> dict[str, Any]:
        actor = directory.acting(user)
        sites = [s for s in directory.sites if can_see_site(actor, s.code)]
        accounts = [a for a in directory.accounts
                    if can_see_site(actor, directory.site(a.site).code)]  # fmt: skip
        if not sites:
            raise DomainError("SITE_ROLE_REQUIRED", "您在任何站点都没有角色")
        at_text = params.get("at", "")
        try:
            at = datetime.fromisoformat(at_text) if at_text else None
        except ValueError:
            raise DomainError("INVALID_INPUT", "时刻格式有误（应为 2026-12-04T09:30）") from None
        account = params.get("account") or None
        site = None if account else (params.get("site") or sites[0].key)
        where, moment, items = live_for(hub, user, site, params.get("column") or None, account,
                                        at)  # fmt: skip
        shown = moment.astimezone(BEIJING)
        if where.account:
            label = directory.account(where.account).name
        else:
            site_found = directory.site(str(where.site))
            column = directory.column(site_found, where.column) if where.column else None
            label = site_found.name + (f" · {column.name}" if column else "")
        return {"sites": sites, "accounts": accounts, "items": items, "where": where,
                "moment": shown, "label": label, "at_value": shown.strftime("%Y-%m-%dT%H:%M:%S"),
                "now": utc_now().astimezone(BEIJING)}  # fmt: skip

    @pages.get("/console/live")
    async def live_page(request: Request) -> Response:
        caller = await console.staff(request)
        params = {k: v[:64] for k, v in request.query_params.items()}
        try:
            data = await run_in_threadpool(answer, caller.user_id, params)
        except DomainError as exc:
            return console.refused(request, caller, exc)
        return console.render(request, "live.html", caller, **data)

    return pages
