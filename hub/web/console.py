"""The staff interface (工作台) at /console: editors draft and submit, reviewers approve or
return, leaders sign off, operators watch deliveries live. Pages are rendered on the server
(Jinja2); every change is a form post carrying the session's CSRF token and runs the same
action (hub/web/actions.py) as the JSON API. Each group of pages has its module; what they
share is in console_page.py."""

from __future__ import annotations

from fastapi import APIRouter

from hub.runtime.embedded import EmbeddedHub
from hub.web import (
    console_article,
    console_board,
    console_forms,
    console_inbox,
    console_library,
    console_lists,
    console_live,
    console_login,
    console_reports,
    console_search,
    console_supervision,
)
from hub.web.console_page import STATIC, Console, LoginNeeded, to_login

__all__ = ["STATIC", "LoginNeeded", "router", "to_login"]


def router(hub: EmbeddedHub) -> APIRouter:
    console = Console(hub)
    pages = APIRouter(include_in_schema=False)
    # The forms come before the article's actions: /articles/new, /{id}/edit and
    # /{id}/presence are matched before /{id} and /{id}/{action}.
    for group in (console_login, console_lists, console_forms, console_article, console_board,
                  console_supervision, console_reports, console_inbox, console_live,
                  console_search, console_library):  # fmt: skip
        pages.include_router(group.routes(console))
    return pages
