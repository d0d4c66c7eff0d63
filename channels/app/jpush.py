"""A JPush REST API v3 client: cids, pushes, and its errors classified for the delivery engine.

Only what the app channel needs (research/channel-protocols.md 3.1). Every push carries a
`cid` obtained beforehand, so sending the same push again returns the first result and reaches
no phone twice.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import deque
from typing import Any

from channels.contract import ChannelError
from channels.http_client import HttpClient, HttpFailure, HttpResponse, shared_client
from workflows.delivery_events import ErrorKind

RETRYABLE_CODES = frozenset({1000, 1012, 1030, 2002})
REAUTH_CODES = frozenset({1004, 2004})
NO_AUDIENCE = 1011
CID_BATCH = 10  # the most `GET /v3/push/cid` hands out at once to a non-VIP app
# A cid is valid for a day; one is used within the hour it was fetched, which leaves the rest
# of the day for retries of the push it was stored with.
CID_FRESH_S = 3600.0


class NoAudience(Exception):
    """JPush found no device to push to (1011): nothing to deliver, not a failure."""


class JPushClient:
    """One app's credentials against one JPush endpoint."""

    def __init__(self, base_url: str, app_key: str, master_secret: str, timeout: float = 10.0,
                 http: HttpClient | None = None) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        token = base64.b64encode(f"{app_key}:{master_secret}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self.timeout = timeout
        self._http = http or shared_client()
        self._cids: deque[tuple[float, str]] = deque()  # (fetched at, cid), oldest first
        self._cids_lock = threading.Lock()
        # The API quota as the last answer stated it (X-Rate-Limit-*), for the operators.
        self.quota: dict[str, int] = {}

    def new_cid(self) -> str:
        """An unused idempotency key. Fetched from `GET /v3/push/cid` CID_BATCH at a time:
        one call in ten, and a tenth of the app's API quota, instead of one per push."""
        with self._cids_lock:
            while self._cids and time.monotonic() - self._cids[0][0] > CID_FRESH_S:
                self._cids.popleft()
            if self._cids:
                return self._cids.popleft()[1]
        data = self._call("GET", "/v3/push/cid", params={"count": CID_BATCH, "type": "push"},
                          sending=False)  # fmt: skip
        cids = data.get("cidlist")
        if not isinstance(cids, list) or not cids or not all(isinstance(c, str) for c in cids):
            raise ChannelError(ErrorKind.RETRYABLE, "JPush 未返回 cid")
        fetched = time.monotonic()
        with self._cids_lock:
            self._cids.extend((fetched, cid) for cid in cids[1:])
        return cids[0]

    def push(self, payload: dict[str, Any]) -> str:
        """Send; return the msg_id. Raises NoAudience, or ChannelError classified."""
        data = self._call("POST", "/v3/push", json_body=payload, sending=True)
        return str(data.get("msg_id", ""))

    def _call(self, method: str, path: str, sending: bool, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, self.base_url + path, headers=self._headers,
                                          timeout=self.timeout, **kwargs)  # fmt: skip
        except HttpFailure as exc:
            raise exc.channel_error("JPush", sending) from None
        self._note_quota(response)
        data = response.json()
        if response.status == 200 and isinstance(data, dict):
            return data
        raise _classify(response, data)

    def _note_quota(self, response: HttpResponse) -> None:
        stated = {
            name: response.header(f"X-Rate-Limit-{header}")
            for name, header in (("limit", "Quota"), ("remaining", "Remaining"), ("reset", "Reset"))
        }
        if all(value and value.isdigit() for value in stated.values()):
            self.quota = {name: int(value) for name, value in stated.items() if value}


def _classify(response: HttpResponse, data: object) -> Exception:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        kind = ErrorKind.RETRYABLE if response.status >= 500 else ErrorKind.PERMANENT
        return ChannelError(kind, f"JPush HTTP {response.status}")
    code = int(error.get("code", 0))
    reason = f"JPush {code}：{error.get('message', '')}"
    if code == NO_AUDIENCE:
        return NoAudience(reason)
    if code in RETRYABLE_CODES:
        reset = response.header("X-Rate-Limit-Reset")
        retry_after = float(reset) if code == 2002 and reset and reset.isdigit() else None
        return ChannelError(
            ErrorKind.RETRYABLE, reason, retry_after=retry_after, platform_code=code
        )
    if code in REAUTH_CODES:
        return ChannelError(ErrorKind.REAUTH, reason, platform_code=code)
    return ChannelError(ErrorKind.PERMANENT, reason, platform_code=code)
