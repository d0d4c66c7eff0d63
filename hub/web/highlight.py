"""The system checks' findings marked in the body they were found in (`<mark>`), for the
article page: reviewers see each problem where it is, with its rule and reason on hover.

Findings give offsets into the body's plain text; `html_to_text` maps them back into the
HTML. A finding that crosses a tag (bold inside the phrase, a line break) is marked piece by
piece, so the marks never break the HTML's nesting.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from workflows.checks.findings import Finding
from workflows.checks.html_parse import html_to_text


def mark_findings(body_html: str, findings: Iterable[Finding]) -> str:
    """The body with each finding of the field `body` wrapped in `<mark>`; overlapping
    findings keep the first; the text itself is unchanged."""
    plain = html_to_text(body_html)
    spans: list[tuple[int, int, Finding]] = []
    for finding in findings:
        if finding.field != "body" or not 0 <= finding.start < finding.end <= len(plain.text):
            continue
        for start, end in _pieces(body_html, plain.source_index, finding.start, finding.end):
            spans.append((start, end, finding))
    spans.sort(key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int, Finding]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    out, last = [], 0
    for start, end, finding in kept:
        label = escape(f"{finding.rule} {finding.message}", quote=True)
        out += [body_html[last:start],
                f'<mark class="finding sev-{finding.severity.lower()}" title="{label}">',
                body_html[start:end], "</mark>"]  # fmt: skip
        last = end
    out.append(body_html[last:])
    return "".join(out)


def _pieces(source: str, index: tuple[int, ...], start: int, end: int) -> list[tuple[int, int]]:
    """Source spans of the plain characters [start, end), split wherever a tag intervenes."""
    pieces: list[tuple[int, int]] = []
    piece_start = piece_end = -1
    for i in range(start, end):
        at = index[i]
        if source.startswith("<", at):
            continue  # a character a tag stands for (a line break): nothing to mark
        stop = at + 1
        if source.startswith("&", at) and ";" in source[at : at + 12]:  # an entity: &amp;
            stop = source.index(";", at) + 1
        if piece_start >= 0 and at == piece_end:
            piece_end = stop
            continue
        if piece_start >= 0:
            pieces.append((piece_start, piece_end))
        piece_start, piece_end = at, stop
    if piece_start >= 0:
        pieces.append((piece_start, piece_end))
    return [(s, e) for s, e in pieces if "<" not in source[s:e]]
