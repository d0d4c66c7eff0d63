"""Finding work in the console: the dashboard (my articles, my review queue), the article
search with its filters and cursor pages, and the reviewer's queue by site and stage."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from hub.delivery.summary import summaries
from hub.queries.article_search import ArticleQuery
from hub.web.console_page import Console
from hub.web.search_params import article_query
from hub.web.security import can_see_site, visibility
from workflows.errors import DomainError
from workflows.publication import CHANNEL_LABELS

SEARCH_FIELDS = ("q", "site", "column", "status", "author", "stage", "from", "to", "channel",
                 "cursor")  # fmt: skip


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, directory, render = console.hub, console.directory, console.render

    @pages.get("/console")
    async def dashboard(request: Request) -> Response:
        caller = await console.staff(request)
        mine, _ = await run_in_threadpool(
            hub.articles.search, ArticleQuery(author=caller.user_id, limit=50),
            visibility(hub, caller.user_id),
        )  # fmt: skip
        queue = await run_in_threadpool(hub.articles.review_queue, caller.user_id)
        # Work orders waiting on the user's sites: to dispatch (supervisors), to fix (staff).
        orders = await run_in_threadpool(
            lambda: [o for o in hub.work_orders.find(status="open", for_user=caller.user_id)
                     if o["status"] == "dispatched"
                     or hub.work_orders.supervises(caller.user_id, str(o["site"]))][:20])  # fmt: skip
        deliveries = await run_in_threadpool(summaries, hub.store, [m["id"] for m in mine[:50]])
        return render(request, "dashboard.html", caller, mine=mine[:50], queue=queue,
                      orders=orders, deliveries=deliveries)  # fmt: skip

    @pages.get("/console/articles")
    async def articles(request: Request) -> Response:
        """Finding work: full text, filters, pages by cursor (the API's search)."""
        caller = await console.staff(request)
        actor = directory.acting(caller.user_id)
        params = {name: request.query_params.get(name, "")[:100] for name in SEARCH_FIELDS}
        error: DomainError | None = None
        try:
            query = article_query(
                hub, params["q"], params["site"] or None, params["column"] or None,
                params["status"] or None, params["author"] or None, params["stage"] or None,
                form_date(params["from"]), form_date(params["to"]), params["channel"] or None,
                params["cursor"] or None, 50,
            )  # fmt: skip
            items, next_cursor = await run_in_threadpool(
                hub.articles.search, query, visibility(hub, caller.user_id))  # fmt: skip
        except DomainError as exc:
            items, next_cursor, error = [], None, exc
        sites = [s for s in directory.sites if can_see_site(actor, s.code)]
        authors = sorted({u.id for u in directory.users for s in sites if s.key in u.roles})
        more = urlencode({**{k: v for k, v in params.items() if v}, "cursor": next_cursor}
                         ) if next_cursor else ""  # fmt: skip
        deliveries = await run_in_threadpool(summaries, hub.store, [i["id"] for i in items])
        return render(request, "articles.html", caller, 400 if error else 200, items=items,
                      deliveries=deliveries, sites=sites, params=params, error=error,
                      next_page=more,
                      authors=authors, channels=list(CHANNEL_LABELS.items()))  # fmt: skip

    @pages.get("/console/reviews")
    async def reviews(request: Request) -> Response:
        """The reviewer's queue by site and stage (oldest first within each)."""
        caller = await console.staff(request)
        queue = await run_in_threadpool(hub.articles.review_queue, caller.user_id)
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for item in queue:
            groups.setdefault((item["site"], item["stage_name"]), []).append(item)
        ordered = [{"site": site, "stage": stage, "entries": items}
                   for (site, stage), items in sorted(groups.items())]  # fmt: skip
        return render(request, "reviews.html", caller, groups=ordered)

    return pages


def form_date(value: str) -> date | None:
    """A date field of the search form; a malformed one is a clear error."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("INVALID_INPUT", f"日期格式有误：{value}（应为 2026-12-01）") from None
