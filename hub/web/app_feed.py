"""The app feed API (research/channel-protocols.md 3.4): incremental sync by cursor, with
tombstones for retractions, and ETag/304 so an app that polls pays nothing when idle."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from channels.app.feed import AppFeed
from hub.web.api_models import Feed, FeedArticle
from hub.web.limits import MAX_CURSOR

MAX_LIMIT = 200


def router(feed: AppFeed, apps: set[str]) -> APIRouter:
    api = APIRouter(prefix="/app/v1", tags=["移动客户端"])

    def known(app: str) -> str:
        if app not in apps:
            raise HTTPException(404, detail={"code": "APP_UNKNOWN", "message": f"未知客户端 {app}"})
        return app

    @api.get("/feed", response_model=Feed, summary="增量同步稿件（游标）")
    def get_feed(
        request: Request,
        app: str = Query(description="客户端账号，如 sf-app"),
        since: int = Query(0, ge=0, le=MAX_CURSOR, description="上次同步得到的 next_cursor"),
        limit: int = Query(50, ge=1, le=MAX_LIMIT),
        channel: str | None = Query(None, description="只看某一栏目"),
    ) -> Response:
        known(app)
        head = feed.head(app)
        tag = hashlib.sha256(f"{app}|{since}|{limit}|{channel}|{head}".encode()).hexdigest()[:20]
        etag = f'"{tag}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        changes, more = feed.changes(app, since, limit, channel)
        return JSONResponse(
            {
                "items": [c.as_json() for c in changes if c.status == "published"],
                "deleted": [
                    {"id": c.article_id, "deleted_at": c.updated_at}
                    for c in changes
                    if c.status == "retracted"
                ],
                "next_cursor": str(changes[-1].seq if changes else max(since, 0)),
                "has_more": more,
            },
            headers=headers,
        )

    @api.get("/articles/{article_id}", response_model=FeedArticle, summary="稿件全文")
    def get_article(article_id: str, app: str = Query()) -> JSONResponse:
        item = feed.get(known(app), article_id)
        if item is None:
            raise HTTPException(404, detail={"code": "ARTICLE_NOT_FOUND", "message": "稿件不存在"})
        return JSONResponse(item.as_json(), status_code=410 if item.status == "retracted" else 200)

    return api
