"""The hub's ASGI application: the staff interface (/console), the JSON API (/api/v1), each
site's pages, the app feed API and the screen API.

FastAPI (on Starlette) because the HTTP API must describe itself in OpenAPI for machines,
and its request models are the pydantic models the hub already uses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from channels.website.adapter import WebsiteAdapter
from events.log import get_logger
from events.sqlite_store import is_busy
from events.store import StoreBusy, StoreError
from hub.commands.validation_messages import problems
from hub.runtime.embedded import EmbeddedHub
from hub.web import api, app_feed, channel_callbacks, console, media, screens
from hub.web.errors import error_response, http_code, status_of
from hub.web.headers import SecurityHeaders
from hub.web.limits import BodyLimit, BodyTooLarge, Commands
from hub.web.pages import TEMPLATES
from hub.web.search_view import search_query, site_search_page
from workflows.errors import DomainError, ErrorCode
from workflows.publication import Channel

log = get_logger(__name__)
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


async def _body_too_large(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, BodyTooLarge) else "请求体过大"
    return error_response(ErrorCode.BODY_TOO_LARGE, message)


def create_app(hub: EmbeddedHub) -> FastAPI:
    app = FastAPI(title="发布中枢", version="0.1.0", docs_url=None, openapi_url="/api/openapi.json")
    # Swagger UI's own files come with the hub (fastapi-offline ships them), so the API's
    # documentation works on a government intranet with no way to a CDN.
    app.mount("/api/docs/static", StaticFiles(directory=DOCS_ASSETS), "api-docs-static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json", title="发布中枢 接口文档",
            swagger_js_url="/api/docs/static/swagger-ui-bundle.js",
            swagger_css_url="/api/docs/static/swagger-ui.css",
            swagger_favicon_url="/api/docs/static/favicon.png",
        )  # fmt: skip

    directory = hub.config.directory
    apps = {a.id for a in directory.accounts if a.channel is Channel.APP}
    walls = {a.id: a.name for a in directory.accounts if a.channel is Channel.SCREEN}
    app.include_router(api.router(hub))
    app.include_router(console.router(hub))
    app.include_router(app_feed.router(hub.app_feed, apps))
    app.include_router(screens.router(hub.playlists, walls, hub.screen_token))
    app.include_router(channel_callbacks.router(hub.delivery_service, hub.wechat_callback,
                                                hub.catch_up))  # fmt: skip
    app.add_exception_handler(console.LoginNeeded, console.to_login)
    app.mount("/console/static", StaticFiles(directory=console.STATIC), "console-static")

    app.add_middleware(Commands, foreground=hub.foreground)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.include_router(media.router(hub))

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        status = status_of(exc)
        if request.url.path.startswith("/console") and status in (401, 403):
            page = TEMPLATES.get_template("console/base.html").render(error=exc, csrf="")
            return HTMLResponse(page, status_code=status)
        return error_response(exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith(("/api/", "/console")):
            # The app feed and screen APIs keep FastAPI's own 422 answer (their contract).
            return await request_validation_exception_handler(request, exc)
        found = [f"{place}: {what}" for place, what in problems(exc.errors())]
        return error_response(ErrorCode.INVALID_INPUT, "输入有误: " + "; ".join(found)[:2000])

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not request.url.path.startswith(("/api/", "/console")):
            return await http_exception_handler(request, exc)
        code = http_code(exc.status_code)
        return error_response(code, str(exc.detail), status=exc.status_code)

    @app.exception_handler(StoreError)
    async def store_failed(request: Request, exc: Exception) -> Response:
        code = exc.code if isinstance(exc, StoreError) else ErrorCode.STORE_ERROR
        log.warning("web.store_error", path=request.url.path, code=code)
        return error_response(code, getattr(exc, "message", "存储暂时不可用"))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        if isinstance(exc, sqlite3.OperationalError) and is_busy(exc):
            busy = StoreBusy()
            return error_response(busy.code, busy.message)
        log.exception("web.unhandled", path=request.url.path)
        return error_response(ErrorCode.INTERNAL, "服务器内部错误，已记录")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        page = TEMPLATES.get_template("home.html").render(
            sites=directory.sites,
            apps=[a for a in directory.accounts if a.channel is Channel.APP],
            screens=[a for a in directory.accounts if a.channel is Channel.SCREEN],
        )
        return HTMLResponse(page)

    website = hub.adapters.get(Channel.WEBSITE)
    website = website if isinstance(website, WebsiteAdapter) else None

    @app.get("/sites/{site_key}/search", response_class=HTMLResponse, include_in_schema=False)
    def site_search(
        site_key: str, q: str = "", column: str | None = None, vertical: str | None = None,
        agency: str | None = None, year: str | None = None, sort: str = "relevance",
        page: str = "1",
    ) -> HTMLResponse:  # fmt: skip
        """A site's search box (一搜即达): what is live on that site, ranked, with facets and
        highlighting, in the site's own theme."""
        site = next((s for s in directory.sites if s.key == site_key[:40]), None)
        if site is None or website is None:
            return HTMLResponse("未知站点", status_code=404)
        config = website.sites[site.code]
        query = search_query(q, site.key, column, vertical, agency, year, sort,
                             int(page) if page.isdigit() and len(page) < 6 else 1)  # fmt: skip
        searched = bool(query.q or query.column or query.vertical or query.agency or query.year)
        found = hub.search.search(query) if searched else None
        context = site_search_page(directory, query, found)
        page_html = website.env_of(config).get_template("search.html").render(
            site=config, root=".", **context)  # fmt: skip
        return HTMLResponse(page_html)

    @app.get("/sites/{site_key}/policies", response_class=HTMLResponse, include_in_schema=False)
    def policy_library(
        site_key: str, q: str = "", subject: str | None = None, agency: str | None = None,
        year: str | None = None, validity: str | None = None, sort: str = "date",
        page: str = "1",
    ) -> HTMLResponse:  # fmt: skip
        """The site's 政策文件库 (一网通查): its policy documents by 主题分类, 发文机关, year and
        有效性 (a page per topic: `?subject=`), newest first, each with its 文号 and 成文日期."""
        site = next((s for s in directory.sites if s.key == site_key[:40]), None)
        if site is None or website is None:
            return HTMLResponse("未知站点", status_code=404)
        config = website.sites[site.code]
        query = search_query(q, site.key, None, "policy", agency, year, sort,
                             int(page) if page.isdigit() and len(page) < 6 else 1,
                             subject=subject, validity=validity)  # fmt: skip
        found = hub.search.search(query)
        context = site_search_page(directory, query, found, path="policies",
                                   shown=("subject", "agency", "year", "validity"))  # fmt: skip
        page_html = website.env_of(config).get_template("policies.html").render(
            site=config, root=".", **context)  # fmt: skip
        return HTMLResponse(page_html)

    for site in directory.sites:
        docroot = hub.config.sites_root / site.key
        docroot.mkdir(parents=True, exist_ok=True)
        app.mount(f"/sites/{site.key}", StaticFiles(directory=docroot, html=True), site.key)
    return app
