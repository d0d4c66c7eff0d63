"""The WeChat official-account API calls the hub makes, each answer classified for the
delivery state machine (research/channel-protocols.md 1.7).

Every call carries the account's shared access token; a token the platform calls invalid or
expired (40001/40014/42001) is dropped and fetched again once, then the call is retried once —
never in a loop (wechatpy's own retry has no bound). Uploads send their bytes afresh on every
attempt. A daily quota (45009 calls, 45028 the day's mass send) parks the delivery until
Beijing midnight, when quotas reset, instead of spending retries on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from channels.contract import ChannelError
from channels.http_client import HttpClient, HttpFailure, shared_client
from channels.tokens import REFRESH_EARLY_S, CachedToken, Tokens
from events.log import get_logger
from workflows.delivery_events import ErrorKind

log = get_logger(__name__)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
RETRYABLE = frozenset(
    {-1, 45011, 45066, 53501}
)  # busy; minute quota; too fast; publishing too often
REAUTH = frozenset({40013, 40125})  # the appid or secret is wrong: an administrator must act
QUOTA = frozenset({45009, 45028})  # an API's daily calls; the day's mass send
CLIENTMSGID_EXISTS = 45065
INVALID_MEDIA_ID = 40007  # no such media or draft (deleted on the platform)
ARTICLE_GONE = 53600  # no such published article any more
BEIJING = 8 * 3600


class WeChatApi:
    """One official account's API client."""

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        tokens: Tokens,
        timeout: float = 10.0,
        http: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self._secret = secret
        self.tokens = tokens
        self.timeout = timeout
        self._http = http or shared_client()
        self.clock = clock

    # -- tokens ------------------------------------------------------------------------------

    def token(self) -> str:
        """The account's current token: the shared one, or a new one fetched by this worker."""
        cached = self.tokens.get(self.appid)
        if cached and cached.expires_at - self.clock() > REFRESH_EARLY_S:
            return cached.value
        with self.tokens.refreshing(self.appid):
            cached = self.tokens.get(self.appid)  # another worker may have just fetched it
            if cached and cached.expires_at - self.clock() > REFRESH_EARLY_S:
                return cached.value
            return self._fetch(force=False, stale=cached.value if cached else "")

    def _fetch(self, force: bool, stale: str) -> str:
        data = self._answer(self._send("POST", "/cgi-bin/stable_token", sending=False, json_body={
            "grant_type": "client_credential", "appid": self.appid, "secret": self._secret,
            "force_refresh": force}))  # fmt: skip
        value, left = data.get("access_token"), data.get("expires_in")
        if not isinstance(value, str) or not isinstance(left, int):
            raise ChannelError(ErrorKind.RETRYABLE, "微信未返回 access_token")
        if value == stale and not force:
            # The platform still hands out the token it just refused: replace it for good.
            return self._fetch(force=True, stale=stale)
        self.tokens.put(self.appid, CachedToken(value, self.clock() + left))
        log.info("wechat.token_fetched", account=self.appid, forced=force, expires_in=left)
        return value

    # -- calls -------------------------------------------------------------------------------

    def call(
        self,
        path: str,
        *,
        json_body: object = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        params: Mapping[str, str] | None = None,
        sending: bool = False,
        method: str = "POST",
    ) -> dict[str, Any]:
        """One API call with the token; `sending` marks a call whose timeout leaves the
        outcome unknown (it may have been acted on)."""
        for attempt in (1, 2):
            token = self.token()
            response = self._send(method, path, sending=sending, json_body=json_body, files=files,
                                  params={**(params or {}), "access_token": token})  # fmt: skip
            try:
                return self._answer(response)
            except _TokenRefused:
                self.tokens.drop(self.appid, token)
                log.warning("wechat.token_refused", account=self.appid, attempt=attempt)
        raise ChannelError(ErrorKind.RETRYABLE, "微信 access_token 连续两次无效")

    def _send(self, method: str, path: str, *, sending: bool, **kwargs: Any) -> Any:
        try:
            return self._http.request(method, self.base_url + path, timeout=self.timeout,
                                      **kwargs)  # fmt: skip
        except HttpFailure as exc:
            raise exc.channel_error("微信", sending) from None

    def _answer(self, response: Any) -> dict[str, Any]:
        data = response.json()
        if response.status >= 500 or not isinstance(data, dict):
            raise ChannelError(ErrorKind.RETRYABLE, f"微信 HTTP {response.status}")
        code = data.get("errcode", 0)
        if not code:
            return data
        message = str(data.get("errmsg", "")).split(" rid: ")[0]
        reason = f"微信 {code}：{message}"
        if code in TOKEN_ERRORS:
            raise _TokenRefused(reason)
        if code == CLIENTMSGID_EXISTS and data.get("msg_id"):
            raise _AlreadySent(str(data["msg_id"]))
        if code in QUOTA:
            raise ChannelError(
                ErrorKind.RETRYABLE,
                reason,
                retry_after=self.until_quota_reset(),
                platform_code=code,
            )
        if code in RETRYABLE:
            raise ChannelError(
                ErrorKind.RETRYABLE,
                reason,
                retry_after=60.0 if code != -1 else None,
                platform_code=code,
            )
        if code in REAUTH:
            raise ChannelError(ErrorKind.REAUTH, reason, platform_code=code)
        raise ChannelError(ErrorKind.PERMANENT, reason, platform_code=code)

    def until_quota_reset(self) -> float:
        """Seconds to the next Beijing midnight, when the platform's daily quotas reset."""
        now = self.clock() + BEIJING
        return 86_400 - now % 86_400 + 1

    # -- the publishing calls ----------------------------------------------------------------

    def add_thumb(self, jpeg: bytes) -> str:
        """A permanent cover image (thumb: JPEG ≤ 64 KB); its media_id."""
        data = self.call("/cgi-bin/material/add_material", params={"type": "thumb"},
                         files={"media": ("cover.jpg", jpeg, "image/jpeg")})  # fmt: skip
        return str(data["media_id"])

    def upload_image(self, data: bytes, filename: str, content_type: str) -> str:
        """A body image re-hosted by WeChat (JPEG/PNG < 1 MB); its URL."""
        answer = self.call("/cgi-bin/media/uploadimg",
                           files={"media": (filename, data, content_type)})  # fmt: skip
        return str(answer["url"])

    def add_draft(self, articles: list[dict[str, Any]]) -> str:
        return str(self.call("/cgi-bin/draft/add", json_body={"articles": articles})["media_id"])

    def submit(self, draft_media_id: str) -> str:
        """Start publishing a draft; its publish_id. Not idempotent on the platform: callers
        record the publish_id before anything else happens."""
        data = self.call("/cgi-bin/freepublish/submit", json_body={"media_id": draft_media_id},
                         sending=True)  # fmt: skip
        return str(data["publish_id"])

    def mass_send(self, draft_media_id: str, client_msg_id: str) -> str:
        """Mass-send a draft to all followers (群发); its msg_id. Idempotent for 24 h on
        `client_msg_id`: a repeat is refused with 45065 and the first send's msg_id, which
        is the answer wanted."""
        body = {"filter": {"is_to_all": True}, "mpnews": {"media_id": draft_media_id},
                "msgtype": "mpnews", "send_ignore_reprint": 1, "clientmsgid": client_msg_id}  # fmt: skip
        try:
            data = self.call("/cgi-bin/message/mass/sendall", json_body=body, sending=True)
        except _AlreadySent as sent:
            log.info("wechat.mass_already_sent", account=self.appid, msg_id=sent.msg_id)
            return sent.msg_id
        return str(data["msg_id"])

    def mass_status(self, msg_id: str) -> str:
        """SENDING, SEND_SUCCESS, SEND_FAIL or DELETE."""
        data = self.call("/cgi-bin/message/mass/get", json_body={"msg_id": int(msg_id)})
        return str(data.get("msg_status", ""))

    def mass_delete(self, msg_id: str) -> None:
        """Delete a mass send (every article of it; its links stop working)."""
        self.call("/cgi-bin/message/mass/delete", json_body={"msg_id": int(msg_id),
                                                             "article_idx": 0})  # fmt: skip

    def draft_exists(self, draft_media_id: str) -> bool:
        """Whether the draft is still in the draft box (a submitted draft leaves it)."""
        try:
            self.call("/cgi-bin/draft/get", json_body={"media_id": draft_media_id})
        except ChannelError as exc:
            if exc.kind is ErrorKind.PERMANENT and exc.platform_code == INVALID_MEDIA_ID:
                return False
            raise
        return True

    def publish_status(self, publish_id: str) -> dict[str, Any]:
        return self.call("/cgi-bin/freepublish/get", json_body={"publish_id": publish_id})

    def published(self, count: int = 20, content: bool = False) -> list[dict[str, Any]]:
        """The account's latest published articles (`freepublish/batchget`), newest first;
        with `content`, each with its `news_item` list (titles, URLs, `is_deleted`)."""
        data = self.call("/cgi-bin/freepublish/batchget", json_body={
            "offset": 0, "count": count, "no_content": 0 if content else 1})  # fmt: skip
        return [i for i in data.get("item", []) if isinstance(i, dict)]

    def quota(self, api: str) -> dict[str, int]:
        """`openapi/quota/get`: the daily limit of an API (`freepublish/submit`), used, left."""
        data = self.call("/cgi-bin/openapi/quota/get", json_body={"cgi_path": f"/cgi-bin/{api}"})
        quota = data.get("quota", {})
        return {k: int(quota.get(k, 0)) for k in ("daily_limit", "used", "remain")}

    def delete(self, article_id: str, index: int = 0) -> None:
        self.call("/cgi-bin/freepublish/delete", json_body={"article_id": article_id,
                                                             "index": index})  # fmt: skip


class _AlreadySent(Exception):
    """45065: a mass send with this clientmsgid exists (its msg_id)."""

    def __init__(self, msg_id: str) -> None:
        super().__init__(msg_id)
        self.msg_id = msg_id


class _TokenRefused(Exception):
    """The platform refused the token (40001/40014/42001): fetch another, try once more."""
