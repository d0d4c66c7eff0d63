"""Guards shared by the deciders of the article stream: who may act, in which state, on which
revision. Each failure is a `DomainError` with its code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.article_commands import ActingUser
from workflows.article_events import ArticleChecked
from workflows.article_state import ArticleState
from workflows.errors import DomainError
from workflows.vocabulary import ROLE_LABELS, STATUS_LABELS, ArticleStatus
from workflows.workflow_definition import Stage

if TYPE_CHECKING:
    from workflows.checks.engine import CheckReport


def require_exists(state: ArticleState, article_id: str) -> None:
    if not state.exists:
        raise DomainError("ARTICLE_NOT_FOUND", f"稿件 {article_id} 不存在", article_id=article_id)
    if state.status is ArticleStatus.ARCHIVED:
        raise DomainError("ARTICLE_ARCHIVED", "稿件已归档，不能再操作", article_id=article_id)


def require_role(actor: ActingUser, site: str, role: str, code: str = "SITE_ROLE_REQUIRED") -> None:
    if role not in actor.roles_on(site):
        raise DomainError(
            code,
            f"用户 {actor.user_id} 在站点 {site} 没有“{ROLE_LABELS.get(role, role)}”角色",
            user=actor.user_id,
            site=site,
            role=str(role),
        )


def require_status(state: ArticleState, allowed: tuple[ArticleStatus, ...], doing: str) -> None:
    if state.status not in allowed:
        raise DomainError(
            "INVALID_STATE",
            f"稿件当前状态为“{STATUS_LABELS[state.status]}”，不能{doing}",
            status=str(state.status),
        )


def require_current_revision(state: ArticleState, revision: int, content_hash: str | None) -> None:
    if revision != state.revision:
        raise DomainError(
            "REVISION_NOT_CURRENT",
            f"审核的是第 {revision} 版，但稿件当前为第 {state.revision} 版，请审核最新版本",
            revision=revision,
            current=state.revision,
        )
    if content_hash is not None and content_hash != state.content_hash:
        raise DomainError(
            "CONTENT_HASH_MISMATCH",
            "内容摘要与当前版本不一致，稿件可能已被修改",
            content_hash=content_hash,
            current=state.content_hash,
        )


def require_separation(state: ArticleState, user_id: str) -> None:
    if user_id == state.author:
        raise DomainError("AUTHOR_CANNOT_REVIEW", "作者不能审核自己的稿件", user=user_id)
    if user_id == state.revision_editor:
        raise DomainError("EDITOR_CANNOT_REVIEW", "修改了当前版本的人不能审核该版本", user=user_id)
    for approval in state.approvals:
        if approval.user_id == user_id:
            raise DomainError(
                "REVIEWER_ALREADY_APPROVED",
                f"用户 {user_id} 已审核过本版本的“{state.stage_name(approval.stage)}”环节，"
                "三审须由不同人员完成",
                user=user_id,
                stage=approval.stage,
            )


def require_waiting_role(actor: ActingUser, state: ArticleState) -> Stage | None:
    """The actor holds the role of whoever must act now (the stage, or the sign-off leader);
    returns the current stage (None at sign-off)."""
    assert state.workflow is not None
    stage = state.current_stage
    role = stage.role if stage else state.workflow.signoff.role
    require_role(actor, state.site, role, "STAGE_ROLE_REQUIRED")
    return stage


def require_findings_resolved(state: ArticleState) -> None:
    open_findings = state.open_findings()
    if open_findings:
        raise DomainError(
            "FINDINGS_NOT_OVERRIDDEN",
            f"系统校验有 {len(open_findings)} 项需人工确认，请逐项确认（注明理由）或退回修改",
            findings=[f.id for f in open_findings],
        )


def checked_event(
    report: CheckReport | None, revision: int, content_hash: str, phase: str = "submit"
) -> ArticleChecked:
    """The check report as an event, after making sure it is about this very revision."""
    if report is None:
        raise DomainError("CHECKS_REQUIRED", "送审前须先完成系统强制校验")
    if report.content_hash != content_hash:
        raise DomainError("CHECKS_STALE", "校验结果与当前版本不一致，请重新校验")
    return ArticleChecked(
        revision=revision,
        content_hash=content_hash,
        phase=phase,
        dictionary_version=report.dictionary_version,
        findings=report.findings,
        blocked=report.blocked,
    )
