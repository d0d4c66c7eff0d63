"""Time-travel in the console (/console/live): what a site, a column or an account of the
user's sites showed at a moment — each article's revision, since when it was out, when that
revision went out, who reviewed, approved and signed it (hub/queries/live_at.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from hub.queries.live_at import LiveItem, live_at, moment_of, place_of
from hub.runtime.clock import utc_now
from hub.web.console_page import Console
from hub.web.security import can_see_site
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
        where = place_of(directory, site, params.get("column") or None, account)
        if not can_see_site(actor, where.owner):
            raise DomainError("SITE_ROLE_REQUIRED", "只能回看本人有角色的站点及其账号")
        moment = moment_of(at)
        hub.catch_up()
        items: list[LiveItem] = live_at(hub.store, moment, site=where.site, column=where.column,
                                        account=where.account)  # fmt: skip
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
