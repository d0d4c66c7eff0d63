"""Domain errors: values with a stable code (one of `ErrorCode`, each with its kind) and a
message for people (in Chinese)."""

from __future__ import annotations

from typing import Any

from events.decider import Refusal
from events.error_codes import ErrorCode, Kind

__all__ = ["ROLE_REFUSALS", "DomainError", "ErrorCode", "Kind"]


class DomainError(Refusal):
    """A rule refused a command. `code` is stable for scripts; `message` is for people.
    A code outside `ErrorCode` is a defect: constructing the error raises ValueError."""

    def __init__(self, code: ErrorCode | str, message: str, **details: Any) -> None:
        code = ErrorCode.of(code)
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details

    @property
    def kind(self) -> Kind:
        return self.code.kind

    def as_dict(self) -> dict[str, Any]:
        """The error as the JSON object every interface renders."""
        body: dict[str, Any] = {"code": str(self.code), "kind": str(self.kind),
                                "message": self.message}  # fmt: skip
        if self.details:
            body["details"] = self.details
        return body


# Refusals that say "not you" (a role, or the separation of duties): the web answers 403 and
# the interface does not offer what would be refused with one of them.
ROLE_REFUSALS = frozenset(
    code
    for code in ErrorCode
    if code.kind is Kind.FORBIDDEN
    and code not in (ErrorCode.CSRF_FAILED, ErrorCode.ACT_AS_OTHER, ErrorCode.ADMIN_REQUIRED)
)
