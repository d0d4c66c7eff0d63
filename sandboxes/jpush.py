"""A JPush REST API v3 sandbox: the endpoints, payload checks, error codes, rate-limit headers
and `cid` idempotency of the real service (research/channel-protocols.md 3.1), so the app
adapter is tested against the protocol rather than a mock.

Endpoints: `POST /v3/push`, `POST /v3/push/validate`, `GET /v3/push/cid`. Bookkeeping for tests
and operators under `/_sandbox/jpush/`: the pushes received (what a phone would get), seeded
apps, and faults to inject (an error code, or a slow answer after the push went out).
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# code -> (HTTP status, message), as documented for v3/push
ERRORS: dict[int, tuple[int, str]] = {
    1000: (500, "系统内部错误"),
    1001: (405, "Only support HTTP POST method"),
    1002: (400, "Missing parameter"),
    1003: (400, "Invalid parameter"),
    1004: (401, "Authen failed"),
    1005: (400, "Message content is too long"),
    1008: (400, "Invalid app_key"),
    1009: (400, "Unsupported key in payload"),
    1011: (400, "没有满足条件的推送目标"),
    1012: (400, "定速推送超过限制"),
    1020: (404, "Only support HTTPS request"),
    1030: (503, "内部服务超时"),
    2002: (429, "Rate limit exceeded"),
    2003: (403, "The appKey is in black list."),
    2004: (403, "无权限执行当前操作"),
    2005: (403, "信息发送量超出合理范围"),
}
_TOP_KEYS = {"platform", "audience", "notification", "message", "options", "cid",
             "notification_3rd", "sms_message", "callback", "inapp_message"}  # fmt: skip
_NOTIFICATION_KEYS = {"alert", "android", "ios", "hmos", "quickapp", "winphone", "voip"}
_ANDROID_KEYS = {"alert", "title", "builder_id", "channel_id", "category", "priority", "style",
                 "alert_type", "big_text", "inbox", "big_pic_path", "extras", "large_icon",
                 "small_icon_uri", "intent", "uri_activity", "uri_action", "badge_add_num",
                 "badge_class", "sound", "show_begin_time", "show_end_time",
                 "display_foreground"}  # fmt: skip
_IOS_KEYS = {"alert", "sound", "badge", "content-available", "mutable-content", "category",
             "extras", "thread-id", "interruption-level"}  # fmt: skip
_AUDIENCE_KEYS = {"tag", "tag_and", "tag_not", "alias", "registration_id"}
_PLATFORMS = {"android", "ios", "hmos", "quickapp", "winphone"}
_OPTION_KEYS = {"sendno", "time_to_live", "override_msg_id", "apns_production",
                "apns_collapse_id", "big_push_duration", "third_party_channel",
                "classification"}  # fmt: skip
CID_LIFETIME = 86_400.0
WINDOW = 60.0


class JPushFailure(Exception):
    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message or ERRORS[code][1]


@dataclass
class SandboxApp:
    """One JPush application with its devices (registration ids, tags, aliases)."""

    app_key: str
    master_secret: str
    quota_per_minute: int = 600
    registrations: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    blacklisted: bool = False


@dataclass
class Fault:
    """What the next matching request gets instead of a normal answer: an error `code`, or
    (`delay` > 0) the push is made and the answer withheld for `delay` seconds."""

    code: int | None = None
    delay: float = 0.0


@dataclass
class Push:
    app_key: str
    msg_id: str
    cid: str
    payload: dict[str, Any]
    devices: int
    at: float


class JPushSandbox:
    """The service's state. Thread-safe: the ASGI app and the tests share it."""

    def __init__(self, latency: float = 0.0) -> None:
        # Seconds every push takes to be answered (made at once, answered after): a real
        # platform's round trip, for benchmarks of I/O-bound delivery.
        self.latency = latency
        self.apps: dict[str, SandboxApp] = {}
        self.pushes: list[Push] = []
        self.cids: dict[str, tuple[str, float, dict[str, str] | None]] = {}
        self.faults: dict[str, deque[Fault]] = {}
        self.requests: dict[str, int] = {}
        self._windows: dict[str, deque[float]] = {}
        self._msg_ids: dict[str, float] = {}
        self._next_msg = 54_043_195_528
        self._lock = threading.Lock()

    # -- seeding and bookkeeping -----------------------------------------------------------

    def add_app(self, app_key: str, master_secret: str, devices: int = 3,
                quota_per_minute: int = 600) -> SandboxApp:  # fmt: skip
        """Register an app with `devices` phones, all tagged `all-users`."""
        app = SandboxApp(app_key, master_secret, quota_per_minute)
        for n in range(devices):
            app.registrations[f"{app_key[:6]}{n:08d}"] = {"tag": ["all-users"], "alias": []}
        with self._lock:
            self.apps[app_key] = app
        return app

    def inject(self, app_key: str, *faults: Fault) -> None:
        """Queue faults for the next requests of `app_key` (`*`: any app)."""
        with self._lock:
            self.faults.setdefault(app_key, deque()).extend(faults)

    def pushes_of(self, app_key: str | None = None) -> list[Push]:
        with self._lock:
            return [p for p in self.pushes if app_key in (None, p.app_key)]

    def reset(self) -> None:
        with self._lock:
            self.pushes.clear()
            self.cids.clear()
            self.faults.clear()
            self.requests.clear()
            self._windows.clear()

    # -- the protocol ------------------------------------------------------------------------

    def authenticate(self, header: str | None) -> SandboxApp:
        if not header or not header.startswith("Basic "):
            raise JPushFailure(1004)
        try:
            key, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except ValueError:
            raise JPushFailure(1004) from None
        app = self.apps.get(key)
        if app is None:
            raise JPushFailure(1008 if len(key) != 24 else 1004)
        if secret != app.master_secret:
            raise JPushFailure(1004)
        if app.blacklisted:
            raise JPushFailure(2003)
        return app

    def take_fault(self, app_key: str) -> Fault | None:
        with self._lock:
            for key in (app_key, "*"):
                queue = self.faults.get(key)
                if queue:
                    return queue.popleft()
        return None

    def rate(self, app: SandboxApp, now: float) -> dict[str, str]:
        """Count one call in the app's sliding window; the rate-limit headers to send.
        Raises 2002 (with the headers) when the window is full."""
        with self._lock:
            window = self._windows.setdefault(app.app_key, deque())
            while window and window[0] <= now - WINDOW:
                window.popleft()
            full = len(window) >= app.quota_per_minute
            if not full:
                window.append(now)
            reset = int(window[0] + WINDOW - now) + 1 if window else int(WINDOW)
            headers = {
                "X-Rate-Limit-Quota": str(app.quota_per_minute),
                "X-Rate-Limit-Remaining": str(max(0, app.quota_per_minute - len(window))),
                "X-Rate-Limit-Reset": str(reset),
            }
        if full:
            raise RateLimited(headers)
        return headers

    def new_cids(self, app: SandboxApp, count: int, now: float) -> list[str]:
        cids = [f"{app.app_key}-{uuid.uuid4()}" for _ in range(count)]
        with self._lock:
            for cid in cids:
                self.cids[cid] = (app.app_key, now, None)
        return cids

    def check(self, app: SandboxApp, body: bytes) -> tuple[dict[str, Any], list[str]]:
        """Validate a push; return it and the devices it reaches."""
        if len(body) > 16_384:
            raise JPushFailure(1005)
        try:
            payload = json.loads(body)
        except ValueError:
            raise JPushFailure(1003, "Invalid json body") from None
        if not isinstance(payload, dict):
            raise JPushFailure(1003, "Invalid json body")
        unknown = set(payload) - _TOP_KEYS
        if unknown:
            raise JPushFailure(1009, f"Unsupported key: {sorted(unknown)[0]}")
        for key in ("platform", "audience"):
            if key not in payload:
                raise JPushFailure(1002, f"Missing parameter: {key}")
        if "notification" not in payload and "message" not in payload:
            raise JPushFailure(1002, "notification or message is required")
        self._check_platform(payload["platform"])
        self._check_notification(payload.get("notification"))
        message = payload.get("message")
        if message is not None and (
            not isinstance(message, dict) or not isinstance(message.get("msg_content"), str)
        ):
            raise JPushFailure(1002, "Missing parameter: message.msg_content")
        self._check_sizes(payload)
        self._check_options(app, payload.get("options", {}))
        cid = payload.get("cid")
        if cid is not None:
            issued = self.cids.get(cid) if isinstance(cid, str) else None
            if issued is None or issued[0] != app.app_key:
                raise JPushFailure(1003, "Invalid cid")
        devices = self._audience(app, payload["audience"])
        if not devices:
            raise JPushFailure(1011)
        return payload, devices

    @staticmethod
    def _check_platform(platform: object) -> None:
        if platform == "all":
            return
        if not isinstance(platform, list) or not platform or not set(platform) <= _PLATFORMS:
            raise JPushFailure(1003, "Invalid platform")

    @staticmethod
    def _check_notification(notification: object) -> None:
        if notification is None:
            return
        if not isinstance(notification, dict):
            raise JPushFailure(1003, "Invalid notification")
        unknown = set(notification) - _NOTIFICATION_KEYS
        for platform, allowed in (("android", _ANDROID_KEYS), ("ios", _IOS_KEYS)):
            part = notification.get(platform)
            if part is not None:
                if not isinstance(part, dict):
                    raise JPushFailure(1003, f"Invalid notification.{platform}")
                unknown |= {f"{platform}.{k}" for k in set(part) - allowed}
        if unknown:
            raise JPushFailure(1009, f"Unsupported key: {sorted(unknown)[0]}")

    @staticmethod
    def _check_sizes(payload: dict[str, Any]) -> None:
        def size(value: object) -> int:
            return len(json.dumps(value, ensure_ascii=False).encode()) if value else 0

        notification = payload.get("notification") or {}
        android = size(notification.get("android")) + size(notification.get("alert"))
        if android + size(payload.get("message")) > 4000:
            raise JPushFailure(1005, "Android notification and message exceed 4000 bytes")
        if size(notification.get("ios")) > 2000:
            raise JPushFailure(1005, "iOS notification exceeds 2000 bytes")

    def _check_options(self, app: SandboxApp, options: object) -> None:
        if not isinstance(options, dict) or set(options) - _OPTION_KEYS:
            raise JPushFailure(1003, "Invalid options")
        ttl = options.get("time_to_live", 86_400)
        if not isinstance(ttl, int) or not 0 <= ttl <= 864_000:
            raise JPushFailure(1003, "Invalid options.time_to_live")
        override = options.get("override_msg_id")
        if override is not None:
            sent = self._msg_ids.get(str(override))
            if sent is None or time.time() - sent > CID_LIFETIME:
                raise JPushFailure(1003, "Invalid override_msg_id")

    @staticmethod
    def _audience(app: SandboxApp, audience: object) -> list[str]:
        if audience == "all":
            return sorted(app.registrations)
        if not isinstance(audience, dict) or not audience or set(audience) - _AUDIENCE_KEYS:
            raise JPushFailure(1003, "Invalid audience")
        for key, values in audience.items():
            limit = 20 if key.startswith("tag") else 1000
            if not isinstance(values, list) or not values or len(values) > limit:
                raise JPushFailure(1003, f"Invalid audience.{key}")
            if any(not isinstance(v, str) or len(v.encode()) > 40 for v in values):
                raise JPushFailure(1003, f"Invalid audience.{key}")
        chosen = []
        for device, facts in sorted(app.registrations.items()):
            tags, aliases = set(facts["tag"]), set(facts["alias"])
            if "tag" in audience and not tags & set(audience["tag"]):
                continue
            if "tag_and" in audience and not set(audience["tag_and"]) <= tags:
                continue
            if "tag_not" in audience and tags & set(audience["tag_not"]):
                continue
            if "alias" in audience and not aliases & set(audience["alias"]):
                continue
            if "registration_id" in audience and device not in audience["registration_id"]:
                continue
            chosen.append(device)
        return chosen

    def push(self, app: SandboxApp, payload: dict[str, Any], devices: list[str],
             now: float) -> dict[str, str]:  # fmt: skip
        """Send (or, for a cid already used, return the first result and send nothing)."""
        options = payload.get("options", {})
        cid = payload.get("cid")
        with self._lock:
            if cid is not None:
                key, issued, first = self.cids[cid]
                if first is not None:
                    return first
                if now - issued > CID_LIFETIME:
                    raise JPushFailure(1003, "Invalid cid")
            result = {"sendno": str(options.get("sendno", 0)), "msg_id": str(self._next_msg)}
            self._next_msg += 1
            self._msg_ids[result["msg_id"]] = now
            self.pushes.append(
                Push(app.app_key, result["msg_id"], cid or "", payload, len(devices), now)
            )
            if cid is not None:
                self.cids[cid] = (key, issued, result)
        return result

    # -- HTTP --------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v3/push", self._push_endpoint, methods=["GET", "POST", "PUT", "DELETE"]),
                Route("/v3/push/validate", self._validate_endpoint, methods=["POST"]),
                Route("/v3/push/cid", self._cid_endpoint, methods=["GET"]),
                Route("/_sandbox/jpush/pushes", self._pushes_endpoint, methods=["GET"]),
                Route("/_sandbox/jpush/faults", self._faults_endpoint, methods=["POST"]),
            ]
        )

    async def _push_endpoint(self, request: Request) -> Response:
        return await self._handle(request, send=True)

    async def _validate_endpoint(self, request: Request) -> Response:
        return await self._handle(request, send=False)

    async def _handle(self, request: Request, send: bool) -> Response:
        headers: dict[str, str] = {}
        try:
            if request.method != "POST":
                raise JPushFailure(1001)
            app = self.authenticate(request.headers.get("authorization"))
            self.requests[app.app_key] = self.requests.get(app.app_key, 0) + 1
            headers = self.rate(app, time.time())
            fault = self.take_fault(app.app_key)
            if fault is not None and fault.code is not None:
                raise JPushFailure(fault.code)
            payload, devices = self.check(app, await request.body())
            if not send:
                return JSONResponse({"sendno": "0", "msg_id": "0"}, headers=headers)
            result = self.push(app, payload, devices, time.time())
            delay = (fault.delay if fault is not None else 0.0) + self.latency
            if delay:
                await asyncio.sleep(delay)  # the push went out; the answer is late
            return JSONResponse(result, headers=headers)
        except RateLimited as limited:
            return _error(2002, ERRORS[2002][1], limited.headers)
        except JPushFailure as failure:
            return _error(failure.code, failure.message, headers)

    async def _cid_endpoint(self, request: Request) -> Response:
        headers: dict[str, str] = {}
        try:
            app = self.authenticate(request.headers.get("authorization"))
            headers = self.rate(app, time.time())  # a cid call is an API call like any other
            try:
                count = int(request.query_params.get("count", "1"))
            except ValueError:
                raise JPushFailure(1003, "Invalid count") from None
            if not 1 <= count <= 10 or request.query_params.get("type", "push") != "push":
                raise JPushFailure(1003, "Invalid count or type")
            cids = self.new_cids(app, count, time.time())
            return JSONResponse({"cidlist": cids}, headers=headers)
        except RateLimited as limited:
            return _error(2002, ERRORS[2002][1], limited.headers)
        except JPushFailure as failure:
            return _error(failure.code, failure.message, headers)

    async def _pushes_endpoint(self, request: Request) -> Response:
        pushes = self.pushes_of(request.query_params.get("app_key"))
        return JSONResponse([
            {"app_key": p.app_key, "msg_id": p.msg_id, "cid": p.cid, "devices": p.devices,
             "payload": p.payload} for p in pushes
        ])  # fmt: skip

    async def _faults_endpoint(self, request: Request) -> Response:
        data = await request.json()
        self.inject(str(data.get("app_key", "*")),
                    *(Fault(f.get("code"), float(f.get("delay", 0))) for f in data["faults"]))  # fmt: skip
        return Response(status_code=204)


class RateLimited(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("rate limited")
        self.headers = headers


def _error(code: int, message: str, headers: dict[str, str]) -> JSONResponse:
    status = ERRORS.get(code, (400, ""))[0]
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)
