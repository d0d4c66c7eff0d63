"""资源库检索 in the console (/console/search): the same index the sites' search boxes ask, over
every site, with the site as one more facet; each hit links to its page and (for staff of
its site) to the article."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from hub.web.console_library import reuse_choices
from hub.web.console_page import Console
from hub.web.search_view import search_query, site_search_page


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, directory = console.hub, console.directory

    @pages.get("/console/search")
    async def search_page(request: Request) -> Response:
        caller = await console.staff(request)
        params = {k: v[:100] for k, v in request.query_params.items()}
        page = params.get("page", "1")
        site = params.get("site") or None
        if site is not None and site not in {s.key for s in directory.sites}:
            site = None
        query = search_query(params.get("q", ""), site, params.get("column"),
                             params.get("vertical"), params.get("agency"), params.get("year"),
                             params.get("sort", ""),
                             int(page) if page.isdigit() and len(page) < 6 else 1)  # fmt: skip
        searched = bool(query.q or query.site or query.column or query.vertical
                        or query.agency or query.year)  # fmt: skip
        found = await run_in_threadpool(hub.search.search, query) if searched else None
        context = site_search_page(directory, query, found, with_site=True)
        places = {site.key: reuse_choices(console, caller.user_id, site.key)
                  for site in directory.sites}  # fmt: skip
        return console.render(request, "search.html", caller, sites=directory.sites,
                              places=places, **context)  # fmt: skip

    return pages
