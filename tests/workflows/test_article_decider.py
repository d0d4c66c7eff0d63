"""The three-review rules, one behaviour per test."""

from __future__ import annotations

import pytest

from tests.workflows.builders import (
    ALL_ROUNDER,
    EDITOR,
    EDITOR2,
    GATES,
    LEADER,
    OUTSIDER,
    R1,
    R2,
    R3,
    SITE,
    WORKFLOW,
    content,
    created,
    run,
    user,
)
from workflows.article_commands import (
    ApproveStage,
    ArchiveArticle,
    CreateArticle,
    EditArticle,
    ReturnArticle,
    SignOff,
    SubmitArticle,
    WithdrawArticle,
)
from workflows.article_events import ArticleApproved, ArticleRevised, StageApproved
from workflows.article_state import ArticleState, initial_state
from workflows.errors import DomainError
from workflows.vocabulary import ArticleStatus


def code_of(state: ArticleState, command: object) -> str:
    with pytest.raises(DomainError) as info:
        run(state, command)  # type: ignore[arg-type]
    return info.value.code


def submitted(**metadata: object) -> ArticleState:
    state, _ = run(created(**metadata), SubmitArticle("a1", EDITOR))
    return state


def approve(state: ArticleState, who, stage: str) -> ArticleState:
    state, _ = run(state, ApproveStage("a1", state.revision, GATES[stage], who))
    return state


def through_three(state: ArticleState) -> ArticleState:
    return approve(approve(approve(state, R1, "first"), R2, "second"), R3, "final")


def test_happy_path_three_different_reviewers_approve_the_exact_revision() -> None:
    state = submitted()
    assert state.status is ArticleStatus.IN_REVIEW and state.waiting_for == "first"
    state = approve(state, R1, "first")
    state = approve(state, R2, "second")
    state, events = run(state, ApproveStage("a1", 1, GATES["final"], R3))
    assert [type(e) for e in events] == [StageApproved, ArticleApproved]
    assert state.status is ArticleStatus.APPROVED
    assert state.approved_hash == state.content_hash == content().content_hash()
    assert events[1].approvers == {"first": "r1", "second": "r2", "final": "r3"}


def test_create_needs_editor_role_on_that_site() -> None:
    command = CreateArticle("a1", SITE, ("notices",), content(), WORKFLOW, R1)
    assert code_of(initial_state, command) == "SITE_ROLE_REQUIRED"
    command = CreateArticle("a1", SITE, ("notices",), content(), WORKFLOW, OUTSIDER)
    assert code_of(initial_state, command) == "SITE_ROLE_REQUIRED"
    assert (
        code_of(created(), CreateArticle("a1", SITE, ("n",), content(), WORKFLOW, EDITOR))
        == "ARTICLE_EXISTS"
    )


def test_commands_on_a_missing_article_are_refused() -> None:
    assert code_of(initial_state, SubmitArticle("nope", EDITOR)) == "ARTICLE_NOT_FOUND"


def test_author_never_reviews_their_own_article() -> None:
    author_reviewer = user("editor", "editor", "first_reviewer")
    state = created()
    state, _ = run(state, SubmitArticle("a1", author_reviewer))
    command = ApproveStage("a1", 1, GATES["first"], author_reviewer)
    assert code_of(state, command) == "AUTHOR_CANNOT_REVIEW"
    assert code_of(state, ReturnArticle("a1", ("x",), author_reviewer)) == "AUTHOR_CANNOT_REVIEW"


def test_one_person_cannot_approve_two_stages_of_a_revision() -> None:
    state = approve(submitted(), ALL_ROUNDER, "first")
    command = ApproveStage("a1", 1, GATES["second"], ALL_ROUNDER)
    assert code_of(state, command) == "REVIEWER_ALREADY_APPROVED"


def test_stage_needs_its_role_on_the_articles_site() -> None:
    state = submitted()
    assert code_of(state, ApproveStage("a1", 1, GATES["first"], R2)) == "STAGE_ROLE_REQUIRED"
    assert code_of(state, ApproveStage("a1", 1, GATES["first"], OUTSIDER)) == "STAGE_ROLE_REQUIRED"


def test_approval_must_attest_every_gate_of_the_stage() -> None:
    state = submitted()
    with pytest.raises(DomainError) as info:
        run(state, ApproveStage("a1", 1, ("wording",), R1))
    assert info.value.code == "GATES_MISSING"
    assert info.value.details["missing"] == ["secrecy"]
    assert (
        code_of(state, ApproveStage("a1", 1, ("wording", "secrecy", "nonsense"), R1))
        == "GATE_UNKNOWN"
    )


def test_extra_gates_are_recorded_with_the_required_ones() -> None:
    _, events = run(submitted(), ApproveStage("a1", 1, ("secrecy", "wording", "legal"), R1))
    assert events[0].gates == ("wording", "secrecy", "legal")


def test_approving_a_revision_that_is_not_current_is_refused() -> None:
    state = submitted()
    assert code_of(state, ApproveStage("a1", 2, GATES["first"], R1)) == "REVISION_NOT_CURRENT"
    command = ApproveStage("a1", 1, GATES["first"], R1, content_hash="sha256:other")
    assert code_of(state, command) == "CONTENT_HASH_MISMATCH"


def test_edit_after_an_approval_voids_approvals_and_restarts_at_first_review() -> None:
    state = approve(approve(submitted(), R1, "first"), R2, "second")
    state, events = run(state, EditArticle("a1", content(body="<p>改过的正文</p>"), EDITOR))
    assert isinstance(events[0], ArticleRevised) and events[0].approvals_voided
    assert state.revision == 2 and state.approvals == ()
    assert state.status is ArticleStatus.IN_REVIEW and state.waiting_for == "first"
    # r1 and r2 may review the new revision again; stale approvals of revision 1 are refused
    assert code_of(state, ApproveStage("a1", 1, GATES["first"], R1)) == "REVISION_NOT_CURRENT"
    state = approve(state, R1, "first")
    assert state.approvals[0].revision == 2


def test_edit_of_an_approved_article_sends_it_back_to_review() -> None:
    state = through_three(submitted())
    state, _ = run(state, EditArticle("a1", content(title="新标题"), EDITOR))
    assert state.status is ArticleStatus.IN_REVIEW and state.approved_hash is None


def test_editing_reviewer_cannot_approve_the_revision_they_made() -> None:
    state = submitted()
    state, _ = run(state, EditArticle("a1", content(body="<p>校对后的正文</p>"), R1))
    assert state.revision_editor == "r1"
    assert code_of(state, ApproveStage("a1", 2, GATES["first"], R1)) == "EDITOR_CANNOT_REVIEW"


def test_edit_without_change_is_refused_and_draft_edit_needs_editor() -> None:
    assert code_of(created(), EditArticle("a1", content(), EDITOR)) == "NOTHING_CHANGED"
    assert code_of(created(), EditArticle("a1", content(title="x"), R1)) == "SITE_ROLE_REQUIRED"
    state, _ = run(created(), EditArticle("a1", content(title="另一位编辑改的"), EDITOR2))
    assert state.status is ArticleStatus.DRAFT and state.revision == 2


def test_return_needs_reasons_and_sends_it_back_to_the_editor() -> None:
    state = approve(submitted(), R1, "first")
    assert code_of(state, ReturnArticle("a1", (), R2)) == "REASON_REQUIRED"
    assert code_of(state, ReturnArticle("a1", ("  ",), R2)) == "REASON_REQUIRED"
    assert code_of(state, ReturnArticle("a1", ("x",), R1)) == "STAGE_ROLE_REQUIRED"
    state, _ = run(state, ReturnArticle("a1", ("数据有误", "文号格式不对"), R2))
    assert state.status is ArticleStatus.RETURNED and state.approvals == ()
    assert state.last_return is not None
    assert state.last_return.reasons == ("数据有误", "文号格式不对")
    state, _ = run(state, SubmitArticle("a1", EDITOR))
    assert state.waiting_for == "first"  # resubmission starts at 初审


def test_major_items_need_a_leader_sign_off_after_final_review() -> None:
    state = through_three(submitted(major=True))
    assert state.status is ArticleStatus.AWAITING_SIGNOFF and state.approved_hash is None
    assert code_of(state, ApproveStage("a1", 1, GATES["final"], R3)) == "SIGNOFF_PENDING"
    assert code_of(state, SignOff("a1", 1, R3)) == "SIGNOFF_ROLE_REQUIRED"
    state, events = run(state, SignOff("a1", 1, LEADER, "同意"))
    assert state.status is ArticleStatus.APPROVED and state.signed_off_by == "leader"
    assert events[-1].signed_off_by == "leader"


def test_sensitive_grade_needs_sign_off_and_leader_may_return() -> None:
    state = through_three(submitted(sensitivity="sensitive"))
    assert state.status is ArticleStatus.AWAITING_SIGNOFF
    state, _ = run(state, ReturnArticle("a1", ("时机不妥",), LEADER))
    assert state.status is ArticleStatus.RETURNED


def test_sign_off_refused_before_final_review_and_for_stage_approvers() -> None:
    state = submitted(major=True)
    assert code_of(state, SignOff("a1", 1, LEADER)) == "SIGNOFF_NOT_READY"
    leader_r3 = user("r3", "final_reviewer", "leader")
    state = approve(approve(state, R1, "first"), R2, "second")
    state = approve(state, leader_r3, "final")
    assert code_of(state, SignOff("a1", 1, leader_r3)) == "REVIEWER_ALREADY_APPROVED"


def test_withdraw_returns_to_draft_and_resubmission_restarts() -> None:
    state = approve(submitted(), R1, "first")
    assert code_of(state, WithdrawArticle("a1", R1)) == "SITE_ROLE_REQUIRED"
    state, _ = run(state, WithdrawArticle("a1", EDITOR, "补充材料"))
    assert state.status is ArticleStatus.DRAFT and state.approvals == ()
    assert code_of(state, WithdrawArticle("a1", EDITOR)) == "INVALID_STATE"
    state, _ = run(state, SubmitArticle("a1", EDITOR))
    assert state.waiting_for == "first"


def test_submit_only_from_draft_or_returned() -> None:
    state = submitted()
    assert code_of(state, SubmitArticle("a1", EDITOR)) == "INVALID_STATE"
    assert code_of(created(), SubmitArticle("a1", R1)) == "SITE_ROLE_REQUIRED"


def test_archive_is_terminal_and_not_allowed_in_review() -> None:
    assert code_of(submitted(), ArchiveArticle("a1", EDITOR)) == "ARTICLE_IN_REVIEW"
    state, _ = run(created(), ArchiveArticle("a1", EDITOR, "重复稿件"))
    assert state.status is ArticleStatus.ARCHIVED
    assert code_of(state, SubmitArticle("a1", EDITOR)) == "ARTICLE_ARCHIVED"
    admin = user("admin", "admin")
    state, _ = run(through_three(submitted()), ArchiveArticle("a1", admin))
    assert state.status is ArticleStatus.ARCHIVED
