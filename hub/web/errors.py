"""Errors as the web answers them: `{"error": {"code", "message"}}` with a fitting HTTP
status for the API, a page in Chinese for people; never a 500 for bad input."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from workflows.errors import ROLE_REFUSALS, DomainError

_FORBIDDEN = ROLE_REFUSALS | {"CSRF_FAILED", "FORBIDDEN"}
_BAD_INPUT = {
    "INVALID_INPUT",
    "REASON_REQUIRED",
    "COLUMN_REQUIRED",
    "GATE_UNKNOWN",
    "GATES_MISSING",
    "SITE_UNKNOWN",
    "COLUMN_UNKNOWN",
    "ACCOUNT_UNKNOWN",
    "TARGETS_REQUIRED",
    "TIME_ZONE_REQUIRED",
    "PUBLISH_TIME_PAST",
    "EXPIRY_BEFORE_PUBLICATION",
    "PASSWORD_TOO_SHORT",
    "ARTICLE_AMBIGUOUS",
    "DELIVERY_AMBIGUOUS",
    "BODY_TOO_LARGE",
    "MEDIA_EMPTY",
    "MEDIA_TYPE_REFUSED",
    "MEDIA_NOT_IMAGE",
    "IMPORT_NOT_DOCX",
    "IMPORT_FAILED",
    "IMPORT_TOO_COMPLEX",
    "PASSWORD_TOO_WEAK",
    "PASSWORD_TOO_LONG",
    "TOKEN_LIFETIME_INVALID",
    "CURSOR_INVALID",
    "TARGET_UNKNOWN",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def status_of(error: DomainError) -> int:
    """The HTTP status of a refused command."""
    if error.code in ("LOGIN_REQUIRED", "LOGIN_FAILED"):
        return 401
    if error.code == "LOGIN_LOCKED":
        return 429
    if error.code == "MEDIA_TOO_LARGE":
        return 413
    if error.code.endswith("_NOT_FOUND") or error.code == "USER_UNKNOWN":
        return 404
    if error.code in _FORBIDDEN:
        return 403
    if error.code in _BAD_INPUT:
        return 400
    return 409  # the article's state does not allow it now


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "输入有误"),
        (401, "未登录或令牌无效"),
        (403, "无权执行"),
        (404, "不存在或不可见"),
        (409, "当前状态不允许"),
        (413, "请求过大"),
        (429, "暂时锁定"),
    )
}
