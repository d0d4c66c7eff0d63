"""A JPush REST API v3 client: cids, pushes, and its errors classified for the delivery engine.

Only what the app channel needs (research/channel-protocols.md 3.1). Every push carries a
`cid` obtained beforehand, so sending the same push again returns the first result and reaches
no phone twice.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

import requests

from channels.contract import ChannelError
from workflows.delivery_events import ErrorKind

RETRYABLE_CODES = frozenset({1000, 1012, 1030, 2002})
REAUTH_CODES = frozenset({1004, 2004})
NO_AUDIENCE = 1011


class NoAudience(Exception):
    """JPush found no device to push to (1011): nothing to deliver, not a failure."""


class JPushClient:
    """One app's credentials against one JPush endpoint."""

    def __init__(self, base_url: str, app_key: str, master_secret: str,
                 timeout: float = 10.0) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        token = base64.b64encode(f"{app_key}:{master_secret}".encode()).decode()
        self._auth = f"Basic {token}"
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def new_cid(self) -> str:
        """A fresh idempotency key from `GET /v3/push/cid`."""
        data = self._call("GET", "/v3/push/cid", params={"count": 1, "type": "push"},
                          sending=False)  # fmt: skip
        cids = data.get("cidlist")
        if not isinstance(cids, list) or not cids:
            raise ChannelError(ErrorKind.RETRYABLE, "JPush 未返回 cid")
        return str(cids[0])

    def push(self, payload: dict[str, Any]) -> str:
        """Send; return the msg_id. Raises NoAudience, or ChannelError classified."""
        data = self._call("POST", "/v3/push", json=payload, sending=True)
        return str(data.get("msg_id", ""))

    def _call(self, method: str, path: str, sending: bool, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": self._auth, "Content-Type": "application/json"}
        try:
            response = self._session().request(
                method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.ConnectionError as exc:
            if isinstance(exc, requests.ConnectTimeout) or not sending:
                raise ChannelError(ErrorKind.RETRYABLE, f"无法连接 JPush：{exc}") from None
            raise ChannelError(ErrorKind.UNKNOWN_OUTCOME, f"JPush 连接中断：{exc}") from None
        except requests.Timeout:
            kind = ErrorKind.UNKNOWN_OUTCOME if sending else ErrorKind.RETRYABLE
            raise ChannelError(kind, f"JPush {self.timeout:g} 秒内未应答") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code == 200 and isinstance(data, dict):
            return data
        raise _classify(response, data)


def _classify(response: requests.Response, data: object) -> Exception:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        kind = ErrorKind.RETRYABLE if response.status_code >= 500 else ErrorKind.PERMANENT
        return ChannelError(kind, f"JPush HTTP {response.status_code}")
    code = int(error.get("code", 0))
    reason = f"JPush {code}：{error.get('message', '')}"
    if code == NO_AUDIENCE:
        return NoAudience(reason)
    if code in RETRYABLE_CODES:
        reset = response.headers.get("X-Rate-Limit-Reset")
        retry_after = float(reset) if code == 2002 and reset and reset.isdigit() else None
        return ChannelError(ErrorKind.RETRYABLE, reason, retry_after=retry_after)
    if code in REAUTH_CODES:
        return ChannelError(ErrorKind.REAUTH, reason)
    return ChannelError(ErrorKind.PERMANENT, reason)
