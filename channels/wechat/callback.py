"""Messages WeChat pushes to an official account's server (服务器配置), as far as publishing
cares: the URL check and the two "task finished" events.

Every request carries `signature` = SHA-1 of the account's callback token, `timestamp` and
`nonce` sorted and joined; one that does not match, or whose timestamp is far from now (a
replay), is refused. Bodies are parsed by defusedxml (no DTD, no entities, no external
references) after a size check; anything but the two events is acknowledged and ignored.

Safe mode (安全模式, `encrypt_type=aes`): the body holds `<Encrypt>`, signed as `msg_signature`
(SHA-1 of token, timestamp, nonce and the ciphertext sorted), AES-256-CBC with the account's
EncodingAESKey (43 characters, base64 of the key; the IV is the key's first 16 bytes), PKCS#7
padded to 32 bytes; the plaintext is 16 random bytes, the message length (4 bytes, big-endian),
the message, and the account's appid — which must be this account's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

MAX_BODY_BYTES = 64 * 1024
MAX_CLOCK_SKEW_S = 300
FINISH_EVENTS = {"PUBLISHJOBFINISH": "publish", "MASSSENDJOBFINISH": "mass"}


@dataclass(frozen=True)
class CallbackKeys:
    """What an account's server configuration holds: the token, the EncodingAESKey (safe
    mode; empty: plaintext only) and the account's appid."""

    token: str
    aes_key: str
    appid: str


class CallbackRefused(Exception):
    """The request is not from WeChat, or not a message at all (the reason, for the log)."""


@dataclass(frozen=True)
class FinishEvent:
    """A publish task or mass send finished; `step` names the adapter step holding `key`."""

    event: str  # PUBLISHJOBFINISH | MASSSENDJOBFINISH
    step: str  # publish | mass
    key: str  # publish_id | msg_id
    status: str  # publish_status ("0" success) | Status ("send success")
    url: str  # the first article's link, when WeChat gave one


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    """Raise CallbackRefused unless WeChat signed these with the account's token, lately."""
    if not (signature and timestamp.isdigit() and nonce):
        raise CallbackRefused("缺少 signature/timestamp/nonce")
    expected = hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise CallbackRefused("签名不符")
    if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_S:
        raise CallbackRefused("时间戳过期")


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key of a 43-character EncodingAESKey (WeChat's are letters and digits; a
    generated one may use the URL-safe alphabet)."""
    text = encoding_aes_key.strip().replace("-", "+").replace("_", "/")
    try:
        key = base64.b64decode(text + "=", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(text) != 43 or len(key) != 32:
        raise CallbackRefused("EncodingAESKey 应为 43 个字符")
    return key


def decrypt(body: bytes, token: str, encoding_aes_key: str, appid: str,
            msg_signature: str, timestamp: str, nonce: str) -> bytes:  # fmt: skip
    """The message inside a safe-mode push, once its signature, padding and appid hold."""
    encrypted = _text(_xml(body), "Encrypt")
    if not encrypted or not msg_signature:
        raise CallbackRefused("安全模式消息缺少 Encrypt 或 msg_signature")
    joined = "".join(sorted((token, timestamp, nonce, encrypted)))
    if not hmac.compare_digest(hashlib.sha1(joined.encode()).hexdigest(), msg_signature.lower()):
        raise CallbackRefused("消息签名不符")
    key = aes_key(encoding_aes_key)
    try:
        sealed = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise CallbackRefused("密文不是 base64") from None
    if not sealed or len(sealed) % 16:
        raise CallbackRefused("密文长度不符")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(sealed) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= 32 or len(padded) < 20 + pad:
        raise CallbackRefused("解密失败：填充不符")
    content = padded[16:-pad]
    size = int.from_bytes(content[:4], "big")
    message, sender = content[4 : 4 + size], content[4 + size :]
    if size > len(content) - 4 or sender.decode("utf-8", "replace") != appid:
        raise CallbackRefused("解密失败：AppID 不符")
    return message


def parse_finish(body: bytes) -> FinishEvent | None:
    """The finish event in a pushed message; None for any other message."""
    root = _xml(body)
    if root.tag != "xml" or _text(root, "MsgType") != "event":
        return None
    event = _text(root, "Event").upper()
    step = FINISH_EVENTS.get(event)
    if step is None:
        return None
    if step == "publish":
        info = root.find("PublishEventInfo")
        if info is None:
            raise CallbackRefused("PUBLISHJOBFINISH 缺少 PublishEventInfo")
        key, status = _text(info, "publish_id"), _text(info, "publish_status")
        url = _text(info, "article_detail/item/article_url")
    else:
        key, status = _text(root, "MsgID"), _text(root, "Status")
        url = _text(root, "ArticleUrlResult/ResultList/item/ArticleUrl")
    if not key:
        raise CallbackRefused(f"{event} 缺少任务编号")
    return FinishEvent(event, step, key, status, url if url.startswith("http") else "")


def _xml(body: bytes) -> Element:
    if len(body) > MAX_BODY_BYTES:
        raise CallbackRefused(f"消息体超过 {MAX_BODY_BYTES} 字节")
    try:
        return fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise CallbackRefused(f"XML 无法解析：{type(exc).__name__}") from None


def _text(element: Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip()[:2000] if found is not None else ""
