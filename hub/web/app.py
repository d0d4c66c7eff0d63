"""The hub's ASGI application: each site's pages, the app feed API and the screen API.

FastAPI (on Starlette) because the HTTP API must describe itself in OpenAPI for machines,
and its request models are the pydantic models the hub already uses."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from hub.runtime import EmbeddedHub
from hub.web import app_feed, screens
from hub.web.pages import TEMPLATES
from workflows.publication import Channel


def create_app(hub: EmbeddedHub) -> FastAPI:
    app = FastAPI(
        title="发布中枢", version="0.1.0", docs_url="/api/docs", openapi_url="/api/openapi.json"
    )
    directory = hub.config.directory
    apps = {a.id for a in directory.accounts if a.channel is Channel.APP}
    walls = {a.id: a.name for a in directory.accounts if a.channel is Channel.SCREEN}
    app.include_router(app_feed.router(hub.app_feed, apps))
    app.include_router(screens.router(hub.playlists, walls, hub.screen_token))

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

    for site in directory.sites:
        docroot = hub.config.sites_root / site.key
        docroot.mkdir(parents=True, exist_ok=True)
        app.mount(f"/sites/{site.key}", StaticFiles(directory=docroot, html=True), site.key)
    return app
