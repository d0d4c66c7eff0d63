"""The Sina Weibo open-API calls the hub makes, each answer classified for the delivery state
machine (research/channel-protocols.md 2.5 and table 7.2).

The account's access token comes from the OAuth2 authorization-code grant (`authorize_url` →
the account holder consents → `exchange(code)`); there is no refresh token, so an expired or
revoked token means a person authorises again (REAUTH), never a retry. The token is kept in
the shared token store, so every worker posts with the same one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from channels.contract import ChannelError
from channels.http_client import HttpClient, HttpFailure, shared_client
from channels.tokens import CachedToken, Tokens
from events.log import get_logger
from workflows.delivery_events import ErrorKind

log = get_logger(__name__)

DEFAULT_REDIRECT = "https://api.weibo.com/oauth2/default.html"  # Weibo's page for apps w/o site
RETRYABLE = frozenset({10001, 10002, 10003, 10009, 10010, 20016, 20022})
RATE_LIMITED = frozenset({10022, 10023, 10024})  # wait for the next hourly window
REAUTH = frozenset({20031, 21314, 21315, 21316, 21317, 21319, 21327, 21332})
DUPLICATE = frozenset({20017, 20019, 20111})  # the platform already has this text
SLOW = 20032  # posted; the server is slow to show it
STATUS_GONE = 20101  # no such status (deleted)


class Duplicate(ChannelError):
    """Weibo refused the text as one it already has: probably posted by an earlier attempt."""


class Slow(ChannelError):
    """Weibo took the post and will show it in a minute or two (20032)."""


class WeiboApi:
    """One Weibo account (an authorised user of the platform's app)."""

    def __init__(
        self,
        base_url: str,
        account: str,
        app_key: str,
        app_secret: str | None,
        tokens: Tokens,
        *,
        rip: str = "127.0.0.1",
        status_url: str = "https://m.weibo.cn/status/{id}",
        redirect_uri: str = DEFAULT_REDIRECT,
        timeout: float = 10.0,
        http: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account = account
        self.app_key = app_key
        self._secret = app_secret
        self.tokens = tokens
        self.rip = rip
        self.status_url = status_url
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self._http = http or shared_client()
        self.clock = clock

    @property
    def token_key(self) -> str:
        return f"weibo:{self.account}"

    # -- authorisation -----------------------------------------------------------------------

    def authorize_url(self) -> str:
        """Where the account holder consents; Weibo sends the browser back with a `code`."""
        query = urlencode({"client_id": self.app_key, "redirect_uri": self.redirect_uri,
                           "response_type": "code"})  # fmt: skip
        return f"{self.base_url}/oauth2/authorize?{query}"

    def exchange(self, code: str) -> CachedToken:
        """Trade an authorisation code for the account's token and keep it for every worker."""
        if not self._secret:
            raise ChannelError(ErrorKind.REAUTH, "未配置微博应用的 App Secret")
        response = self._send("POST", "/oauth2/access_token", sending=False, body=urlencode({
            "client_id": self.app_key, "client_secret": self._secret, "code": code,
            "grant_type": "authorization_code", "redirect_uri": self.redirect_uri}).encode())  # fmt: skip
        data = self._answer(response)
        value, left = data.get("access_token"), data.get("expires_in")
        if not isinstance(value, str) or not isinstance(left, int | str):
            raise ChannelError(ErrorKind.RETRYABLE, "微博未返回 access_token")
        token = CachedToken(value, self.clock() + int(left))
        self.tokens.put(self.token_key, token)
        log.info("weibo.authorized", account=self.account, expires_in=int(left))
        return token

    def authorize_locally(self) -> CachedToken:
        """The whole code grant against a platform that consents without a browser (the
        sandbox): follow the authorize redirect, take the code, exchange it."""
        response = self._send("GET", "/oauth2/authorize?" + urlsplit(self.authorize_url()).query,
                              sending=False)  # fmt: skip
        location = response.header("location") or ""
        code = parse_qs(urlsplit(location).query).get("code", [""])[0]
        if response.status != 302 or not code:
            self._answer(response)  # the platform's own reason, if it gave one
            raise ChannelError(ErrorKind.REAUTH, f"微博授权未返回 code（HTTP {response.status}）")
        return self.exchange(code)

    def token(self) -> str:
        cached = self.tokens.get(self.token_key)
        if cached is None:
            raise ChannelError(ErrorKind.REAUTH,
                               f"微博账号未授权：请运行 hub channels authorize {self.account}")  # fmt: skip
        if cached.expires_at <= self.clock():
            raise ChannelError(ErrorKind.REAUTH, _expired(self.account))
        return cached.value

    def token_info(self) -> dict[str, Any]:
        return self.call("POST", "/oauth2/get_token_info", {})

    # -- calls -------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        fields: Mapping[str, str],
        *,
        pic: tuple[str, bytes, str] | None = None,
        sending: bool = False,
    ) -> dict[str, Any]:
        token = self.token()
        data = {**fields, "access_token": token}
        if method == "GET":
            response = self._send("GET", f"{path}?{urlencode(data)}", sending=sending)
        elif pic is not None:
            response = self._send("POST", path, sending=sending, fields=data, files={"pic": pic})
        else:
            response = self._send("POST", path, sending=sending, body=urlencode(data).encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        try:
            return self._answer(response)
        except ChannelError as exc:
            if exc.kind is ErrorKind.REAUTH:
                self.tokens.drop(self.token_key, token)  # no use trying it again
            raise

    def _send(self, method: str, path: str, *, sending: bool, **kwargs: Any) -> Any:
        try:
            return self._http.request(method, self.base_url + path, timeout=self.timeout,
                                      **kwargs)  # fmt: skip
        except HttpFailure as exc:
            raise exc.channel_error("微博", sending) from None

    def _answer(self, response: Any) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if response.status >= 500 or response.status == 302:
                raise ChannelError(ErrorKind.RETRYABLE, f"微博 HTTP {response.status}")
            raise ChannelError(ErrorKind.PERMANENT, f"微博 HTTP {response.status}：应答无法识别")
        if "error_code" not in data and response.status < 400:
            return data
        try:
            code = int(data.get("error_code", 0))
        except (TypeError, ValueError):
            code = 0
        message = str(data.get("error_description") or data.get("error") or "")
        reason = f"微博 {code}：{message}"
        if code in DUPLICATE:
            raise Duplicate(ErrorKind.PERMANENT, reason, platform_code=code)
        if code == SLOW:
            raise Slow(ErrorKind.RETRYABLE, reason, retry_after=60.0, platform_code=code)
        if code in RATE_LIMITED:
            raise ChannelError(
                ErrorKind.RETRYABLE, reason, retry_after=self.until_next_hour(), platform_code=code
            )
        if code in RETRYABLE or response.status >= 500:
            raise ChannelError(
                ErrorKind.RETRYABLE,
                reason,
                retry_after=60.0 if code else None,
                platform_code=code or None,
            )
        if code in REAUTH or 21322 <= code <= 21331:
            detail = _expired(self.account) if code in (21315, 21327) else reason
            raise ChannelError(ErrorKind.REAUTH, detail, platform_code=code)
        raise ChannelError(ErrorKind.PERMANENT, reason, platform_code=code or None)

    def until_next_hour(self) -> float:
        """Seconds to the next hourly window of the rate limits."""
        return 3600 - self.clock() % 3600 + 1

    # -- the publishing calls ----------------------------------------------------------------

    def share(self, text: str, pic: tuple[str, bytes, str] | None = None) -> dict[str, Any]:
        """Post `text` (with a link on the app's safe domain) and an optional picture; the
        status object. Not idempotent: Weibo refuses the same text twice (Duplicate)."""
        return self.call("POST", "/2/statuses/share.json", {"status": text, "rip": self.rip},
                         pic=pic, sending=True)  # fmt: skip

    def destroy(self, status_id: str) -> dict[str, Any]:
        return self.call("POST", "/2/statuses/destroy.json", {"id": status_id})

    def timeline(self, count: int = 50) -> list[dict[str, Any]]:
        """The account's own latest statuses, newest first."""
        data = self.call("GET", "/2/statuses/user_timeline.json", {"count": str(count)})
        statuses = data.get("statuses", [])
        return [s for s in statuses if isinstance(s, dict)]

    def url_of(self, status_id: str) -> str:
        return self.status_url.format(id=status_id)


def _expired(account: str) -> str:
    return f"微博授权已过期：请账号管理员重新授权（hub channels authorize {account}）"
