"""Applying the checks' suggested fixes to a revision's content: one action for the editor."""

from __future__ import annotations

from collections.abc import Iterable

from workflows.checks.findings import Finding
from workflows.checks.html_parse import html_to_text
from workflows.content import ArticleContent

# Metadata fields whose whole value a fix replaces.
FIXABLE_METADATA = ("doc_number", "index_number")


def apply_fixes(
    content: ArticleContent, findings: Iterable[Finding]
) -> tuple[ArticleContent, list[Finding], list[Finding]]:
    """The content with every applicable fix made, the findings fixed and those skipped.

    A body fix replaces the source characters behind the finding's plain-text span, and only
    when those characters are exactly the finding's text (no tag or entity inside), so a fix
    never breaks the markup.
    """
    title, body = content.title, content.body_html
    metadata = content.metadata.model_dump()
    applied: list[Finding] = []
    skipped: list[Finding] = []
    plain = html_to_text(body)
    body_edits: list[tuple[int, int, str]] = []
    title_edits: list[tuple[int, int, str]] = []
    for finding in findings:
        if finding.fix is None:
            skipped.append(finding)
        elif finding.field == "body":
            start, end = plain.source_span(finding.start, finding.end)
            if (
                body[start:end] == finding.text
                and plain.text[finding.start : finding.end] == finding.text
            ):
                body_edits.append((start, end, finding.fix))
                applied.append(finding)
            else:
                skipped.append(finding)
        elif finding.field == "title" and title[finding.start : finding.end] == finding.text:
            title_edits.append((finding.start, finding.end, finding.fix))
            applied.append(finding)
        elif finding.field.removeprefix("metadata.") in FIXABLE_METADATA:
            metadata[finding.field.removeprefix("metadata.")] = finding.fix
            applied.append(finding)
        else:
            skipped.append(finding)
    return (
        ArticleContent.model_validate(
            {
                "title": _splice(title, title_edits),
                "body_html": _splice(body, body_edits),
                "metadata": metadata,
            }
        ),
        applied,
        skipped,
    )


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace non-overlapping spans, last first so earlier offsets stay valid."""
    last_start = len(text) + 1
    for start, end, replacement in sorted(edits, reverse=True):
        if end > last_start:
            continue  # overlaps an edit already made
        text = text[:start] + replacement + text[end:]
        last_start = start
    return text
