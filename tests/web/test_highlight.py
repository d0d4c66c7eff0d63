"""Findings marked where they are in the body, without breaking its HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import nh3

from hub.web.highlight import mark_findings
from workflows.checks.findings import Finding, Severity
from workflows.checks.html_parse import html_to_text

BODY = "<p>关于<strong>加强</strong>安全&amp;生产的通知</p><p>联系人：张三，电话 13912345678</p>"


def finding(phrase: str, rule: str = "P05", field: str = "body") -> Finding:
    text = html_to_text(BODY).text
    start = text.index(phrase)
    return Finding(rule=rule, severity=Severity.REVIEW, field=field, start=start,
                   end=start + len(phrase), text=phrase, message="请核实<可疑>")  # fmt: skip


class Nesting(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"</{tag}> closes the wrong element"


def test_a_finding_across_tags_and_entities_is_marked_piece_by_piece() -> None:
    marked = mark_findings(BODY, [finding("加强安全&生产"), finding("13912345678", "P11")])
    assert (
        '<strong><mark class="finding sev-review" title="P05 请核实&lt;可疑&gt;">加强</mark>'
        in marked
    )
    assert ">安全&amp;生产</mark>的通知" in marked
    assert (
        '<mark class="finding sev-review" title="P11' in marked and "13912345678</mark>" in marked
    )
    checker = Nesting()
    checker.feed(marked)
    assert checker.open == []
    assert html_to_text(marked).text == html_to_text(BODY).text  # the text is unchanged
    assert (
        nh3.clean(marked, tags={"p", "strong", "mark"}, attributes={"mark": {"class", "title"}})
        == marked
    )


def test_other_fields_bad_offsets_and_overlaps_are_left_alone() -> None:
    title = finding("加强", field="title")
    broken = Finding(rule="P01", severity=Severity.BLOCK, field="body", start=500, end=510,
                     text="x", message="m")  # fmt: skip
    assert mark_findings(BODY, [title, broken]) == BODY
    both = mark_findings(BODY, [finding("安全&生产"), finding("生产的通知")])
    assert both.count("<mark") == 1
