"""Errors as the web answers them: `{"error": {"code", "kind", "message"}}` with the HTTP
status of the code's kind for the API, a page in Chinese for people; never a 500 for bad input."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from events.error_codes import HTTP_STATUS
from workflows.errors import DomainError, ErrorCode


class ErrorDetail(BaseModel):
    code: str
    kind: str | None = None  # input, unauthenticated, forbidden, not_found, conflict, ...
    message: str
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def status_of(error: DomainError) -> int:
    """The HTTP status of a refused command: its code's kind decides."""
    return error.code.http_status


def error_response(code: ErrorCode, message: str, details: dict[str, Any] | None = None,
                   status: int | None = None) -> JSONResponse:  # fmt: skip
    """The API's answer to a refusal: `{"error": {"code", "kind", "message"}}` with the
    status of the code's kind (or `status`, where HTTP itself decided)."""
    body: dict[str, Any] = {"code": str(code), "kind": str(code.kind), "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status or code.http_status)


def http_code(status: int) -> ErrorCode:
    """The code of an answer HTTP routing gave (no route, wrong method, ...)."""
    known = {401: ErrorCode.LOGIN_REQUIRED, 403: ErrorCode.LOGIN_REQUIRED,
             404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED,
             413: ErrorCode.BODY_TOO_LARGE}  # fmt: skip
    return known.get(status, ErrorCode.INTERNAL if status >= 500 else ErrorCode.INVALID_INPUT)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": kind.label}
    for kind, status in HTTP_STATUS.items()
    if status != 500
}
