"""Domain errors: values with a stable code and a message for people (in Chinese)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused a command. `code` is stable for scripts; `message` is for people."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        """The error as the JSON object every interface renders."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


# Refusals that say "not you" (a role, or the separation of duties): the web answers 403 and
# the interface does not offer what would be refused with one of them.
ROLE_REFUSALS = frozenset(
    {
        "SITE_ROLE_REQUIRED",
        "STAGE_ROLE_REQUIRED",
        "SIGNOFF_ROLE_REQUIRED",
        "AUTHOR_CANNOT_REVIEW",
        "EDITOR_CANNOT_REVIEW",
        "REVIEWER_ALREADY_APPROVED",
    }
)
