"""Check digits of Chinese identifiers: 身份证 (GB 11643), bank cards (Luhn), 统一社会信用代码
(GB 32100) through python-stdnum; 组织机构代码 (GB 11714), which stdnum lacks, here."""

from __future__ import annotations

import re

_ORG_CODE = re.compile(r"[0-9A-Z]{8}[0-9X]")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def ric_valid(number: str) -> bool:
    """An 18-character resident identity number with a valid birth date and check character."""
    from stdnum.cn import ric  # here: loading stdnum costs 7 ms (it loads ssl) a command

    return bool(ric.is_valid(number))


def ric_mask(number: str) -> str:
    """The masking format used by local governments: first 2 and last 3 kept (35*…*123)."""
    return number[:2] + "*" * (len(number) - 5) + number[-3:]


def luhn_valid(digits: str) -> bool:
    """Luhn (ISO/IEC 7812) check of a card number."""
    from stdnum import luhn

    return bool(luhn.is_valid(digits))


def uscc_valid(code: str) -> bool:
    """A valid 18-character 统一社会信用代码."""
    from stdnum.cn import uscc

    return bool(uscc.is_valid(code))


def org_code_valid(code: str) -> bool:
    """A valid 9-character 组织机构代码 (GB 11714): weights 3,7,9,10,5,8,4,2; 10 -> X, 11 -> 0."""
    if not _ORG_CODE.fullmatch(code):
        return False
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(code[:8], _ORG_WEIGHTS, strict=True)
    )
    remainder = 11 - total % 11
    expected = {10: "X", 11: "0"}.get(remainder, str(remainder))
    return expected == code[8]


def mobile_mask(digits: str) -> str:
    """138****1234."""
    return digits[:3] + "****" + digits[-4:]


def card_mask(digits: str) -> str:
    """First 4 and last 4 digits kept."""
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]
