"""Inline styles judged the way a browser would apply them: which declarations are safe to
keep (they cannot move, shrink or hide text) and which hide what they style (暗链).

The sanitiser keeps only `safe_style`; the checks flag `hides` on whatever HTML they are given
(an article checked before it was stored, `hub check` on a file), so both read one rule."""

from __future__ import annotations

import re

_ALIGN = frozenset({"left", "right", "center", "justify", "start", "end"})
_WEIGHT = frozenset({"normal", "bold", "bolder", "lighter"}) | {
    str(n) for n in range(100, 1000, 100)
}
# 首行缩进: a small non-negative length (0–4em, or its pixel/point equivalent at 16px).
_INDENT = re.compile(
    r"^(?:0|(?:[0-3](?:\.\d+)?|4(?:\.0+)?)em|(?:[0-5]?\d|6[0-4])(?:\.\d+)?px|(?:[0-4]?\d)(?:\.\d+)?pt)$"
)
_DECLARATION = re.compile(r"([-\w]+)\s*:\s*([^;]*)")
_LENGTH = re.compile(r"^(-?\d*\.?\d+)(px|pt|em|rem|ex|ch|vw|vh|vmin|vmax|%|cm|mm|in|q|pc)?$")
_VERTICAL_KEYWORDS = frozenset(
    {"baseline", "sub", "super", "text-top", "text-bottom", "middle", "top", "bottom"}
)
_TINY = {"px": 6.0, "pt": 5.0, "em": 0.4, "rem": 0.4, "%": 40.0, "ex": 0.8, "ch": 0.4}


def declarations(style: str) -> list[tuple[str, str]]:
    """The `property: value` pairs of an inline style (lower case, !important dropped)."""
    return [
        (name.lower(), value.lower().replace("!important", "").strip())
        for name, value in _DECLARATION.findall(style)
    ]


def _safe(name: str, value: str) -> bool:
    if name == "text-align":
        return value in _ALIGN
    if name == "text-indent":
        return bool(_INDENT.match(value))
    if name == "font-weight":
        return value in _WEIGHT
    return False


def safe_style(style: str) -> str:
    """Only the declarations that cannot hide anything, in a canonical form ("" if none)."""
    return "; ".join(f"{n}: {v}" for n, v in declarations(style) if _safe(n, v))


def _length(value: str) -> tuple[float, str] | None:
    match = _LENGTH.match(value.strip())
    return (float(match.group(1)), match.group(2) or "px") if match else None


def _hides(name: str, value: str) -> bool:
    computed = "calc(" in value or "var(" in value or "env(" in value
    length = _length(value)
    match name:
        case "display":
            return value == "none"
        case "visibility":
            return value in ("hidden", "collapse")
        case "opacity":
            return length is not None and length[0] < 0.2
        case "font-size" | "line-height" | "width" | "height" | "max-height" | "max-width":
            if computed or (length and length[1] in ("vw", "vh", "vmin", "vmax")):
                return True
            return length is not None and length[0] <= _TINY.get(length[1], 1.0)
        case "text-indent" | "letter-spacing" | "word-spacing":
            return (
                not _safe("text-indent", value)
                if name == "text-indent"
                else bool(computed or (length and abs(length[0]) > 2))
            )
        case "vertical-align":
            return value not in _VERTICAL_KEYWORDS
        case "position":
            return value in ("absolute", "fixed")
        case "top" | "left" | "right" | "bottom" | "margin" | "margin-left" | "margin-top":
            return computed or (length is not None and length[0] < -50)
        case "clip" | "clip-path" | "transform" | "filter":
            return value not in ("none", "auto", "")
        case "color":
            return value in ("transparent", "rgba(0,0,0,0)", "rgba(0, 0, 0, 0)")
        case "z-index":
            return value.startswith("-")
        case "overflow":
            return value == "hidden"
    return False


def hides(style: str) -> bool:
    """Whether an inline style (or a style rule's body) would hide or shrink out of sight
    what it styles."""
    return any(_hides(name, value) for name, value in declarations(style))
