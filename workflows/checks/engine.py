"""Run every rule over one revision: `run_checks(...) -> CheckReport`. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict

from workflows.checks.document import CheckContext, Document
from workflows.checks.findings import Finding, Severity, sort_findings
from workflows.checks.matcher import CompiledDictionaries
from workflows.checks.rules_html import check_attachment_maps, check_html
from workflows.checks.rules_leaders import check_leaders
from workflows.checks.rules_metadata import (
    check_disclosure,
    check_doc_number,
    check_index_number,
    check_interpretation_links,
    check_metadata_values,
    check_publish_time,
    check_repost_source,
    check_sensitive_period,
)
from workflows.checks.rules_personal import (
    check_addresses,
    check_names_beside_numbers,
    check_numbers,
)
from workflows.checks.rules_wording import (
    check_ads,
    check_names,
    check_renamed_agencies,
    check_secrecy,
    check_sensitive_words,
    check_sovereignty,
    check_typos,
)
from workflows.content import ArticleContent, ArticleMetadata

Rule = Callable[[Document], Iterable[Finding]]

RULES: tuple[Rule, ...] = (
    check_names,
    check_leaders,
    check_sovereignty,
    check_renamed_agencies,
    check_sensitive_words,
    check_typos,
    check_numbers,
    check_addresses,
    check_names_beside_numbers,
    check_secrecy,
    check_publish_time,
    check_doc_number,
    check_index_number,
    check_disclosure,
    check_interpretation_links,
    check_html,
    check_attachment_maps,
    check_repost_source,
    check_ads,
    check_sensitive_period,
    check_metadata_values,
)


class CheckReport(BaseModel):
    """The findings for one revision under one dictionary version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dictionary_version: str
    findings: tuple[Finding, ...] = ()
    content_hash: str = ""  # the revision checked, set by whoever checked article content

    def of(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity is severity]

    @property
    def blocked(self) -> bool:
        return any(f.severity is Severity.BLOCK for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s.value: len(self.of(s)) for s in Severity}


def run_checks(
    title: str,
    body_html: str,
    metadata: ArticleMetadata,
    compiled: CompiledDictionaries,
    context: CheckContext | None = None,
    attachments: tuple[tuple[str, str], ...] = (),
    *,
    body_is_html: bool = True,
) -> CheckReport:
    """Every finding of every rule, most severe first, each reported once.

    `body_html` is HTML unless `body_is_html` is false (text extracted from a document).
    """
    doc = Document.build(
        title, body_html, metadata, compiled, context or CheckContext(), attachments, body_is_html
    )
    findings: dict[str, Finding] = {}
    for rule in RULES:
        for finding in rule(doc):
            findings.setdefault(finding.id, finding)
    return CheckReport(
        dictionary_version=compiled.version, findings=tuple(sort_findings(list(findings.values())))
    )


def check_content(
    content: ArticleContent,
    compiled: CompiledDictionaries,
    context: CheckContext | None = None,
    attachments: tuple[tuple[str, str], ...] = (),
) -> CheckReport:
    """`run_checks` over an article revision's content, bound to its hash."""
    report = run_checks(
        content.title, content.body_html, content.metadata, compiled, context, attachments
    )
    return report.model_copy(update={"content_hash": content.content_hash()})
