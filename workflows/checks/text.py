"""Plain text for the checks (made from HTML by `html_parse`) and the view the rules search.

Findings point at character offsets in the *plain text* of a field (what a reader sees). Two
views are derived from it:

- `PlainText.source_index` maps every plain character back to its offset in the source (the
  HTML), so a fix can be applied to the stored body with one action;
- `MatchView` is what the rules search: zero-width characters removed, full-width ASCII folded
  to half-width (１３８ → 138). `MatchView.span` maps a match back to plain-text offsets, so
  a number typed with full-width digits or split by a zero-width space is still caught and the
  finding still points at exactly the characters the reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")


@dataclass(frozen=True, slots=True)
class PlainText:
    """The readable text of a field and, per character, its offset in the source."""

    text: str
    source_index: tuple[int, ...]  # len(text) + 1 entries; the last is the source length

    @classmethod
    def of_plain(cls, text: str) -> PlainText:
        """Plain text whose source is itself."""
        return cls(text, tuple(range(len(text) + 1)))

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source offsets of the plain span [start, end)."""
        if end <= start:
            return self.source_index[start], self.source_index[start]
        return self.source_index[start], self.source_index[end - 1] + 1


def _fold(char: str) -> str:
    code = ord(char)
    if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII
        return chr(code - 0xFEE0)
    if code == 0x3000:  # ideographic space
        return " "
    return char


@dataclass(frozen=True, slots=True)
class MatchView:
    """The text the rules search, with a map back to plain-text offsets."""

    text: str
    plain_index: tuple[int, ...] | None  # len(text) + 1 entries; None: the same offsets

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Plain-text offsets of the view span [start, end)."""
        if self.plain_index is None:
            return start, max(start, end)
        if end <= start:
            return self.plain_index[start], self.plain_index[start]
        return self.plain_index[start], self.plain_index[end - 1] + 1


_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def match_view(plain: str) -> MatchView:
    """Fold full-width ASCII and drop zero-width characters, keeping offsets."""
    if not any(char in plain for char in ZERO_WIDTH):
        # The common case: same length, so offsets are the identity.
        return MatchView(plain.translate(_FOLD), None)
    chars: list[str] = []
    index: list[int] = []
    for i, char in enumerate(plain):
        if char in ZERO_WIDTH:
            continue
        chars.append(_fold(char))
        index.append(i)
    index.append(len(plain))
    return MatchView("".join(chars), tuple(index))


def is_cjk(char: str) -> bool:
    """Whether `char` is a CJK unified ideograph (the characters of names and words)."""
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"
