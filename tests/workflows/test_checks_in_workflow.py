"""The system checks inside the review workflow: recorded at submit, BLOCK stops, REVIEW
findings need a reviewer's override with a reason before the stage can be approved."""

from __future__ import annotations

import pytest

from tests.workflows.builders import EDITOR, R1, R2, created, run
from workflows.article_commands import (
    ApproveStage,
    EditArticle,
    OverrideFinding,
    SubmitArticle,
)
from workflows.article_events import ArticleChecked, ArticleSubmitted, ArticleWithdrawn
from workflows.article_state import ArticleState
from workflows.checks.engine import CheckReport
from workflows.checks.findings import Finding, Severity
from workflows.errors import DomainError
from workflows.vocabulary import ArticleStatus

GATES_FIRST = ("wording", "secrecy")


def finding(rule: str, severity: Severity, text: str = "x") -> Finding:
    return Finding(
        rule=rule, severity=severity, field="body", start=0, end=1, text=text, message="m"
    )


def report(state: ArticleState, *findings: Finding, content_hash: str | None = None) -> CheckReport:
    return CheckReport(
        dictionary_version="v1",
        findings=findings,
        content_hash=content_hash or state.content_hash,
    )


def code_of(state: ArticleState, command: object) -> str:
    with pytest.raises(DomainError) as info:
        run(state, command)  # type: ignore[arg-type]
    return info.value.code


def test_a_block_finding_is_recorded_and_keeps_the_article_out_of_review() -> None:
    state = created()
    blocked = report(state, finding("P09", Severity.BLOCK))
    state, events = run(state, SubmitArticle("a1", EDITOR, blocked))
    assert [type(e) for e in events] == [ArticleChecked]
    assert events[0].blocked and state.status is ArticleStatus.DRAFT
    assert state.findings == blocked.findings


def test_a_report_about_another_revision_is_refused() -> None:
    state = created()
    stale = report(state, content_hash="sha256:old")
    assert code_of(state, SubmitArticle("a1", EDITOR, stale)) == "CHECKS_STALE"


def test_review_findings_need_an_override_with_reason_before_approval() -> None:
    state = created()
    review = finding("P20", Severity.REVIEW, "外部链接")
    warn = finding("P08", Severity.WARN, "既使")
    state, events = run(state, SubmitArticle("a1", EDITOR, report(state, review, warn)))
    assert [type(e) for e in events] == [ArticleChecked, ArticleSubmitted]
    assert code_of(state, ApproveStage("a1", 1, GATES_FIRST, R1)) == "FINDINGS_NOT_OVERRIDDEN"
    assert code_of(state, OverrideFinding("a1", review.id, "  ", R1)) == "REASON_REQUIRED"
    assert (
        code_of(state, OverrideFinding("a1", review.id, "已核实", EDITOR)) == "STAGE_ROLE_REQUIRED"
    )
    assert code_of(state, OverrideFinding("a1", review.id, "已核实", R2)) == "STAGE_ROLE_REQUIRED"
    assert code_of(state, OverrideFinding("a1", warn.id, "已核实", R1)) == "FINDING_NOT_OVERRIDABLE"
    assert code_of(state, OverrideFinding("a1", "P01-nope", "已核实", R1)) == "FINDING_UNKNOWN"
    state, events = run(state, OverrideFinding("a1", review.id, "链接为省政府合作单位网站", R1))
    assert events[0].overridden_by == "r1" and events[0].stage == "first"
    assert (
        code_of(state, OverrideFinding("a1", review.id, "再次", R1)) == "FINDING_ALREADY_OVERRIDDEN"
    )
    state, _ = run(state, ApproveStage("a1", 1, GATES_FIRST, R1))
    assert state.waiting_for == "second"


def test_an_edit_during_review_that_fails_a_block_check_leaves_review() -> None:
    state = created()
    state, _ = run(state, SubmitArticle("a1", EDITOR))
    from tests.workflows.builders import content

    new = content(body="<p>含身份证号的新正文</p>")
    bad = CheckReport(
        dictionary_version="v1",
        findings=(finding("P09", Severity.BLOCK),),
        content_hash=new.content_hash(),
    )
    state, events = run(state, EditArticle("a1", new, EDITOR, bad))
    assert [type(e).__name__ for e in events] == [
        "ArticleRevised",
        "ArticleChecked",
        "ArticleWithdrawn",
    ]
    assert isinstance(events[2], ArticleWithdrawn)
    assert state.status is ArticleStatus.DRAFT and state.revision == 2


def approved_article() -> ArticleState:
    from tests.workflows.builders import GATES, R3

    state = created()
    state, _ = run(state, SubmitArticle("a1", EDITOR))
    for reviewer, stage in ((R1, "first"), (R2, "second"), (R3, "final")):
        state, _ = run(state, ApproveStage("a1", state.revision, GATES[stage], reviewer))
    assert state.status is ArticleStatus.APPROVED
    return state


def test_recheck_records_new_findings_once_per_dictionary_version() -> None:
    from tests.workflows.builders import user
    from workflows.article_commands import RecheckArticle

    admin = user("admin", "admin")
    state = approved_article()
    found = finding("P07", Severity.BLOCK, "新敏感词")
    new = CheckReport(dictionary_version="v2", findings=(found,), content_hash=state.content_hash)
    state, events = run(state, RecheckArticle("a1", admin, new))
    (checked,) = events
    assert isinstance(checked, ArticleChecked) and checked.phase == "recheck" and checked.blocked
    assert state.status is ArticleStatus.APPROVED and state.findings == (found,)
    assert run(state, RecheckArticle("a1", admin, new))[1] == []  # same dictionaries: no event
    operator = user("op", "operator")
    assert run(state, RecheckArticle("a1", operator, report(state)))[1]  # v1: a new version
    assert code_of(state, RecheckArticle("a1", EDITOR, new)) == "SITE_ROLE_REQUIRED"
    stale = CheckReport(dictionary_version="v3", content_hash="0" * 64)
    assert code_of(state, RecheckArticle("a1", admin, stale)) == "CHECKS_STALE"
    assert code_of(state, RecheckArticle("a1", admin)) == "CHECKS_REQUIRED"
    draft = created()
    assert code_of(draft, RecheckArticle("a1", admin, report(draft))) == "INVALID_STATE"
