"""The large-screen API (research/channel-protocols.md 4.2): the playlist (ETag/304), a
server-sent event stream of changes resumable with Last-Event-ID, heartbeats, and a display
page for a wall. Every call needs the screen's own read-only token as a Bearer header, or the
screen-bound session cookie the display page trades it for: the page is opened as
`display#token=…` (a fragment never reaches a server, a log or a Referer), posts the token to
`session`, forgets the fragment, and its EventSource (which cannot send headers) then carries
a cookie that is signed with the screen's token, bound to that screen's path and short-lived."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field

from channels.screen.playlist import Playlists
from hub.web.api_models import EVENT_STREAM, Playlist
from hub.web.limits import MAX_CURSOR
from hub.web.pages import TEMPLATES

SCREEN_TOKEN = HTTPBearer(
    scheme_name="screen_token", auto_error=False,
    description="大屏只读令牌（hub serve 打印）；播放页以 session 换取仅限该屏的 Cookie",
)  # fmt: skip
POLL_INTERVAL_S = 30
SESSION_S = 12 * 3600  # a display's cookie; the page renews it every hour
_COOKIE = "hub_screen"
PING_S = 15.0
WATCH_S = 0.25  # how often a stream looks for new changes


class Heartbeat(BaseModel):
    version_seen: int = Field(ge=0, le=MAX_CURSOR)
    item_on_air: str = Field(default="", max_length=64)
    ts: str = Field(default="", max_length=40)


def router(
    playlists: Playlists, screens: dict[str, str], token_of: Callable[[str], str]
) -> APIRouter:
    """`screens` maps screen ids to their names."""
    api = APIRouter(prefix="/screen/v1/screens", tags=["大屏"],
                    dependencies=[Depends(SCREEN_TOKEN)])  # declares the scheme  # fmt: skip

    def authorised(screen: str, request: Request) -> str:
        if screen not in screens:
            raise HTTPException(404, detail={"code": "SCREEN_UNKNOWN", "message": "未知大屏"})
        header = request.headers.get("authorization", "")
        given = header[7:] if header.startswith("Bearer ") else ""
        if given and hmac.compare_digest(given, token_of(screen)):
            return screen
        if not _valid_session(request.cookies.get(_COOKIE, ""), screen, token_of(screen)):
            raise HTTPException(
                401,
                detail={"code": "SCREEN_TOKEN_INVALID", "message": "大屏令牌无效"},
                headers={"WWW-Authenticate": "Bearer"},
            )
        return screen

    @api.get("/{screen}/playlist", response_model=Playlist, summary="当前播放列表")
    def playlist(screen: str, request: Request) -> Response:
        authorised(screen, request)
        version, items = playlists.playlist(screen, datetime.now(UTC).isoformat())
        headers = {"ETag": f'"{version}"', "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == f'"{version}"':
            return Response(status_code=304, headers=headers)
        body = {"screen_id": screen, "version": version,
                "generated_at": datetime.now(UTC).isoformat(),
                "poll_interval_s": POLL_INTERVAL_S, "items": items}  # fmt: skip
        return JSONResponse(body, headers=headers)

    @api.get("/{screen}/events", response_class=StreamingResponse, responses=EVENT_STREAM,
             summary="变更事件流（SSE）")  # fmt: skip
    async def events(screen: str, request: Request) -> StreamingResponse:
        authorised(screen, request)
        start = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
        try:
            seen = int(start) if start and len(start) < 20 else playlists.head(screen)
        except ValueError:
            seen = playlists.head(screen)
        if not 0 <= seen <= MAX_CURSOR:
            seen = playlists.head(screen)
        return StreamingResponse(
            _stream(playlists, screen, seen, request),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @api.post("/{screen}/heartbeat", status_code=204, summary="心跳")
    def heartbeat(screen: str, beat: Heartbeat, request: Request) -> Response:
        authorised(screen, request)
        playlists.heartbeat(screen, beat.version_seen, beat.item_on_air,
                            datetime.now(UTC).isoformat())  # fmt: skip
        return Response(status_code=204)

    @api.post("/{screen}/session", status_code=204, summary="以令牌换取播放页会话 Cookie")
    def session(screen: str, request: Request) -> Response:
        authorised(screen, request)
        answer = Response(status_code=204)
        answer.set_cookie(
            _COOKIE, _session_value(screen, token_of(screen), int(time.time()) + SESSION_S),
            max_age=SESSION_S, path=f"/screen/v1/screens/{screen}/", httponly=True,
            samesite="strict",
        )  # fmt: skip
        return answer

    @api.get("/{screen}/display", response_class=HTMLResponse, summary="大屏播放页")
    def display(screen: str) -> HTMLResponse:
        """The wall's page (nothing secret in it): open it as `display#token=…`."""
        if screen not in screens:
            raise HTTPException(404, detail={"code": "SCREEN_UNKNOWN", "message": "未知大屏"})
        page = TEMPLATES.get_template("screen_display.html").render(screen=screen)
        return HTMLResponse(page, headers={"Referrer-Policy": "no-referrer"})

    return api


async def _stream(
    playlists: Playlists, screen: str, seen: int, request: Request
) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"
    quiet = 0.0
    while not await request.is_disconnected():
        changes = await asyncio.to_thread(playlists.changes_after, screen, seen)
        for change in changes:
            data = json.dumps(change.data, ensure_ascii=False)
            yield f"id: {change.version}\nevent: {change.kind}\ndata: {data}\n\n"
            seen = change.version
        if changes:
            quiet = 0.0
            continue
        await asyncio.sleep(WATCH_S)
        quiet += WATCH_S
        if quiet >= PING_S:
            quiet = 0.0
            yield ": ping\n\n"


def _session_value(screen: str, token: str, expires: int) -> str:
    mac = hmac.new(token.encode(), f"{screen}|{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{mac}"


def _valid_session(value: str, screen: str, token: str) -> bool:
    expires, _, _mac = value.partition(".")
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(value, _session_value(screen, token, int(expires)))
