"""Error codes are a closed set: every code the product raises or answers is an `ErrorCode`
with a kind, every `ErrorCode` is used, and an unknown code is a defect caught at once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from events.error_codes import HTTP_STATUS, KIND_LABELS, ErrorCode, Kind
from tests.conftest import ROOT
from workflows.errors import ROLE_REFUSALS, DomainError

PACKAGES = ("events", "workflows", "channels", "hub")
CODE_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")
# Upper-case constants of the product that are not refusal codes.
NOT_ERROR_CODES = {
    # the audit's findings about a stream (hub/queries/audit.py), reported, never raised
    "APPROVALS_OF_OTHER_CONTENT", "APPROVED_HASH_MISMATCH", "APPROVED_OTHER_REVISION",
    "AUTHOR_APPROVED", "CREATED_AGAIN", "EVENT_BEFORE_CREATION", "PUBLISHED_UNAPPROVED",
    "REVIEW_INCOMPLETE", "SAME_REVIEWER_TWICE", "SIGNOFF_MISSING", "IMPORT_NOT_FIRST",
    # the integrity findings about the stored log (events/integrity.py), reported, never raised
    "CHAIN_BROKEN", "CHECKPOINT_MISMATCH", "CONTENT_CHANGED", "MAC_MISMATCH", "POSITION_GAP",
    "SEAL_FORGED", "SEAL_MISSING", "STREAM_GAP", "TRUNCATED", "UNSEALED",
    "REPLAY_FAILED",
    # environment variables and WeChat's own event names
    "HUB_CONFIG", "HUB_LOG_LEVEL", "HUB_TOKEN", "HUB_TOKEN_FILE", "XDG_CONFIG_HOME", "SEND_SUCCESS", "SEND_FAIL", "SYSTEM_ACTOR",
    "ROLE_REFUSALS",  # a name in __all__
}  # fmt: skip


def product_files() -> list[Path]:
    return [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")
            if p.name != "error_codes.py"]  # fmt: skip


def code_like_strings() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in product_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and CODE_SHAPE.match(text) and text not in NOT_ERROR_CODES:
                found.setdefault(text, path)
    return found


def test_every_code_the_product_uses_is_in_the_closed_set() -> None:
    unknown = {code: str(path.relative_to(ROOT)) for code, path in code_like_strings().items()
               if code not in ErrorCode._value2member_map_}  # fmt: skip
    assert unknown == {}, "add these to events/error_codes.py (with their kind)"


def test_every_code_in_the_set_is_used() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in product_files())
    unused = [code.name for code in ErrorCode
              if f'"{code.value}"' not in text and f"ErrorCode.{code.name}" not in text]  # fmt: skip
    assert unused == []


def test_every_code_has_a_kind_that_every_interface_can_render() -> None:
    for code in ErrorCode:
        assert isinstance(code.kind, Kind), code
        assert code.http_status == HTTP_STATUS[code.kind]
    assert set(KIND_LABELS) == set(Kind) == set(HTTP_STATUS)
    assert ErrorCode.ARTICLE_NOT_FOUND.http_status == 404
    assert ErrorCode.SITE_ROLE_REQUIRED.http_status == 403
    assert ErrorCode.NOT_PUBLISHED.http_status == 409
    assert ErrorCode.STORE_BUSY.http_status == 503
    assert {str(c) for c in ROLE_REFUSALS} == {
        "SITE_ROLE_REQUIRED", "STAGE_ROLE_REQUIRED", "SIGNOFF_ROLE_REQUIRED",
        "AUTHOR_CANNOT_REVIEW", "EDITOR_CANNOT_REVIEW", "REVIEWER_ALREADY_APPROVED"}  # fmt: skip


def test_an_unknown_code_is_a_defect_at_once() -> None:
    with pytest.raises(ValueError, match="NO_SUCH_CODE"):
        DomainError("NO_SUCH_CODE", "x")
    error = DomainError("ARTICLE_NOT_FOUND", "稿件不存在")
    assert error.code is ErrorCode.ARTICLE_NOT_FOUND and error.code == "ARTICLE_NOT_FOUND"
    assert error.as_dict() == {"code": "ARTICLE_NOT_FOUND", "kind": "not_found",
                               "message": "稿件不存在"}  # fmt: skip
