"""The size limit of request bodies, counted as they arrive (a chunked body has no length to
check in advance), larger for the upload routes."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.runtime.foreground import Foreground

# The largest position, cursor or version a query may name: exact in JSON numbers and far
# below SQLite's 64-bit integers (a larger one was a 500, not a 400).
MAX_CURSOR = 2**53 - 1
MAX_BODY = 4 * 1024 * 1024  # bytes of one request (an article of 2 MB HTML fits in forms)
MAX_UPLOAD = 24 * 1024 * 1024  # an attachment of 20 MB in a multipart body
UPLOAD_PATHS = ("/api/v1/media", "/api/v1/imports/docx", "/console/articles/import")


class Commands:
    """Counts the requests that change something (not GET or HEAD: those include the board's
    long polls and the screens' event streams) as users' commands in flight, which the
    background work yields to (hub/runtime/foreground.py)."""

    def __init__(self, app: ASGIApp, foreground: Foreground) -> None:
        self.app = app
        self.foreground = foreground

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        with self.foreground.command():
            await self.app(scope, receive, send)


class BodyLimit:
    """Answer 413 (`BODY_TOO_LARGE`) when a body's declared or received size passes the
    limit of its path; the application never sees more than the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = MAX_UPLOAD if scope["path"] in UPLOAD_PATHS else MAX_BODY
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            # Whatever the application made of the cut-off body (FastAPI calls it a parse
            # error), the client is told what happened.
            nonlocal started
            if exceeded:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _too_large(send, limit)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


class BodyTooLarge(Exception):
    """The body passed its limit while being read (the app answers 413, see `too_large`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit
        self.message = f"请求体超过 {limit // 1024 // 1024} MB"


async def _too_large(send: Send, limit: int) -> None:
    message = BodyTooLarge(limit).message
    body = json.dumps(
        {"error": {"code": "BODY_TOO_LARGE", "message": message}}, ensure_ascii=False
    ).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
