"""What every page of the staff interface (工作台) shares: the logged-in caller (a session, never
an API token; a change also carries the session's CSRF token), the page template with the
user's names and roles, and the notices a page may show after a change."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from hub.runtime.embedded import EmbeddedHub
from hub.web.actions import ACTIONS
from hub.web.errors import status_of
from hub.web.pages import TEMPLATES
from hub.web.security import Caller, caller_of, check_csrf, visible_article
from workflows.errors import DomainError
from workflows.vocabulary import GATE_LABELS, ROLE_LABELS, STATUS_LABELS

STATIC = Path(__file__).parent / "static"
TEMPLATES.filters["gate_label"] = lambda gate: GATE_LABELS.get(gate, gate)

# What a page may say after a change: a fixed set of codes, never text from the address.
NOTICES: dict[str, str] = {
    "saved": "稿件已保存",
    "revised": "已保存为新版本",
    "retried": "已重试",
    "cancelled": "已取消投递",
    "bulk": "批量操作已完成",
    "dispatched": "已派单",
    "rectified": "已报告整改，等待自动复核",
    "returned_order": "已退回整改",
    "extended": "已延期",
    "closed_order": "已销号",
    "adopted": "已采用，本站副本已送审",
    "declined_flow": "已退回",
    "reused": "已引用到本站",
    "offered": "已推送（报送）",
    **{name: f"已{action.label}" for name, action in ACTIONS.items()},
}


class LoginNeeded(Exception):
    """A page was asked for without a login: the app answers with the login page."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def to_login(request: Request, exc: Exception) -> Response:
    """The redirect to the login page that brings the user back to `target`."""
    target = exc.target if isinstance(exc, LoginNeeded) else "/console"
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


class Console:
    """The hub as the console's pages use it."""

    def __init__(self, hub: EmbeddedHub) -> None:
        self.hub = hub
        self.directory = hub.config.directory
        # Names, not codes, wherever a person reads them (the code stays on hover).
        TEMPLATES.filters["site_name"] = self.directory.site_name
        TEMPLATES.filters["user_name"] = self.directory.user_name
        TEMPLATES.filters["target_name"] = self.directory.target_name

    def render(self, request: Request, name: str, caller: Caller | None, code: int = 200,
               **context: Any) -> HTMLResponse:  # fmt: skip
        me = self.directory.user(caller.user_id) if caller else None
        roles = []
        if me:
            roles = [(site, "、".join(ROLE_LABELS.get(r, r) for r in rs))
                     for site, rs in me.roles.items()]  # fmt: skip
        done = request.query_params.get("done", "")[:40]
        page = TEMPLATES.get_template(f"console/{name}").render(
            me=me, me_roles=roles, csrf=caller.csrf if caller else "",
            unread=self.hub.inbox.unread(caller.user_id) if caller else 0,
            status_labels=STATUS_LABELS, notice=NOTICES.get(done, ""),
            notice_code=done if done in NOTICES else "", **context,
        )  # fmt: skip
        return HTMLResponse(page, status_code=code)

    def refused(self, request: Request, caller: Caller, exc: DomainError,
                code: int | None = None) -> HTMLResponse:  # fmt: skip
        """The dashboard saying why a page or a change was refused."""
        return self.render(request, "dashboard.html", caller, code or status_of(exc), error=exc,
                           mine=[], queue=[])  # fmt: skip

    async def who(self, request: Request) -> Caller | None:
        caller = caller_of(request, self.hub.logins)
        if caller is not None and caller.via != "session":
            return None  # API tokens are for the API, not for pages
        return caller

    async def staff(self, request: Request) -> Caller:
        """The logged-in user of a page; a change must also carry the session's CSRF token.
        Without a login the browser is sent to the login page (LoginNeeded)."""
        caller = await self.who(request)
        if caller is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginNeeded(target)
        await check_csrf(request, caller)
        return caller

    def visible(self, caller: Caller, article_ref: str) -> str:
        """The article's id, if the caller may see it (ARTICLE_NOT_FOUND otherwise)."""
        return visible_article(self.hub, caller.user_id, article_ref)


def field(form: FormData, name: str, limit: int) -> str:
    """A text field of a posted form, cut to `limit` characters ('' if absent or a file)."""
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def back_to_article(article_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(
        f"/console/articles/{article_id}?" + urlencode({"done": done}), status_code=303
    )
