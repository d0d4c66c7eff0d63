"""The channel adapters' HTTP calls, on libcurl (pycurl), and each failure sorted by whether
the request may have been acted on.

A province's fan-out makes thousands of calls to the same few hosts (one JPush endpoint for
2,404 apps), so the per-call cost of the client matters: libcurl does the protocol work in C
and releases the GIL while it waits, which costs about a quarter of the CPU per call of
`requests` or urllib3 (bench/RESULTS.md). Each thread keeps one curl handle, and with it
kept-alive connections to every host it has called.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import certifi
import pycurl

from channels.contract import ChannelError
from workflows.delivery_events import ErrorKind

_NOT_SENT = frozenset({
    pycurl.E_COULDNT_RESOLVE_PROXY, pycurl.E_COULDNT_RESOLVE_HOST, pycurl.E_COULDNT_CONNECT,
    pycurl.E_SSL_CONNECT_ERROR, pycurl.E_PEER_FAILED_VERIFICATION, pycurl.E_URL_MALFORMAT,
    pycurl.E_UNSUPPORTED_PROTOCOL,
})  # fmt: skip
MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # a platform API's answer is JSON, never this large


class HttpResponse:
    """Status, body, and the headers (parsed only when asked for)."""

    def __init__(self, status: int, header_lines: list[bytes], body: bytes) -> None:
        self.status = status
        self.body = body
        self._lines = header_lines
        self._headers: dict[str, str] | None = None

    @property
    def headers(self) -> Mapping[str, str]:
        """Header names in lower case; of the last response when curl saw several."""
        if self._headers is None:
            headers: dict[str, str] = {}
            for raw in self._lines:
                line = raw.decode("iso-8859-1").rstrip("\r\n")
                if line.startswith("HTTP/"):
                    headers = {}  # a new response (after 100 Continue)
                elif ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            self._headers = headers
        return self._headers

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class HttpFailure(Exception):
    """No answer. `maybe_received` is False only when no byte of the request left this
    machine, so sending it again cannot act twice."""

    def __init__(self, message: str, maybe_received: bool, timed_out: bool) -> None:
        super().__init__(message)
        self.maybe_received = maybe_received
        self.timed_out = timed_out

    def channel_error(self, platform: str, sending: bool) -> ChannelError:
        """The failure classified for the delivery state machine: a call that sends something
        and may have arrived has an unknown outcome; anything else may simply be retried."""
        maybe_acted = sending and self.maybe_received
        kind = ErrorKind.UNKNOWN_OUTCOME if maybe_acted else ErrorKind.RETRYABLE
        return ChannelError(kind, f"{platform} {self}")


class HttpClient:
    """Thread-safe: every thread gets its own curl handle."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _handle(self) -> pycurl.Curl:
        curl = getattr(self._local, "curl", None)
        if curl is None:
            curl = self._local.curl = pycurl.Curl()
        return curl

    def request(
        self,
        method: str,
        url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, object] | None = None,
        json_body: object = None,
        body: bytes | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """One call; raises HttpFailure when no HTTP answer came back in `timeout` seconds.
        `files` (field -> (file name, bytes, content type)) posts multipart/form-data; the
        bytes are copied into each request, so a retried upload sends them whole again; `fields`
        are the text parts sent beside them."""
        sent_headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        if params:
            url = f"{url}?{urlencode(params)}"
        curl = self._handle()
        curl.reset()  # options only; the connections stay open
        buffer = io.BytesIO()
        lines: list[bytes] = []
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.CAINFO, certifi.where())
        curl.setopt(pycurl.TIMEOUT_MS, int(timeout * 1000))
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, int(timeout * 1000))
        curl.setopt(pycurl.MAXFILESIZE, MAX_RESPONSE_BYTES)
        curl.setopt(pycurl.WRITEDATA, buffer)
        curl.setopt(pycurl.HEADERFUNCTION, lines.append)
        # "Expect:" off: no 100-continue round trip before a body.
        curl.setopt(pycurl.HTTPHEADER, [f"{k}: {v}" for k, v in sent_headers.items()] + ["Expect:"])
        if method == "GET":
            curl.setopt(pycurl.HTTPGET, 1)
        elif method == "POST" and files:
            mime = pycurl.CurlMime(curl)
            for name, value in (fields or {}).items():
                part = mime.addpart()
                part.name(name)
                part.data(value.encode())
            for name, (filename, data, kind) in files.items():
                part = mime.addpart()
                part.name(name)
                part.filename(filename)
                part.type(kind)
                part.data(data)
            curl.setopt(pycurl.MIMEPOST, mime)
        elif method == "POST":
            curl.setopt(pycurl.POSTFIELDS, body or b"")
        else:
            curl.setopt(pycurl.CUSTOMREQUEST, method)
            if body is not None:
                curl.setopt(pycurl.POSTFIELDS, body)
        try:
            curl.perform()
        except pycurl.error as exc:
            code, message = exc.args[0], str(exc.args[1])
            left = code not in _NOT_SENT and curl.getinfo(pycurl.REQUEST_SIZE) > 0
            timed_out = code == pycurl.E_OPERATION_TIMEDOUT
            if timed_out:
                message = f"{timeout:g} 秒内未应答"
            elif not left:
                message = f"无法连接：{message}"
            else:
                message = f"连接中断：{message}"
            raise HttpFailure(message, left, timed_out) from None
        return HttpResponse(curl.getinfo(pycurl.RESPONSE_CODE), lines, buffer.getvalue())


_shared: HttpClient | None = None
_shared_lock = threading.Lock()


def shared_client() -> HttpClient:
    """The process's client, so that every account on one host shares its connections."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = HttpClient()
        return _shared
