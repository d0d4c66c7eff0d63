"""Logging in and out of the console (a session cookie; failures counted per user and per
address before the password is checked, see hub/web/logins.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from hub.web.console_page import Console, field
from hub.web.errors import status_of
from hub.web.security import check_csrf
from workflows.checks.links import read_link
from workflows.errors import DomainError


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, render = console.hub, console.render

    @pages.get("/login")
    async def login_form(request: Request, next: str = "/console") -> Response:
        return render(request, "login.html", None, next=local_path(next), username="")

    @pages.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = field(form, "username", 64), field(form, "password", 256)
        target = local_path(field(form, "next", 500) or "/console")
        if not same_origin(request):
            error = DomainError("CSRF_FAILED", "登录请求来源不明，请从登录页登录")
            return render(request, "login.html", None, 403, error=error, next=target,
                          username=username)  # fmt: skip
        try:
            known = username in {u.id for u in console.directory.users}
            address = request.client.host if request.client else ""
            ok = (
                await run_in_threadpool(hub.logins.verify, username, password, None, address)
                and known
            )
        except DomainError as exc:
            return render(request, "login.html", None, status_of(exc), error=exc, next=target,
                          username=username)  # fmt: skip
        if not ok:
            error = DomainError("LOGIN_FAILED", "用户名或密码错误")
            return render(request, "login.html", None, 401, error=error, next=target,
                          username=username)  # fmt: skip
        session = hub.logins.open_session(username)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            "hub_session", session.token, httponly=True, samesite="lax",
            secure=hub.config.settings.secure_cookies, path="/",
        )  # fmt: skip
        return response

    @pages.post("/logout")
    async def logout(request: Request) -> Response:
        caller = await console.who(request)
        if caller is not None:
            await check_csrf(request, caller)
            hub.logins.close_session(request.cookies.get("hub_session", ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie("hub_session", path="/")
        return response

    return pages


def local_path(target: str) -> str:
    """Only paths of this hub are followed after login (no open redirect), read as a browser
    reads them (`/\t/evil.example` is `//evil.example` to a browser)."""
    link = read_link(target) if target.startswith("/") else None
    if link is None or not link.own_site or any(c in target for c in "\\\t\r\n "):
        return "/console"
    return target


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1] == request.headers.get("host", "")
