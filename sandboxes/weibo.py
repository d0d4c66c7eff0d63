"""A Sina Weibo open-API sandbox (research/channel-protocols.md §2 and table 7.2).

What it implements, as the platform does:

- OAuth2 authorization code: `GET /oauth2/authorize` (the user consents at once: this is a
  sandbox) redirects to the app's `redirect_uri` with a `code`; `POST /oauth2/access_token`
  trades it (once, within 10 minutes) for `{access_token, expires_in, remind_in, uid}`;
  `POST /oauth2/get_token_info` tells `{uid, appkey, scope, create_at, expire_in}`. There is
  no refresh token: an expired token (21327) needs the user to authorise again. OAuth errors
  are `{"error", "error_code", "error_description"}`.
- `POST /2/statuses/share.json` (form-encoded, or multipart with a `pic`): `status` at most
  140 汉字 (two Latin characters count as one), with a link on one of the app's safe domains
  (else 10017 "appkey not bind domain!"), no `#话题#`, `rip` required; `pic` JPEG/GIF/PNG
  < 5 MB; the same text as the user's last post is refused (20019); 30 posts an hour per
  user (10024); links in the stored text become `http://t.cn/…` short links, as on Weibo.
  The answer is the status object (`id`, `idstr`, `mid`, `created_at` in Weibo's date
  format, `text`, `user`, picture URLs).
- `POST /2/statuses/destroy.json` (`id`): only the user's own status (20102), an unknown one
  is 20101; the deleted status comes back.
- `GET /2/statuses/user_timeline.json`: the authorised user's own latest statuses.
- Errors are `{"request", "error_code", "error"}` with HTTP 400 (403 for rate limits).
- Faults for tests and demos (`inject`): an error code for the next call, a post made but its
  answer withheld (`delay`), or the 20032 "posted, server slow" answer (the status shows on
  the timeline a moment later).

Sandbox pages (not platform APIs): `/_sandbox/weibo/status/{id}` shows a post as followers
see it; `/_sandbox/weibo/statuses` lists what was posted (JSON).
"""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandboxes.images import image_kind

ERRORS = {
    10001: "system error!",
    10002: "service unavailable!",
    10008: "param error, see doc for more info.",
    10016: "miss required parameter (%s) , see doc for more info.",
    10017: "parameter (%s)'s value invalid, expect (%s) , but get (%s) , see doc for more info.",
    10022: "IP requests out of rate limit!",
    10023: "User requests out of rate limit!",
    10024: "User requests for (%s) out of rate limit!",
    20005: "unsupported image type, only suport JPG, GIF, PNG!",
    20006: "image size too large.",
    20007: "does multipart has image?",
    20008: "content is null!",
    20012: "Text too long, please input text less than 140 characters!",
    20017: "repeated weibo text!",
    20019: "repeat content!",
    20032: "update success, while server slow now, please wait 1-2 minutes",
    20101: "target weibo does not exist!",
    20102: "not your own weibo!",
    21327: "expired_token",
    21332: "invalid_access_token",
}
OAUTH_ERRORS = {21323: "invalid_request", 21324: "invalid_client", 21325: "invalid_grant",
                21327: "expired_token", 21328: "unsupported_grant_type",
                21332: "invalid_access_token"}  # fmt: skip
TOKEN_LIFETIME = 30 * 86_400.0  # seconds; the real lifetime depends on the app's level
CODE_LIFETIME = 600.0
POSTS_PER_HOUR = 30
PIC_MAX = 5 * 1024 * 1024
PIC_KINDS = ("jpeg", "png", "gif")
MAX_UNITS = 140
SLOW_S = 1.0  # a 20032 post shows on the timeline this much later
BEIJING = timezone(timedelta(hours=8))
_URL = re.compile(r"https?://[^\s<>\"'，。）)]+")
_TOPIC = re.compile(r"#[^#\s]+#")


class WeiboFailure(Exception):
    def __init__(self, code: int, message: str = "", status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.message = message or ERRORS.get(code, OAUTH_ERRORS.get(code, "error"))
        self.status = 403 if code in (10022, 10023, 10024) else status


@dataclass
class Fault:
    """What the next call of a user gets: an `error_code` (on `api`, or any API but OAuth),
    a post made and its answer withheld `delay` seconds, or (`slow`) the 20032 answer."""

    error_code: int | None = None
    api: str = ""  # e.g. "statuses/share"
    delay: float = 0.0
    slow: bool = False


@dataclass
class App:
    key: str
    secret: str
    safe_domains: tuple[str, ...]
    redirect_uri: str = ""


@dataclass
class User:
    uid: str
    screen_name: str


@dataclass
class Token:
    value: str
    uid: str
    appkey: str
    created_at: float
    expires_at: float


@dataclass
class Status:
    id: int
    uid: str
    text: str
    created_at: float
    visible_at: float  # a "server slow" post shows later
    links: dict[str, str]  # short link -> the link the user posted
    pic: bytes | None = None
    deleted: bool = False


def text_units(text: str) -> int:
    """Weibo's length: a Chinese character is one, two Latin (ASCII) characters are one."""
    wide = sum(1 for ch in text if ord(ch) > 0x7F)
    return wide + math.ceil((len(text) - wide) / 2)


def weibo_date(epoch: float) -> str:
    """`Wed Oct 24 23:49:17 +0800 2012`, Weibo's `created_at`."""
    return datetime.fromtimestamp(epoch, BEIJING).strftime("%a %b %d %H:%M:%S +0800 %Y")


class WeiboSandbox:
    """The platform's state. Thread-safe: the ASGI app and the tests share it."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.apps: dict[str, App] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, tuple[str, str, str, float]] = {}  # code -> app, uid, uri, time
        self.statuses: dict[int, Status] = {}
        self.faults: dict[str, deque[Fault]] = {}
        self.posts: dict[tuple[str, int], int] = {}  # (uid, hour) -> posts
        self.base_url = "http://127.0.0.1"  # set by whoever serves the app
        self._lock = threading.Lock()
        self._serial = 4_880_000_000_000_000
        self.token_lifetime = TOKEN_LIFETIME

    # -- seeding and bookkeeping -------------------------------------------------------------

    def add_app(self, key: str, secret: str, safe_domains: tuple[str, ...] | list[str]) -> App:
        app = App(key, secret, tuple(d.lower() for d in safe_domains))
        with self._lock:
            self.apps[key] = app
        return app

    def add_user(self, uid: str, screen_name: str) -> User:
        user = User(uid, screen_name)
        with self._lock:
            self.users[uid] = user
        return user

    def issue_token(self, appkey: str, uid: str) -> Token:
        """A token as the code grant makes it (tests use it to skip the browser step)."""
        with self._lock:
            return self._issue(appkey, uid)

    def _issue(self, appkey: str, uid: str) -> Token:
        now = self.clock()
        token = Token("2.00" + secrets.token_hex(16), uid, appkey, now, now + self.token_lifetime)
        self.tokens[token.value] = token
        return token

    def expire_tokens(self, uid: str) -> None:
        """Every token of the user expires now (the user's authorisation ran out)."""
        with self._lock:
            for token in self.tokens.values():
                if token.uid == uid:
                    token.expires_at = min(token.expires_at, self.clock())

    def inject(self, uid: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault(uid, deque()).extend(faults)

    def posted(self, uid: str | None = None, include_deleted: bool = False) -> list[Status]:
        """What the user's followers can see (or could, with `include_deleted`), oldest first."""
        now = self.clock()
        with self._lock:
            return [s for s in self.statuses.values()
                    if uid in (None, s.uid) and s.visible_at <= now
                    and (include_deleted or not s.deleted)]  # fmt: skip

    # -- OAuth -------------------------------------------------------------------------------

    def authorize(self, client_id: str, redirect_uri: str, uid: str) -> str:
        """The user `uid` consents: the URL the browser is sent back to, with a code."""
        with self._lock:
            app = self.apps.get(client_id)
            if app is None:
                raise WeiboFailure(21324)
            if uid not in self.users:
                raise WeiboFailure(21323, "unknown user")
            code = secrets.token_hex(16)
            self.codes[code] = (client_id, uid, redirect_uri, self.clock())
        joiner = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{joiner}{urlencode({'code': code})}"

    def access_token(self, form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            if form.get("grant_type") != "authorization_code":
                raise WeiboFailure(21328)
            app = self.apps.get(form.get("client_id", ""))
            if app is None or app.secret != form.get("client_secret"):
                raise WeiboFailure(21324)
            grant = self.codes.pop(form.get("code", ""), None)  # a code is used once
            if grant is None or grant[0] != app.key or self.clock() - grant[3] > CODE_LIFETIME:
                raise WeiboFailure(21325)
            if grant[2] != form.get("redirect_uri", ""):
                raise WeiboFailure(21322, "redirect_uri_mismatch")
            token = self._issue(app.key, grant[1])
            left = int(token.expires_at - self.clock())
            return {"access_token": token.value, "expires_in": left, "remind_in": str(left),
                    "uid": token.uid, "isRealName": "true"}  # fmt: skip

    def token_info(self, value: str) -> dict[str, Any]:
        with self._lock:
            token = self._token(value)
            return {"uid": int(token.uid), "appkey": token.appkey, "scope": "",
                    "create_at": int(token.created_at),
                    "expire_in": int(token.expires_at - self.clock())}  # fmt: skip

    def _token(self, value: str | None) -> Token:
        token = self.tokens.get(value or "")
        if token is None:
            raise WeiboFailure(
                21332 if value else 10016, "" if value else ERRORS[10016] % "access_token"
            )
        if self.clock() >= token.expires_at:
            raise WeiboFailure(21327)
        return token

    def _fault(self, uid: str, api: str) -> Fault | None:
        queue = self.faults.get(uid)
        if not queue or (queue[0].api and queue[0].api != api):
            return None
        fault = queue.popleft()
        if fault.error_code is not None:
            raise WeiboFailure(fault.error_code)
        return fault

    # -- statuses ----------------------------------------------------------------------------

    def share(self, token_value: str | None, form: dict[str, str], pic: bytes | None,
              ) -> tuple[dict[str, Any], Fault | None]:  # fmt: skip
        with self._lock:
            token = self._token(token_value)
            fault = self._fault(token.uid, "statuses/share")
            text = form.get("status", "")
            if not text.strip():
                raise WeiboFailure(20008 if "status" in form else 10016,
                                   "" if "status" in form else ERRORS[10016] % "status")  # fmt: skip
            if not form.get("rip"):
                raise WeiboFailure(10016, ERRORS[10016] % "rip")
            if text_units(text) > MAX_UNITS:
                raise WeiboFailure(20012)
            if _TOPIC.search(text):
                raise WeiboFailure(10017, ERRORS[10017] % ("status", "no topic", "#…#"))
            app = self.apps[token.appkey]
            links = _URL.findall(text)
            if not any(_on_domain(link, app.safe_domains) for link in links):
                raise WeiboFailure(10017, "appkey not bind domain!")
            if pic is not None:
                if image_kind(pic) not in PIC_KINDS:
                    raise WeiboFailure(20005)
                if len(pic) >= PIC_MAX:
                    raise WeiboFailure(20006)
            now = self.clock()
            hour = int(now // 3600)
            if self.posts.get((token.uid, hour), 0) >= POSTS_PER_HOUR:
                raise WeiboFailure(10024, ERRORS[10024] % "update")
            last = max((s for s in self.statuses.values() if s.uid == token.uid and not s.deleted),
                       key=lambda s: s.id, default=None)  # fmt: skip
            if last is not None and _plain(last) == text:
                raise WeiboFailure(20019)
            self.posts[(token.uid, hour)] = self.posts.get((token.uid, hour), 0) + 1
            self._serial += 1 + secrets.randbelow(1000)
            shown = text
            short: dict[str, str] = {}
            for link in links:
                code = "A6" + secrets.token_urlsafe(5).replace("-", "x").replace("_", "y")
                short[f"http://t.cn/{code}"] = link
                shown = shown.replace(link, f"http://t.cn/{code}", 1)
            slow = fault is not None and fault.slow
            status = Status(self._serial, token.uid, shown, now, now + (SLOW_S if slow else 0),
                            short, pic)  # fmt: skip
            self.statuses[status.id] = status
            if slow:
                raise WeiboFailure(20032)
            return self._object(status), fault

    def destroy(self, token_value: str | None, status_id: str) -> dict[str, Any]:
        with self._lock:
            token = self._token(token_value)
            self._fault(token.uid, "statuses/destroy")
            if not status_id.isdigit():
                raise WeiboFailure(10017, ERRORS[10017] % ("id", "int64", status_id))
            status = self.statuses.get(int(status_id))
            if status is None or status.deleted:
                raise WeiboFailure(20101)
            if status.uid != token.uid:
                raise WeiboFailure(20102)
            status.deleted = True
            return self._object(status)

    def timeline(self, token_value: str | None, count: int, page: int) -> dict[str, Any]:
        with self._lock:
            token = self._token(token_value)
            self._fault(token.uid, "statuses/user_timeline")
            now = self.clock()
            mine = sorted((s for s in self.statuses.values()
                           if s.uid == token.uid and not s.deleted and s.visible_at <= now),
                          key=lambda s: -s.id)  # fmt: skip
            count = max(1, min(count, 100))
            chosen = mine[(page - 1) * count : page * count]
            return {"statuses": [self._object(s) for s in chosen], "total_number": len(mine)}

    def _object(self, status: Status) -> dict[str, Any]:
        user = self.users.get(status.uid, User(status.uid, status.uid))
        answer: dict[str, Any] = {
            "created_at": weibo_date(status.created_at), "id": status.id,
            "idstr": str(status.id), "mid": str(status.id), "text": status.text,
            "source": '<a href="https://weibo.com/" rel="nofollow">政务发布平台</a>',
            "favorited": False, "truncated": False, "reposts_count": 0, "comments_count": 0,
            "attitudes_count": 0,
            "user": {"id": int(user.uid), "idstr": user.uid, "screen_name": user.screen_name,
                     "name": user.screen_name, "verified": True, "verified_type": 1},
        }  # fmt: skip
        if status.pic is not None:
            picture = f"{self.base_url}/_sandbox/weibo/pic/{status.id}"
            answer |= {"thumbnail_pic": picture, "bmiddle_pic": picture, "original_pic": picture}
        return answer

    # -- ASGI --------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/oauth2/authorize", self._authorize_endpoint),
            Route("/oauth2/access_token", self._access_token_endpoint, methods=["POST"]),
            Route("/oauth2/get_token_info", self._token_info_endpoint, methods=["POST"]),
            Route("/2/statuses/share.json", self._share_endpoint, methods=["GET", "POST"]),
            Route("/2/statuses/destroy.json", self._destroy_endpoint, methods=["GET", "POST"]),
            Route("/2/statuses/user_timeline.json", self._timeline_endpoint),
            Route("/_sandbox/weibo/status/{id:int}", self._status_page),
            Route("/_sandbox/weibo/pic/{id:int}", self._pic_endpoint),
            Route("/_sandbox/weibo/statuses", self._statuses_endpoint),
        ])  # fmt: skip

    async def _authorize_endpoint(self, request: Request) -> Response:
        query = request.query_params
        uid = query.get("uid") or next(iter(self.users), "")
        try:
            if query.get("response_type", "code") != "code":
                raise WeiboFailure(21329, "unsupported_response_type")
            target = self.authorize(query.get("client_id", ""), query.get("redirect_uri", ""), uid)
        except WeiboFailure as failure:
            return _oauth_error(failure)
        return RedirectResponse(target, status_code=302)

    async def _access_token_endpoint(self, request: Request) -> Response:
        try:
            return JSONResponse(self.access_token(await _form(request)))
        except WeiboFailure as failure:
            return _oauth_error(failure)

    async def _token_info_endpoint(self, request: Request) -> Response:
        try:
            form = await _form(request)
            return JSONResponse(self.token_info(form.get("access_token", "")))
        except WeiboFailure as failure:
            return _oauth_error(failure)

    async def _share_endpoint(self, request: Request) -> Response:
        path = "/2/statuses/share.json"
        if request.method != "POST":
            return _error(path, WeiboFailure(10021, "HTTP method not supported!", 405))
        try:
            pic: bytes | None = None
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                form = await request.form()
                upload = form.get("pic")
                if not isinstance(upload, UploadFile):
                    raise WeiboFailure(20007)
                pic = await upload.read()
                fields = {
                    **dict(request.query_params),
                    **{k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)},
                }
            else:
                fields = await _form(request)
            answer, fault = self.share(fields.pop("access_token", None), fields, pic)
        except WeiboFailure as failure:
            return _error(path, failure)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)  # posted; the answer comes late
        return JSONResponse(answer)

    async def _destroy_endpoint(self, request: Request) -> Response:
        path = "/2/statuses/destroy.json"
        if request.method != "POST":
            return _error(path, WeiboFailure(10021, "HTTP method not supported!", 405))
        try:
            form = await _form(request)
            if "id" not in form:
                raise WeiboFailure(10016, ERRORS[10016] % "id")
            return JSONResponse(self.destroy(form.get("access_token"), form["id"]))
        except WeiboFailure as failure:
            return _error(path, failure)

    async def _timeline_endpoint(self, request: Request) -> Response:
        query = request.query_params
        try:
            count, page = int(query.get("count", "20")), int(query.get("page", "1"))
            if page < 1:
                raise ValueError(page)
        except ValueError:
            return _error("/2/statuses/user_timeline.json", WeiboFailure(10008))
        try:
            return JSONResponse(self.timeline(query.get("access_token"), count, page))
        except WeiboFailure as failure:
            return _error("/2/statuses/user_timeline.json", failure)

    async def _status_page(self, request: Request) -> Response:
        status = self.statuses.get(request.path_params["id"])
        if status is None or status.visible_at > self.clock():
            return HTMLResponse("<p>微博不存在</p>", status_code=404)
        if status.deleted:
            return HTMLResponse("<p>该微博已被作者删除</p>", status_code=410)
        user = self.users.get(status.uid, User(status.uid, status.uid))
        text = escape(status.text)
        for short, link in status.links.items():
            text = text.replace(short, f'<a href="{escape(link)}">{short}</a>')
        picture = (f'<p><img src="/_sandbox/weibo/pic/{status.id}" alt="" '
                   'style="max-width:100%"></p>' if status.pic else "")  # fmt: skip
        return HTMLResponse(
            f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>微博（沙箱）</title>'
            f'<body style="max-width:36em;margin:2em auto;font-family:sans-serif">'
            f"<p><b>{escape(user.screen_name)}</b> · {weibo_date(status.created_at)}</p>"
            f"<p>{text}</p>{picture}<p><small>微博开放平台沙箱</small></p></body></html>"
        )

    async def _pic_endpoint(self, request: Request) -> Response:
        status = self.statuses.get(request.path_params["id"])
        if status is None or status.pic is None:
            return Response(status_code=404)
        kind = image_kind(status.pic) or "jpeg"
        return Response(status.pic, media_type=f"image/{kind}")

    async def _statuses_endpoint(self, request: Request) -> Response:
        uid = request.query_params.get("uid")
        return JSONResponse([
            {"uid": s.uid, "idstr": str(s.id), "text": s.text, "links": s.links,
             "pic": s.pic is not None, "deleted": s.deleted,
             "url": f"{self.base_url}/_sandbox/weibo/status/{s.id}"}
            for s in self.posted(uid, include_deleted=True)
        ])  # fmt: skip


def _plain(status: Status) -> str:
    """The text as the user posted it (short links expanded)."""
    text = status.text
    for short, link in status.links.items():
        text = text.replace(short, link)
    return text


def _on_domain(link: str, domains: tuple[str, ...]) -> bool:
    host = (urlsplit(link).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)}
    return {**dict(request.query_params), **fields}


def _error(path: str, failure: WeiboFailure) -> JSONResponse:
    return JSONResponse({"request": path, "error_code": failure.code, "error": failure.message},
                        status_code=failure.status)  # fmt: skip


def _oauth_error(failure: WeiboFailure) -> JSONResponse:
    name = OAUTH_ERRORS.get(failure.code, failure.message)
    return JSONResponse({"error": name, "error_code": failure.code,
                         "error_description": failure.message}, status_code=400)  # fmt: skip
