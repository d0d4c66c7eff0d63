"""A WeChat Official Account API sandbox (research/channel-protocols.md section 1): the
`/cgi-bin/*` endpoints the publishing hub uses, with the platform's payloads, `errcode`/`errmsg`
answers (HTTP 200, a trailing `rid`), token rules, content limits, daily quotas and the
asynchronous publish status, so adapters and third-party clients (wechatpy) are tested against
the protocol rather than a mock.

Tokens: `GET /cgi-bin/token` issues a new token and invalidates the account's previous classic
token; `POST /cgi-bin/stable_token` returns the same token while it is valid (rotated 5 minutes
before expiry, the old one still working meanwhile), `force_refresh` invalidates it (at most 20 a
day, 30 s apart). The two kinds never affect each other.

Publishing: `material/add_material` (a permanent cover: thumb ≤ 64 KB JPEG), `media/uploadimg`
(body images, JPEG/PNG < 1 MB, hosted by the sandbox), `draft/add|get|delete|count`,
`freepublish/submit` (status 1 "publishing" until `publish_delay` seconds pass, then 0 with an
article URL, or a failure status injected as a fault), `freepublish/get|getarticle|delete|
batchget`. The published articles are kept for tests and the demo under `/_sandbox/wechat/`.

Mass send (群发): `message/mass/sendall` of a draft (`mpnews`) to every follower, one
successful send a day (45028 after it), deduplicated for 24 h by `clientmsgid` (45065 with the
first send's `msg_id`; 45066 when the same id comes back within a minute; 45067 over 64 bytes);
`message/mass/get` (SENDING, SEND_SUCCESS, SEND_FAIL, DELETE) and `message/mass/delete`.

Server configuration (`set_server`, as saved in the platform's console): the URL is checked
first (echostr), then each finished publish (`PUBLISHJOBFINISH`) and mass send
(`MASSSENDJOBFINISH`, with its article links in `ArticleUrlResult`) is pushed to it, signed,
plaintext mode (wechat_push.py).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from sandboxes.images import image_kind
from sandboxes.wechat_push import Push, Server, deliver, event_xml, verify

ERRORS: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40009: "invalid image size",
    40013: "invalid appid",
    40014: "invalid access_token",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    43002: "require POST method",
    44002: "empty post data",
    44003: "empty news data",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45028: "has no masssend quota",
    45065: "clientmsgid exist",
    45066: "clientmsgid exist, retry after 1 min",
    45067: "clientmsgid size out of limit",
    45011: "api minute-quota reach limit, must slower, retry next minute",
    47001: "data format error",
    53502: "Publish ID无效",
    53600: "Article ID无效",
    45110: "author size out of limit",
    76021: "cgi_path not found, please check",
}
TOKEN_LIFETIME = 7200.0
STABLE_ROTATE_EARLY = 300.0  # a stable token is replaced 5 min early; both work meanwhile
FORCE_REFRESH_PER_DAY = 20
FORCE_REFRESH_GAP = 30.0
THUMB_MAX = 64 * 1024
IMAGE_MAX = 10 * 1024 * 1024
UPLOADIMG_MAX = 1024 * 1024
CONTENT_MAX_CHARS = 20_000
CONTENT_MAX_BYTES = 1024 * 1024
DAILY_QUOTA = {"token": 2000, "stable_token": 500_000}  # the rest: `Account.daily_quota`
MASS_PER_DAY = 1  # successful mass sends of a subscription account (公众号)
CLIENTMSGID_WINDOW = 86_400.0
CLIENTMSGID_GAP = 60.0
CLIENTMSGID_MAX_BYTES = 64
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']*)["'][^>]*>""", re.I)
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.I | re.S)


class WxFailure(Exception):
    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message or ERRORS.get(code, "error")


@dataclass
class Fault:
    """What the next request of an account gets: an `errcode` (on any API but the token
    APIs unless `api` names one), or for a publish, its final `publish_status` (2, 3, 4)."""

    errcode: int | None = None
    api: str = ""  # e.g. "freepublish/submit"; empty: the next API call of any kind
    publish_status: int | None = None
    delay: float = 0.0  # the call is carried out, and its answer withheld this long


@dataclass
class Token:
    value: str
    appid: str
    kind: str  # classic | stable
    expires_at: float
    valid: bool = True


@dataclass
class Published:
    """One publish task and, once it succeeded, the article it made."""

    publish_id: str
    appid: str
    draft_media_id: str
    articles: list[dict[str, Any]]
    ready_at: float
    final_status: int = 0
    article_id: str = ""
    deleted: set[int] = field(default_factory=set)  # 1-based indexes deleted by the account
    msg_id: str = ""  # a mass send's (then `publish_id` is empty)
    followers: int = 0  # whom a mass send went to
    sent_on: int = 0  # a mass send's Beijing day (its quota is per day)
    pushed: bool = False  # its finish event went to the account's server

    @property
    def key(self) -> str:
        return self.msg_id or self.publish_id


@dataclass
class Account:
    """One official account (appid/secret) and its platform-side state."""

    appid: str
    secret: str
    daily_quota: int = 100  # calls per API per day, beyond the token APIs
    classic: Token | None = None
    stable: list[Token] = field(default_factory=list)  # current last; the previous may linger
    force_refreshes: list[float] = field(default_factory=list)
    materials: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # media_id -> type
    drafts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: dict[tuple[str, int], int] = field(default_factory=dict)  # (api, day) -> count
    followers: int = 1200
    original_id: str = field(default_factory=lambda: "gh_" + secrets.token_hex(6))
    server: Server | None = None
    client_msg_ids: dict[str, tuple[str, float, float]] = field(default_factory=dict)
    # clientmsgid -> (msg_id, first sent at, last tried at)


class WeChatSandbox:
    """The platform's state. Thread-safe: the ASGI app and the tests share it."""

    def __init__(self, clock: Callable[[], float] = time.time, publish_delay: float = 0.3) -> None:
        self.clock = clock
        self.publish_delay = publish_delay
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, Token] = {}
        self.images: dict[str, bytes] = {}  # uploadimg URL path -> bytes
        self.publishes: dict[str, Published] = {}
        self.masses: dict[str, Published] = {}  # msg_id -> mass send
        self.pushes: list[Push] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.base_url = "http://127.0.0.1"  # where uploaded images are served; set by the server
        self._lock = threading.Lock()
        self._serial = 2_247_483_000
        self._stop = threading.Event()
        self._pusher: threading.Thread | None = None

    # -- seeding and bookkeeping -----------------------------------------------------------

    def add_account(self, appid: str, secret: str, daily_quota: int = 100) -> Account:
        account = Account(appid, secret, daily_quota)
        with self._lock:
            self.accounts[appid] = account
        return account

    def inject(self, appid: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault(appid, deque()).extend(faults)

    def published(self, appid: str | None = None, mass: bool | None = None) -> list[Published]:
        """Publish tasks and mass sends that succeeded (what followers could read), oldest
        first; `mass` True or False: only mass sends, or only publishes."""
        now = self.clock()
        with self._lock:
            tasks = [*(self.publishes.values() if mass is not True else ()),
                     *(self.masses.values() if mass is not False else ())]  # fmt: skip
            return [p for p in tasks if appid in (None, p.appid) and self._status(p, now) == 0]

    # -- the account's server (events pushed to it) ----------------------------------------

    def set_server(self, appid: str, url: str, token: str, aes_key: str = "") -> str:
        """Save the account's server configuration, as in the platform's console (with an
        EncodingAESKey: safe mode): the URL must answer the check first. The reason it was
        refused, or empty when saved."""
        server = Server(url, token, aes_key)
        refused = verify(server)
        if refused:
            return refused
        with self._lock:
            self.accounts[appid].server = server
            if self._pusher is None:
                self._pusher = threading.Thread(target=self._push_loop, daemon=True,
                                                name="wechat-sandbox-push")  # fmt: skip
                self._pusher.start()
        return ""

    def close(self) -> None:
        self._stop.set()
        if self._pusher is not None:
            self._pusher.join(timeout=20)

    def _push_loop(self) -> None:
        while not self._stop.wait(0.05):
            with self._lock:
                due = self._finished_unpushed()
            for server, push in due:
                deliver(server, push)
                with self._lock:
                    self.pushes.append(push)

    def _finished_unpushed(self) -> list[tuple[Server, Push]]:
        now, due = self.clock(), []
        for task in [*self.publishes.values(), *self.masses.values()]:
            server = self.accounts[task.appid].server
            if task.pushed or server is None or self._status(task, now) == 1:
                continue
            task.pushed = True
            due.append((server, self._finish_event(task, now)))
        return due

    def _finish_event(self, task: Published, now: float) -> Push:
        account = self.accounts[task.appid]
        status = self._status(task, now)
        links = [{"idx": i, "article_url": self.article_url(task, i)}
                 for i in range(1, len(task.articles) + 1)]  # fmt: skip
        if task.msg_id:
            event = "MASSSENDJOBFINISH"
            ok = status == 0
            info: dict[str, Any] = {
                "MsgID": int(task.msg_id), "Status": "send success" if ok else "send fail",
                "TotalCount": task.followers, "FilterCount": task.followers,
                "SentCount": task.followers if ok else 0,
                "ErrorCount": 0 if ok else task.followers,
                "ArticleUrlResult": {"Count": len(links) if ok else 0, "ResultList": {"item": [
                    {"ArticleIdx": link["idx"], "ArticleUrl": link["article_url"]}
                    for link in (links if ok else [])]}},
            }  # fmt: skip
        else:
            event = "PUBLISHJOBFINISH"
            info = {"PublishEventInfo": {
                "publish_id": int(task.publish_id), "publish_status": status,
                **({"article_id": task.article_id,
                    "article_detail": {"count": len(links), "item": links}}
                   if status == 0 else {"fail_idx": 1}),
            }}  # fmt: skip
        xml = event_xml(account.original_id, "o" + account.appid[2:14], now, event, info)
        return Push(task.appid, event, task.key, account.original_id, xml)

    # -- rules -----------------------------------------------------------------------------

    def _next_id(self) -> str:
        self._serial += 1
        return str(self._serial)

    def _count(self, account: Account, api: str) -> None:
        day = int((self.clock() + 8 * 3600) // 86_400)  # quotas reset at Beijing midnight
        limit = DAILY_QUOTA.get(api, account.daily_quota)
        used = account.calls.get((api, day), 0)
        if used >= limit:
            raise WxFailure(45009)
        account.calls[(api, day)] = used + 1

    def _fault(self, account: Account, api: str) -> Fault | None:
        queue = self.faults.get(account.appid) or self.faults.get("*")
        if not queue:
            return None
        head = queue[0]
        token_api = api in ("token", "stable_token")
        if (head.api and head.api != api) or (not head.api and token_api):
            return None
        if (head.publish_status is not None or head.delay) and api not in (
            "freepublish/submit",
            "message/mass/sendall",
        ):
            return None
        queue.popleft()
        if head.errcode is not None:
            raise WxFailure(head.errcode)
        return head

    def quota(self, account: Account, cgi_path: Any) -> dict[str, Any]:
        """`openapi/quota/get`: an API's daily limit and what is left of it today."""
        api = str(cgi_path).removeprefix("/cgi-bin/")
        if not isinstance(cgi_path, str) or not cgi_path.startswith("/cgi-bin/"):
            raise WxFailure(76021)
        day = int((self.clock() + 8 * 3600) // 86_400)
        limit = DAILY_QUOTA.get(api, account.daily_quota)
        used = account.calls.get((api, day), 0)
        return {"errcode": 0, "errmsg": "ok",
                "quota": {"daily_limit": limit, "used": used, "remain": limit - used}}  # fmt: skip

    def _issue(self, account: Account, kind: str, now: float) -> Token:
        token = Token(secrets.token_urlsafe(96), account.appid, kind, now + TOKEN_LIFETIME)
        self.tokens[token.value] = token
        return token

    def classic_token(self, appid: str, secret: str) -> Token:
        with self._lock:
            account = self._authenticate(appid, secret)
            self._count(account, "token")
            if account.classic is not None:
                account.classic.valid = False  # 重复获取将导致上次获取的access_token失效
            account.classic = self._issue(account, "classic", self.clock())
            return account.classic

    def stable_token(self, appid: str, secret: str, force_refresh: bool) -> Token:
        with self._lock:
            account = self._authenticate(appid, secret)
            self._count(account, "stable_token")
            now = self.clock()
            current = account.stable[-1] if account.stable else None
            if force_refresh:
                recent = [t for t in account.force_refreshes if t > now - 86_400]
                if len(recent) >= FORCE_REFRESH_PER_DAY or (
                    recent and now - recent[-1] < FORCE_REFRESH_GAP
                ):
                    raise WxFailure(45011)
                account.force_refreshes = [*recent, now]
                for token in account.stable:
                    token.valid = False
                account.stable = [self._issue(account, "stable", now)]
            elif current is None or now >= current.expires_at - STABLE_ROTATE_EARLY:
                account.stable = [t for t in account.stable if t.expires_at > now][-1:]
                account.stable.append(self._issue(account, "stable", now))
            return account.stable[-1]

    def _authenticate(self, appid: str, secret: str) -> Account:
        account = self.accounts.get(appid)
        if account is None:
            raise WxFailure(40013)
        if secret != account.secret:
            raise WxFailure(40125)
        return account

    def caller(self, token_value: str | None, api: str) -> tuple[Account, Fault | None]:
        """The account a call is made for, its quota counted and any fault taken."""
        if not token_value:
            raise WxFailure(41001)
        token = self.tokens.get(token_value)
        if token is None:
            raise WxFailure(40014)
        if not token.valid:
            raise WxFailure(40001)
        if self.clock() >= token.expires_at:
            raise WxFailure(42001)
        account = self.accounts[token.appid]
        fault = self._fault(account, api)
        self._count(account, api)
        return account, fault

    def _status(self, task: Published, now: float) -> int:
        """publish_status (1.5); for a mass send 0 is SEND_SUCCESS and any failure 3."""
        if now < task.ready_at:
            return 1
        if task.final_status == 0 and task.deleted and len(task.deleted) >= len(task.articles):
            return 5  # 成功后用户删除所有文章
        return task.final_status

    # -- API ---------------------------------------------------------------------------------

    def add_material(self, account: Account, kind: str, data: bytes) -> dict[str, Any]:
        if kind not in ("image", "thumb"):
            raise WxFailure(40005)
        if kind == "thumb" and (not data.startswith(b"\xff\xd8") or len(data) > THUMB_MAX):
            raise WxFailure(40009 if data.startswith(b"\xff\xd8") else 40005)
        if kind == "image" and (image_kind(data) is None or len(data) > IMAGE_MAX):
            raise WxFailure(40009 if image_kind(data) else 40005)
        media_id = "sandbox_" + secrets.token_urlsafe(24)
        account.materials[media_id] = (kind, data)
        answer: dict[str, Any] = {"media_id": media_id}
        if kind == "image":
            answer["url"] = self._host(data)
        return answer

    def upload_image(self, data: bytes) -> str:
        if image_kind(data) not in ("jpeg", "png"):
            raise WxFailure(40005)
        if len(data) >= UPLOADIMG_MAX:
            raise WxFailure(40009)
        return self._host(data)

    def _host(self, data: bytes) -> str:
        name = f"mmbiz_{uuid.uuid4().hex}"
        self.images[name] = data
        return f"{self.base_url}/_sandbox/wechat/mmbiz/{name}"

    def add_draft(self, account: Account, body: Any) -> str:
        articles = body.get("articles") if isinstance(body, dict) else None
        if not isinstance(articles, list) or not articles:
            raise WxFailure(44003)
        if len(articles) > 8:
            raise WxFailure(45008)
        kept = [self._article(account, a) for a in articles]
        media_id = "sandbox_" + secrets.token_urlsafe(24)
        account.drafts[media_id] = kept
        return media_id

    def _article(self, account: Account, article: Any) -> dict[str, Any]:
        if not isinstance(article, dict):
            raise WxFailure(47001)
        title, content = article.get("title"), article.get("content")
        if not isinstance(title, str) or not title or not isinstance(content, str) or not content:
            raise WxFailure(44003)
        if len(title) > 32:
            raise WxFailure(45003)
        if len(str(article.get("author", ""))) > 16:
            raise WxFailure(45110)
        if len(str(article.get("digest", ""))) > 128:
            raise WxFailure(45004)
        if len(content) >= CONTENT_MAX_CHARS or len(content.encode()) >= CONTENT_MAX_BYTES:
            raise WxFailure(45002)
        thumb = article.get("thumb_media_id")
        if article.get("article_type", "news") == "news" and thumb not in account.materials:
            raise WxFailure(40007)
        # What the platform keeps: no script, no image it does not host.
        hosted = f"{self.base_url}/_sandbox/wechat/mmbiz/"
        cleaned = _SCRIPT.sub("", content)
        cleaned = _IMG_SRC.sub(lambda m: m.group(0) if m.group(1).startswith(hosted) else "",
                               cleaned)  # fmt: skip
        return {**article, "content": cleaned}

    def submit(self, account: Account, media_id: Any, fault: Fault | None) -> dict[str, Any]:
        articles = account.drafts.pop(str(media_id), None)  # a published draft leaves the box
        if articles is None:
            raise WxFailure(40007)
        publish_id = self._next_id()
        final = fault.publish_status if fault and fault.publish_status is not None else 0
        task = Published(publish_id, account.appid, str(media_id), articles,
                         self.clock() + self.publish_delay, final)  # fmt: skip
        if final == 0:
            task.article_id = "sandbox_art_" + secrets.token_urlsafe(16)
        self.publishes[publish_id] = task
        return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id,
                "msg_data_id": self._next_id()}  # fmt: skip

    def mass_send(self, account: Account, body: Any, fault: Fault | None) -> dict[str, Any]:
        """`message/mass/sendall` of a draft to all followers (or a tag: the sandbox treats a
        tag as everyone), deduplicated by `clientmsgid`."""
        client_msg_id = body.get("clientmsgid") if isinstance(body, dict) else None
        now = self.clock()
        if client_msg_id is not None:
            if len(str(client_msg_id).encode()) > CLIENTMSGID_MAX_BYTES:
                raise WxFailure(45067)
            seen = account.client_msg_ids.get(str(client_msg_id))
            if seen and now - seen[1] < CLIENTMSGID_WINDOW:
                account.client_msg_ids[str(client_msg_id)] = (seen[0], seen[1], now)
                if now - seen[2] < CLIENTMSGID_GAP:
                    raise WxFailure(45066)
                task = self.masses[seen[0]]
                return {"errcode": 45065, "errmsg": ERRORS[45065], "msg_id": int(seen[0]),
                        "msg_data_id": int(task.article_id.rsplit("_", 1)[-1])}  # fmt: skip
        if _field(body, "msgtype") != "mpnews" or not isinstance(body.get("mpnews"), dict):
            raise WxFailure(47001)
        audience = body.get("filter")
        if not isinstance(audience, dict) or not (
            audience.get("is_to_all") is True or isinstance(audience.get("tag_id"), int)
        ):
            raise WxFailure(47001)
        media_id = str(body["mpnews"].get("media_id", ""))
        if media_id not in account.drafts:
            raise WxFailure(40007)
        day = int((now + 8 * 3600) // 86_400)
        sent_today = [m for m in self.masses.values()
                      if (m.appid, m.sent_on, m.final_status) == (account.appid, day, 0)]  # fmt: skip
        if len(sent_today) >= MASS_PER_DAY:
            raise WxFailure(45028)
        articles = account.drafts.pop(media_id)  # a mass-sent draft leaves the box too
        msg_id, data_id = self._next_id(), self._next_id()
        final = fault.publish_status if fault and fault.publish_status is not None else 0
        task = Published("", account.appid, media_id, articles, now + self.publish_delay, final,
                         article_id=f"sandbox_mass_{data_id}", msg_id=msg_id,
                         followers=account.followers, sent_on=day)  # fmt: skip
        self.masses[msg_id] = task
        if client_msg_id is not None:
            account.client_msg_ids[str(client_msg_id)] = (msg_id, now, now)
        return {"errcode": 0, "errmsg": "send job submission success", "msg_id": int(msg_id),
                "msg_data_id": int(data_id)}  # fmt: skip

    def _mass(self, account: Account, msg_id: Any) -> Published:
        task = self.masses.get(str(msg_id))
        if task is None or task.appid != account.appid:
            raise WxFailure(40007 if msg_id is not None else 47001)
        return task

    def mass_status(self, account: Account, msg_id: Any) -> dict[str, Any]:
        task = self._mass(account, msg_id)
        status = self._status(task, self.clock())
        text = {0: "SEND_SUCCESS", 1: "SENDING", 5: "DELETE"}.get(status, "SEND_FAIL")
        return {"msg_id": int(task.msg_id), "msg_status": text}

    def mass_delete(self, account: Account, body: Any) -> dict[str, Any]:
        """`message/mass/delete`: `article_idx` 1-based, 0 or absent: the whole send."""
        task = self._mass(account, _field(body, "msg_id"))
        index = body.get("article_idx", 0)
        if not isinstance(index, int) or not 0 <= index <= len(task.articles):
            raise WxFailure(47001)
        task.deleted |= set(range(1, len(task.articles) + 1)) if index == 0 else {index}
        return {"errcode": 0, "errmsg": "ok"}

    def publish_status(self, account: Account, publish_id: Any) -> dict[str, Any]:
        task = self.publishes.get(str(publish_id))
        if task is None or task.appid != account.appid:
            raise WxFailure(53502)
        status = self._status(task, self.clock())
        answer: dict[str, Any] = {"publish_id": task.publish_id, "publish_status": status,
                                  "fail_idx": []}  # fmt: skip
        if status in (0, 5, 6):
            answer["article_id"] = task.article_id
        if status == 0:
            answer["article_detail"] = {"count": len(task.articles), "item": [
                {"idx": i, "article_url": self.article_url(task, i)}
                for i in range(1, len(task.articles) + 1)]}  # fmt: skip
        return answer

    def batchget(self, account: Account, body: Any) -> dict[str, Any]:
        """`freepublish/batchget`: the account's published articles, newest first."""
        offset, count = _field(body, "offset"), _field(body, "count")
        if not isinstance(offset, int) or not isinstance(count, int) or not 1 <= count <= 20:
            raise WxFailure(47001)
        bare = body.get("no_content") == 1  # the platform then leaves out `content`
        now = self.clock()
        done = [t for t in self.publishes.values()
                if t.appid == account.appid and self._status(t, now) in (0, 5)]  # fmt: skip
        done.reverse()
        chosen = done[offset : offset + count]
        return {"total_count": len(done), "item_count": len(chosen), "item": [
            {"article_id": t.article_id, "update_time": int(t.ready_at),
             **({} if bare else {"content": self.get_article(account, t.article_id)})}
            for t in chosen]}  # fmt: skip

    def article_url(self, task: Published, idx: int) -> str:
        return f"{self.base_url}/_sandbox/wechat/s/{task.article_id}/{idx}"

    def _task_of_article(self, account: Account, article_id: Any) -> Published:
        for task in self.publishes.values():
            if task.article_id and task.article_id == article_id and task.appid == account.appid:
                return task
        raise WxFailure(53600)

    def delete(self, account: Account, article_id: Any, index: Any) -> None:
        task = self._task_of_article(account, article_id)
        if not isinstance(index, int) or not 0 <= index <= len(task.articles):
            raise WxFailure(47001)
        task.deleted |= set(range(1, len(task.articles) + 1)) if index == 0 else {index}

    def get_article(self, account: Account, article_id: Any) -> dict[str, Any]:
        task = self._task_of_article(account, article_id)
        return {"news_item": [
            {**{k: a.get(k, "") for k in ("title", "author", "digest", "content",
                                           "content_source_url", "thumb_media_id")},
             "url": self.article_url(task, i), "is_deleted": i in task.deleted}
            for i, a in enumerate(task.articles, start=1)]}  # fmt: skip

    # -- ASGI --------------------------------------------------------------------------------

    def app(self) -> Starlette:
        def api(
            name: str, handler: Callable[..., Any], methods: tuple[str, ...] = ("POST",)
        ) -> Route:
            async def endpoint(request: Request) -> Response:
                if request.method not in methods:
                    return _error(43002)
                try:
                    with self._lock:
                        account, fault = self.caller(request.query_params.get("access_token"),
                                                     name)  # fmt: skip
                    body = await _body(request)
                    with self._lock:
                        answer = handler(account, body, request, fault)
                    if fault is not None and fault.delay:
                        await asyncio.sleep(fault.delay)  # done, and the answer is late
                    return JSONResponse(answer)
                except WxFailure as failure:
                    return _error(failure.code, failure.message)

            return Route(f"/cgi-bin/{name}", endpoint, methods=["GET", "POST"])

        return Starlette(routes=[
            Route("/cgi-bin/token", self._token_endpoint, methods=["GET", "POST"]),
            Route("/cgi-bin/stable_token", self._stable_endpoint, methods=["GET", "POST"]),
            api("material/add_material", lambda a, b, r, f: self.add_material(
                a, r.query_params.get("type", ""), _file(b))),
            api("media/uploadimg", lambda a, b, r, f: {
                "url": self.upload_image(_file(b)), "errcode": 0, "errmsg": "ok"}),
            api("draft/add", lambda a, b, r, f: {"media_id": self.add_draft(a, b)}),
            api("draft/get", lambda a, b, r, f: {"news_item": _draft(a, b)}),
            api("draft/delete", lambda a, b, r, f: _delete_draft(a, b)),
            api("draft/count", lambda a, b, r, f: {"total_count": len(a.drafts)}, ("GET",)),
            api("freepublish/submit", lambda a, b, r, f: self.submit(a, _field(b, "media_id"), f)),
            api("freepublish/get", lambda a, b, r, f: self.publish_status(
                a, _field(b, "publish_id"))),
            api("freepublish/delete", lambda a, b, r, f: self._deleted(a, b)),
            api("freepublish/getarticle", lambda a, b, r, f: self.get_article(
                a, _field(b, "article_id"))),
            api("freepublish/batchget", lambda a, b, r, f: self.batchget(a, b)),
            api("openapi/quota/get", lambda a, b, r, f: self.quota(a, _field(b, "cgi_path"))),
            api("message/mass/sendall", lambda a, b, r, f: self.mass_send(a, b, f)),
            api("message/mass/get", lambda a, b, r, f: self.mass_status(a, _field(b, "msg_id"))),
            api("message/mass/delete", lambda a, b, r, f: self.mass_delete(a, b)),
            Route("/_sandbox/wechat/mmbiz/{name}", self._image_endpoint),
            Route("/_sandbox/wechat/published", self._published_endpoint),
            Route("/_sandbox/wechat/pushes", self._pushes_endpoint),
            Route("/_sandbox/wechat/s/{article_id}/{idx:int}", self._article_page),
        ])  # fmt: skip

    async def _article_page(self, request: Request) -> Response:
        """The article as followers read it (mp.weixin.qq.com/s/… on the platform)."""
        article_id, idx = request.path_params["article_id"], request.path_params["idx"]
        with self._lock:
            tasks = [*self.publishes.values(), *self.masses.values()]
            task = next((t for t in tasks if t.article_id == article_id), None)
            ready = task is not None and self._status(task, self.clock()) in (0, 5)
        if task is None or not ready or not 1 <= idx <= len(task.articles):
            return HTMLResponse("<p>该内容不存在</p>", status_code=404)
        if idx in task.deleted:
            return HTMLResponse("<p>该内容已被发布者删除</p>", status_code=410)
        article = task.articles[idx - 1]
        account = html.escape(task.appid)
        return HTMLResponse(
            '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
            f"<title>{html.escape(article['title'])}</title>"
            '<body style="max-width:40em;margin:2em auto;font-family:sans-serif">'
            f"<h1>{html.escape(article['title'])}</h1><p><small>{account} · "
            f"{html.escape(str(article.get('author', '')))}</small></p>"
            f"{article['content']}<p><small>微信公众平台沙箱</small></p></body></html>"
        )

    def _deleted(self, account: Account, body: Any) -> dict[str, Any]:
        self.delete(account, _field(body, "article_id"), body.get("index", 0))
        return {"errcode": 0, "errmsg": "ok"}

    async def _token_endpoint(self, request: Request) -> Response:
        if request.method != "GET":
            return _error(43002)
        query = request.query_params
        try:
            if query.get("grant_type") != "client_credential":
                raise WxFailure(40002)
            token = self.classic_token(query.get("appid", ""), query.get("secret", ""))
        except WxFailure as failure:
            return _error(failure.code, failure.message)
        return JSONResponse({"access_token": token.value, "expires_in": int(TOKEN_LIFETIME)})

    async def _stable_endpoint(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(43002)
        try:
            body = await _body(request)
            if body.get("grant_type") != "client_credential":
                raise WxFailure(40002)
            token = self.stable_token(str(body.get("appid", "")), str(body.get("secret", "")),
                                      bool(body.get("force_refresh", False)))  # fmt: skip
        except WxFailure as failure:
            return _error(failure.code, failure.message)
        left = int(token.expires_at - self.clock())
        return JSONResponse({"access_token": token.value, "expires_in": left})

    async def _image_endpoint(self, request: Request) -> Response:
        data = self.images.get(request.path_params["name"])
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/png" if data[:4] == b"\x89PNG" else "image/jpeg")

    async def _published_endpoint(self, request: Request) -> Response:
        return JSONResponse([
            {"appid": p.appid, "publish_id": p.publish_id, "msg_id": p.msg_id,
             "article_id": p.article_id, "titles": [a["title"] for a in p.articles],
             "deleted": sorted(p.deleted)}
            for p in self.published(request.query_params.get("appid"))
        ])  # fmt: skip

    async def _pushes_endpoint(self, request: Request) -> Response:
        """What was pushed to the accounts' servers, and what became of it."""
        with self._lock:
            pushes = list(self.pushes)
        return JSONResponse([{"appid": p.appid, "event": p.event, "key": p.key,
                              "delivered": p.delivered, "tries": p.tries, "answer": p.answer}
                             for p in pushes])  # fmt: skip


async def _body(request: Request) -> Any:
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("media")
        if not isinstance(upload, UploadFile):
            raise WxFailure(44002 if not form else 40005)
        return {"__file__": await upload.read()}
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise WxFailure(47001) from None


def _file(body: Any) -> bytes:
    data = body.get("__file__") if isinstance(body, dict) else None
    if not data:
        raise WxFailure(44002)
    return bytes(data)


def _field(body: Any, name: str) -> Any:
    if not isinstance(body, dict) or name not in body:
        raise WxFailure(47001)
    return body[name]


def _draft(account: Account, body: Any) -> list[dict[str, Any]]:
    articles = account.drafts.get(str(_field(body, "media_id")))
    if articles is None:
        raise WxFailure(40007)
    return articles


def _delete_draft(account: Account, body: Any) -> dict[str, Any]:
    if account.drafts.pop(str(_field(body, "media_id")), None) is None:
        raise WxFailure(40007)
    return {"errcode": 0, "errmsg": "ok"}


def _error(code: int, message: str = "") -> JSONResponse:
    rid = f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
    text = message or ERRORS.get(code, "error")
    return JSONResponse({"errcode": code, "errmsg": f"{text} rid: {rid}"})
