"""Who is calling: a browser with a login session (cookie + CSRF token on every change), or a
machine with an API token (`Authorization: Bearer hubt_…`). Both end as the same user id,
which the command services check against the user's roles like the CLI's `--as`."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import Request

from events.envelope import authenticated_via
from events.recorder import NotNull
from hub.delivery.operations import DeliveryService
from hub.projections.publications import PUBLICATIONS
from hub.queries.article_search import Visibility
from hub.web.logins import LoginStore
from workflows.article_commands import ALL_SITES, ActingUser
from workflows.article_decider import ARTICLES
from workflows.errors import DomainError
from workflows.publication import Target
from workflows.vocabulary import WRITING_ROLES

if TYPE_CHECKING:
    from hub.queries.live_at import LiveItem, Place
    from hub.runtime.embedded import EmbeddedHub

SESSION_COOKIE = "hub_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_SAFE = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Caller:
    user_id: str
    via: str  # "session" or "token"
    csrf: str = ""  # the session's CSRF token (empty for API tokens)


class NotLoggedIn(DomainError):
    def __init__(self) -> None:
        super().__init__("LOGIN_REQUIRED", "请先登录，或在 Authorization 头中提供 API 令牌")


def caller_of(request: Request, logins: LoginStore) -> Caller | None:
    """The authenticated caller of a request, or None. How they proved it is set for the
    events the request writes (`authenticated_via`: the request's task context, which the
    threads running its handlers copy)."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        owner = logins.token_owner(header[7:].strip())
        if owner is None:
            return None
        authenticated_via.set(f"api-token:{owner[1]}")
        return Caller(owner[0], "token")
    session = logins.session(request.cookies.get(SESSION_COOKIE, ""))
    if session is None:
        return None
    authenticated_via.set(f"web-session:{session.via}")
    return Caller(session.user_id, "session", session.csrf)


async def check_csrf(request: Request, caller: Caller) -> None:
    """A change made with a session cookie must carry the session's CSRF token (header or
    form field): another site can make the browser send the cookie, not the token."""
    if request.method in _SAFE or caller.via != "session":
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        sent = value if isinstance(value, str) else ""
    if not sent or not hmac.compare_digest(sent, caller.csrf):
        raise DomainError("CSRF_FAILED", "页面已过期或请求来源不明，请刷新页面后重试")


def can_see_site(actor: ActingUser, site_code: str) -> bool:
    """Whether a user may see a site's unpublished articles: any role on that site."""
    return bool(actor.roles_on(site_code))


def require_writer(actor: ActingUser) -> None:
    """Refuse a user who writes articles on no site (an operator, a leader only)."""
    if not any(roles & WRITING_ROLES for roles in actor.site_roles.values()):
        raise DomainError("SITE_ROLE_REQUIRED", "仅编辑与审核人员可上传图片、附件或导入文档")


def delivery_site(deliveries: DeliveryService, target_key: str) -> str:
    """The code of the site a delivery's target belongs to (whose staff may see it)."""
    try:
        return deliveries.site_of(Target.parse(target_key))
    except DomainError:
        return ""  # an account no longer configured: only users of every site see it


def visible_article(hub: EmbeddedHub, user: str, article_ref: str) -> str:
    """The article's id if the user may see it; for anyone else it does not exist."""
    article_id = hub.articles.resolve(article_ref)
    state, _ = hub.articles.state(article_id)
    actor = hub.config.directory.acting(user)
    # A site's staff always see what is live on their site, whoever published it.
    if not can_see_site(actor, state.site) and not any(
        can_see_site(actor, site) for site in hub.publishing.live_sites(state)
    ):
        raise DomainError("ARTICLE_NOT_FOUND", f"稿件 {article_ref} 不存在", article_id=article_ref)
    return article_id


def visible_deliveries(
    hub: EmbeddedHub, user: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The delivery rows (as `DeliveryService.list` gives them) the user may see."""
    actor = hub.config.directory.acting(user)
    return [
        r for r in rows if can_see_site(actor, delivery_site(hub.delivery_service, r["target"]))
    ]


def visible_items(hub: EmbeddedHub, user: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The article list rows (`ArticleService.list`) the user may see: their sites' articles,
    and other sites' articles live on a column or account of their sites."""
    actor = hub.config.directory.acting(user)
    shown = [i for i in items if can_see_site(actor, i["site"])]
    others = [i["id"] for i in items if not can_see_site(actor, i["site"])]
    if not others:
        return shown
    hub.catch_up(ARTICLES.prefix)
    rows = hub.store.rows(PUBLICATIONS, {"live_targets": NotNull, "article_id": others},
                          ("article_id", "live_targets"))  # fmt: skip
    live_here = {
        str(article)
        for article, targets in rows
        if any(can_see_site(actor, delivery_site(hub.delivery_service, key))
               for key in json.loads(targets))
    }  # fmt: skip
    return [i for i in items if can_see_site(actor, i["site"]) or i["id"] in live_here]


def visibility(hub: EmbeddedHub, user: str) -> Visibility | None:
    """What a user's searches may return (None: every site): their sites' articles and what is
    live on their sites' columns and accounts."""
    actor = hub.config.directory.acting(user)
    if actor.site_roles.get(ALL_SITES):
        return None
    directory = hub.config.directory
    sites = {s.code: s.key for s in directory.sites if can_see_site(actor, s.code)}
    accounts = {
        f"{a.channel}:{a.id}" for a in directory.accounts if directory.site(a.site).code in sites
    }
    return Visibility(frozenset(sites), frozenset(accounts),
                      frozenset(f"website:{code}/" for code in sites))  # fmt: skip


def live_for(
    hub: EmbeddedHub, user: str, site: str | None, column: str | None, account: str | None,
    at: datetime | None,
) -> tuple[Place, datetime, list[LiveItem]]:  # fmt: skip
    """Time-travel for a user of the web (API and console): the place, the moment and what
    was live there then, for the staff of the place's site only."""
    from hub.queries.live_at import live_at, moment_of, place_of

    where = place_of(hub.config.directory, site, column, account)
    if not can_see_site(hub.config.directory.acting(user), where.owner):
        raise DomainError("SITE_ROLE_REQUIRED", "只能回看本人有角色的站点及其账号")
    moment = moment_of(at)
    hub.catch_up()
    items = live_at(hub.store, moment, site=where.site, column=where.column,
                    account=where.account)  # fmt: skip
    return where, moment, items
