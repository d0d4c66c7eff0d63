"""What a check reports: findings with a rule, a severity, an exact span and a fix."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class Severity(StrEnum):
    """How a finding weighs (government-rules.md 7a)."""

    BLOCK = "BLOCK"  # stops submission and publication
    REVIEW = "REVIEW"  # needs a reviewer's explicit override with a reason
    WARN = "WARN"  # shown, nothing more


SEVERITY_LABELS: dict[str, str] = {
    Severity.BLOCK: "拦截",
    Severity.REVIEW: "需人工确认",
    Severity.WARN: "提示",
}
SEVERITY_ORDER = {Severity.BLOCK: 0, Severity.REVIEW: 1, Severity.WARN: 2}


class Finding(BaseModel):
    """One problem found in one field of a revision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = ""  # filled from the other fields: see `_stable_id`
    rule: str  # P01 ... P25
    severity: Severity
    field: str  # title, body, metadata.<name>, attachment:<file name>
    start: int  # character offsets into the field's plain text
    end: int
    text: str  # the offending characters as the reader sees them
    message: str  # why it matters, in Chinese
    fix: str | None = None  # the replacement for [start, end), when one is known

    @model_validator(mode="before")
    @classmethod
    def _stable_id(cls, data: Any) -> Any:
        """The same problem in the same place gets the same id on every run, so an override
        given at 初审 still holds when the revision is checked again at publication."""
        if isinstance(data, dict) and not data.get("id"):
            key = f"{data.get('rule')}|{data.get('field')}|{data.get('start')}|{data.get('end')}|{data.get('text')}"
            digest = hashlib.sha256(key.encode()).hexdigest()[:8]
            data = {**data, "id": f"{data.get('rule')}-{digest}"}
        return data


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Most severe first, then in reading order."""
    return sorted(
        findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.field != "title", f.field, f.start)
    )
