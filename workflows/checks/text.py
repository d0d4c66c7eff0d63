"""Plain text for the checks: HTML to text with offsets back to the source, and a matching view.

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

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "section",
        "article",
        "blockquote",
        "pre",
        "hr",
        "title",
    }
)
_WORDS_OR_SPACE = re.compile(r"[ \r\n\t]+|[^ \r\n\t]+")
_CELL_TAGS = frozenset({"td", "th"})
_SKIP_TAGS = frozenset({"script", "style", "template"})


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


class _Extractor(HTMLParser):
    """Collects text nodes with their absolute source offsets."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._line_starts = [0]
        for match in re.finditer("\n", source):
            self._line_starts.append(match.end())
        self.chars: list[str] = []
        self.index: list[int] = []
        self._skip = 0

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _newline(self, at: int) -> None:
        if self.chars and self.chars[-1] != "\n":
            self.chars.append("\n")
            self.index.append(at)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self._newline(self._offset())
        elif tag in _CELL_TAGS and self.chars and self.chars[-1] not in "\n\t":
            self.chars.append("\t")
            self.index.append(self._offset())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._newline(self._offset())

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self._newline(self._offset())

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        start = self._offset()
        for match in _WORDS_OR_SPACE.finditer(data):
            segment = match.group(0)
            if segment[0] in " \r\n\t":
                # Collapse runs of white space as a browser would.
                if self.chars and self.chars[-1] in " \n\t":
                    continue
                self.chars.append(" ")
                self.index.append(start + match.start())
            else:
                self.chars.extend(segment)
                self.index.extend(range(start + match.start(), start + match.end()))

    def _reference(self, raw: str) -> None:
        if self._skip:
            return
        start = self._offset()
        for char in html.unescape(raw):
            if char == "\xa0":
                char = " "
            self.chars.append(char)
            self.index.append(start)

    def handle_entityref(self, name: str) -> None:
        self._reference(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._reference(f"&#{name};")


def html_to_text(source: str) -> PlainText:
    """The readable text of an HTML fragment, with offsets back into `source`."""
    parser = _Extractor(source)
    parser.feed(source)
    parser.close()
    chars, index = parser.chars, parser.index
    # Trim leading and trailing white space.
    start, end = 0, len(chars)
    while start < end and chars[start] in " \n\t":
        start += 1
    while end > start and chars[end - 1] in " \n\t":
        end -= 1
    return PlainText("".join(chars[start:end]), (*index[start:end], len(source)))


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
    plain_index: tuple[int, ...]  # len(text) + 1 entries

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Plain-text offsets of the view span [start, end)."""
        if end <= start:
            return self.plain_index[start], self.plain_index[start]
        return self.plain_index[start], self.plain_index[end - 1] + 1


_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def match_view(plain: str) -> MatchView:
    """Fold full-width ASCII and drop zero-width characters, keeping offsets."""
    if not any(char in plain for char in ZERO_WIDTH):
        # The common case: same length, so offsets are the identity.
        return MatchView(plain.translate(_FOLD), tuple(range(len(plain) + 1)))
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
