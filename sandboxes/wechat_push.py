"""What the WeChat sandbox pushes to an account's server (服务器配置): the URL check when the
server is configured (GET with `signature`, `timestamp`, `nonce`, `echostr`; the server echoes
`echostr`) and event messages (POST of `<xml>…</xml>` signed the same way, answered with
`success` or an empty body; the platform tries three times, 5 s each).

The signature is the SHA-1 of the token, timestamp and nonce sorted and joined — the rule
wechatpy's `check_signature` checks, which the tests use to prove it. With an EncodingAESKey
the server is in safe mode (安全模式): the message is sent AES-encrypted inside `<Encrypt>`, with
`encrypt_type=aes` and `msg_signature`, as wechatpy's `WeChatCrypto` reads it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PUSH_TRIES = 3
PUSH_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Server:
    """An account's server configuration: where events go, and the token that signs them."""

    url: str
    token: str
    aes_key: str = ""  # EncodingAESKey (43 characters): safe mode; empty: plaintext


@dataclass
class Push:
    """One event message and what became of it (for tests and the demo)."""

    appid: str
    event: str
    key: str  # publish_id or msg_id
    to_user: str  # the account's original id (gh_…)
    xml: str
    answer: str = ""  # the server's answer body, or why it failed
    tries: int = 0
    delivered: bool = False


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()


def signed_url(server: Server, timestamp: str = "", nonce: str = "", **extra: str) -> str:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    query = {"signature": signature(server.token, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, **extra}  # fmt: skip
    joiner = "&" if "?" in server.url else "?"
    return f"{server.url}{joiner}{urllib.parse.urlencode(query)}"


def verify(server: Server) -> str:
    """The platform's check when the server is saved: its answer must be the echostr."""
    echostr = str(secrets.randbits(63))
    try:
        with urllib.request.urlopen(signed_url(server, echostr=echostr), timeout=5) as answer:
            body = answer.read(1024).decode("utf-8", "replace")
    except urllib.error.HTTPError:
        return "token验证失败"  # it answered, but not with the echostr
    except (urllib.error.URLError, OSError) as exc:
        return f"请求URL超时或失败：{exc}"
    return "" if body.strip() == echostr else "token验证失败"


def deliver(server: Server, push: Push) -> Push:
    """POST the event as the platform does, up to three times; records the outcome."""
    for _ in range(PUSH_TRIES):
        push.tries += 1
        url, body = signed_url(server), push.xml
        if server.aes_key:
            timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
            sealed = encrypt(server.aes_key, push.appid, push.xml)
            digest = hashlib.sha1("".join(sorted((server.token, timestamp, nonce, sealed)))
                                  .encode()).hexdigest()  # fmt: skip
            url = signed_url(server, timestamp, nonce, encrypt_type="aes", msg_signature=digest)
            body = (f"<xml><ToUserName><![CDATA[{push.to_user}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{sealed}]]></Encrypt></xml>")  # fmt: skip
        request = urllib.request.Request(
            url, data=body.encode(), method="POST",
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT_S) as answer:
                push.answer = answer.read(1024).decode("utf-8", "replace").strip()
                push.delivered = push.answer in ("", "success")
        except urllib.error.HTTPError as exc:
            push.answer = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            push.answer = str(exc)
        if push.delivered:
            break
        time.sleep(0.2)
    return push


def encrypt(encoding_aes_key: str, appid: str, message: str) -> str:
    """Safe mode's ciphertext: AES-256-CBC (IV: the key's first 16 bytes) of 16 random bytes,
    the message's length, the message and the appid, PKCS#7-padded to 32 bytes; base64."""
    key = base64.b64decode(encoding_aes_key.replace("-", "+").replace("_", "/") + "=")
    data = message.encode()
    plain = secrets.token_bytes(16) + len(data).to_bytes(4, "big") + data + appid.encode()
    pad = 32 - len(plain) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    sealed = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
    return base64.b64encode(sealed).decode()


def event_xml(to_user: str, from_user: str, created: float, event: str, info: Any) -> str:
    """An event message: the common head, then `info`'s elements (a dict becomes nested
    elements, a list the element repeated, text is CDATA, numbers are bare)."""
    head = {"ToUserName": to_user, "FromUserName": from_user, "CreateTime": int(created),
            "MsgType": "event", "Event": event}  # fmt: skip
    return f"<xml>{_elements({**head, **info})}</xml>"


def _elements(fields: dict[str, Any]) -> str:
    return "".join(
        "".join(f"<{tag}>{_value(v)}</{tag}>" for v in value)
        if isinstance(value, list) else f"<{tag}>{_value(value)}</{tag}>"
        for tag, value in fields.items()
    )  # fmt: skip


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return _elements(value)
    if isinstance(value, bool | int | float):
        return str(int(value))
    return f"<![CDATA[{str(value).replace(']]>', ']]]]><![CDATA[>')}]]>"
