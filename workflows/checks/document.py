"""What the rules read: one revision's fields as plain text, plus the facts around it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar, cast

from workflows.checks.findings import Finding, Severity
from workflows.checks.html_parse import ParsedHtml, parse_html
from workflows.checks.matcher import CompiledDictionaries, Hit
from workflows.checks.text import MatchView, PlainText, match_view
from workflows.content import ArticleMetadata

T = TypeVar("T")

PHASES = ("check", "submit", "publish", "recheck")


@dataclass(frozen=True)
class CheckContext:
    """Facts outside the revision that some rules need. All optional: a rule that lacks its
    facts says nothing rather than guess."""

    phase: str = "check"
    as_of: date = field(default_factory=date.today)  # leaders' terms, periods, 索引号 year
    column_type: str | None = None  # 政策文件, 政策解读, 通知公告, ...
    org_code: str | None = None  # the publishing unit's 组织机构代码 or 统一社会信用代码
    publish_time: datetime | None = None
    article_id: str | None = None
    index_numbers: Mapping[str, str] = field(default_factory=dict)  # 索引号 -> article id
    next_index_serial: int | None = None  # next free serial for (org_code, year)
    related_links: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # id -> its links
    related_types: Mapping[str, str] = field(default_factory=dict)  # id -> column type
    new_media: bool = False  # the item goes to WeChat, Weibo or apps


@dataclass(frozen=True)
class Section:
    """One field of the revision as the rules see it."""

    name: str  # title, body, attachment:<file name>
    plain: PlainText
    html: ParsedHtml | None = None  # the parsed source, for fields written in HTML

    @cached_property
    def view(self) -> MatchView:
        return match_view(self.plain.text)

    @property
    def text(self) -> str:
        """The searchable view (full-width folded, zero-width removed)."""
        return self.view.text


@dataclass
class Document:
    """A revision under check: its sections, metadata and the dictionary hits per section."""

    sections: list[Section]
    metadata: ArticleMetadata
    compiled: CompiledDictionaries
    context: CheckContext
    _hits: dict[str, list[Hit]] = field(default_factory=dict)
    _derived: dict[tuple[str, str], Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        title: str,
        body_html: str,
        metadata: ArticleMetadata,
        compiled: CompiledDictionaries,
        context: CheckContext,
        attachments: tuple[tuple[str, str], ...] = (),
        body_is_html: bool = True,
    ) -> Document:
        sections = [Section("title", PlainText.of_plain(title))]
        if metadata.summary:
            sections.append(Section("metadata.summary", PlainText.of_plain(metadata.summary)))
        if body_is_html:
            parsed = parse_html(body_html)
            sections.append(Section("body", parsed.plain, parsed))
        else:
            sections.append(Section("body", PlainText.of_plain(body_html)))
        sections += [Section(f"attachment:{n}", PlainText.of_plain(t)) for n, t in attachments]
        return cls(sections, metadata, compiled, context)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def hits(self, section: Section) -> list[Hit]:
        """Dictionary hits in a section's view (computed once per section)."""
        if section.name not in self._hits:
            self._hits[section.name] = self.compiled.scan(section.text)
        return self._hits[section.name]

    def derived(self, section: Section, fn: Callable[[Section], T]) -> T:
        """`fn(section)` computed once per document, for facts several rules read."""
        key = (section.name, fn.__qualname__)
        if key not in self._derived:
            self._derived[key] = fn(section)
        return cast(T, self._derived[key])

    def derived_value(self, key: str, make: Callable[[], T]) -> T:
        """A value shared by the rules of one document, made on first use."""
        if ("", key) not in self._derived:
            self._derived["", key] = make()
        return cast(T, self._derived["", key])

    def finding(
        self,
        section: Section,
        start: int,
        end: int,
        rule: str,
        severity: Severity,
        message: str,
        fix: str | None = None,
    ) -> Finding:
        """A finding for the view span [start, end) of `section`, located in its plain text."""
        plain_start, plain_end = section.view.span(start, end)
        return self.plain_finding(section, plain_start, plain_end, rule, severity, message, fix)

    @staticmethod
    def plain_finding(
        section: Section,
        start: int,
        end: int,
        rule: str,
        severity: Severity,
        message: str,
        fix: str | None = None,
        text: str | None = None,
    ) -> Finding:
        """A finding for the plain-text span [start, end) of `section` (`text` when the span
        is empty but something else names the problem, such as a link target)."""
        return Finding(
            rule=rule,
            severity=severity,
            field=section.name,
            start=start,
            end=end,
            text=section.plain.text[start:end] or (text or ""),
            message=message,
            fix=fix,
        )

    @staticmethod
    def whole_finding(
        field: str, text: str, rule: str, severity: Severity, message: str, fix: str | None = None
    ) -> Finding:
        """A finding about a whole field, file or the article (no span inside a text)."""
        return Finding(
            rule=rule,
            severity=severity,
            field=field,
            start=0,
            end=len(text) if field.startswith("metadata.") else 0,
            text=text,
            message=message,
            fix=fix,
        )

    def metadata_finding(
        self,
        name: str,
        rule: str,
        severity: Severity,
        message: str,
        fix: str | None = None,
    ) -> Finding:
        """A finding about a whole metadata field."""
        value = getattr(self.metadata, name, "")
        text = "" if value is None else str(value)
        return self.whole_finding(f"metadata.{name}", text, rule, severity, message, fix)
