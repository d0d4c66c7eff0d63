"""Response headers every answer of the hub gets unless its route set its own: no framing of
the staff pages by other sites (clickjacking), no caching of private pages, no Referer with
addresses to other sites, no type sniffing."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_PRIVATE = ("/console", "/login", "/logout", "/api/")
_EVERYWHERE = {b"referrer-policy": b"same-origin", b"x-content-type-options": b"nosniff"}
_STAFF = {
    b"x-frame-options": b"SAMEORIGIN",  # the console frames its own previews
    b"content-security-policy": b"frame-ancestors 'self'",
    b"cache-control": b"no-store",
}
_LOGIN = {
    b"x-frame-options": b"DENY",
    b"content-security-policy": b"frame-ancestors 'none'",
    b"cache-control": b"no-store",
}


def headers_for(path: str) -> dict[bytes, bytes]:
    """The default headers of a path's answers."""
    if path in ("/login", "/logout"):
        return _EVERYWHERE | _LOGIN
    if path.startswith(_PRIVATE):
        return _EVERYWHERE | _STAFF
    return dict(_EVERYWHERE)


class SecurityHeaders:
    """Adds `headers_for(path)` to every HTTP answer that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = headers_for(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in defaults.items() if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
