"""Messages WeChat pushes to an official account's server (服务器配置, plaintext mode), as far as
publishing cares: the URL check and the two "task finished" events.

Every request carries `signature` = SHA-1 of the account's callback token, `timestamp` and
`nonce` sorted and joined; one that does not match, or whose timestamp is far from now (a
replay), is refused. Bodies are parsed by defusedxml (no DTD, no entities, no external
references) after a size check; anything but the two events is acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

MAX_BODY_BYTES = 64 * 1024
MAX_CLOCK_SKEW_S = 300
FINISH_EVENTS = {"PUBLISHJOBFINISH": "publish", "MASSSENDJOBFINISH": "mass"}


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


def parse_finish(body: bytes) -> FinishEvent | None:
    """The finish event in a pushed message; None for any other message."""
    if len(body) > MAX_BODY_BYTES:
        raise CallbackRefused(f"消息体超过 {MAX_BODY_BYTES} 字节")
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise CallbackRefused(f"XML 无法解析：{type(exc).__name__}") from None
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


def _text(element: Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip()[:2000] if found is not None else ""
