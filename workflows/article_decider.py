"""The article decider: `decide(command, state) -> events`. Pure rules of 三审三校, no I/O."""

from __future__ import annotations

from events.decider import Decider, StreamName
from events.envelope import Actor, Event
from workflows import migration_decider, publication_decider
from workflows.article_commands import (
    ApproveStage,
    ArchiveArticle,
    ArticleCommand,
    CreateArticle,
    EditArticle,
    ImportArticle,
    OverrideFinding,
    PublishArticle,
    RecheckArticle,
    ReleasePublication,
    ReschedulePublication,
    RetractArticle,
    ReturnArticle,
    ReuseArticle,
    SignOff,
    SubmitArticle,
    WithdrawArticle,
)
from workflows.article_events import (
    ArticleApproved,
    ArticleArchived,
    ArticleCreated,
    ArticleReturned,
    ArticleRevised,
    ArticleSignedOff,
    ArticleSubmitted,
    ArticleWithdrawn,
    FindingOverridden,
    StageApproved,
)
from workflows.article_guards import (
    checked_event,
    require_current_revision,
    require_exists,
    require_findings_resolved,
    require_role,
    require_separation,
    require_status,
    require_waiting_role,
)
from workflows.article_state import ArticleState, evolve, initial_state
from workflows.checks.findings import Severity
from workflows.errors import DomainError
from workflows.vocabulary import (
    GATE_LABELS,
    SIGNOFF_STAGE,
    ArticleStatus,
    Gate,
    Role,
)

_GATE_NAMES = frozenset(g.value for g in Gate)
_REVIEWING = (ArticleStatus.IN_REVIEW, ArticleStatus.AWAITING_SIGNOFF)
# What is (about to be) public.
RECHECKABLE = (ArticleStatus.APPROVED, ArticleStatus.SCHEDULED, ArticleStatus.PUBLISHED)
_RESTARTING = (*_REVIEWING, ArticleStatus.APPROVED, ArticleStatus.PUBLISHED)
_RECHECK_ROLES = (Role.ADMIN, Role.OPERATOR)
_EDITING_ROLES = frozenset(
    {Role.EDITOR, Role.FIRST_REVIEWER, Role.SECOND_REVIEWER, Role.FINAL_REVIEWER}
)


def decide(command: ArticleCommand, state: ArticleState) -> list[Event]:
    """Return the events `command` causes in `state`, or raise a `DomainError`."""
    if isinstance(command, CreateArticle):
        return _create(command, state)
    if isinstance(command, ImportArticle):
        return migration_decider.import_article(command, state)
    require_exists(state, command.article_id)
    match command:
        case EditArticle():
            return _edit(command, state)
        case SubmitArticle():
            return _submit(command, state)
        case ApproveStage():
            return _approve(command, state)
        case ReturnArticle():
            return _return(command, state)
        case SignOff():
            return _sign_off(command, state)
        case WithdrawArticle():
            return _withdraw(command, state)
        case ArchiveArticle():
            return _archive(command, state)
        case OverrideFinding():
            return _override(command, state)
        case RecheckArticle():
            return _recheck(command, state)
        case PublishArticle():
            return publication_decider.publish(command, state)
        case ReschedulePublication():
            return publication_decider.reschedule(command, state)
        case ReleasePublication():
            return publication_decider.release(command, state)
        case RetractArticle():
            return publication_decider.retract(command, state)
        case ReuseArticle():
            return publication_decider.reuse(command, state)
    raise DomainError("COMMAND_UNKNOWN", f"未知命令 {type(command).__name__}")


def acting_role(command: ArticleCommand, state: ArticleState) -> str:
    """The role a command is performed in, for the event envelope's actor."""
    match command:
        case ApproveStage() | ReturnArticle() | OverrideFinding() if (
            state.status is ArticleStatus.IN_REVIEW
        ):
            stage = state.current_stage
            return stage.role if stage else Role.EDITOR
        case SignOff() | ReturnArticle() | OverrideFinding() if state.workflow is not None:
            return state.workflow.signoff.role
        case ArchiveArticle() if Role.EDITOR not in command.actor.roles_on(state.site):
            return Role.ADMIN
        case PublishArticle() | ReschedulePublication() | ReleasePublication() | RetractArticle():
            return publication_decider.publishing_role(command.actor, state.site)
        case ReuseArticle():
            return publication_decider.publishing_role(command.actor, command.site)
        case ImportArticle():
            held = command.actor.roles_on(command.site)
            return next((r for r in migration_decider.IMPORTERS if r in held), Role.ADMIN)
        case RecheckArticle():
            held = command.actor.roles_on(state.site)
            return next((r for r in _RECHECK_ROLES if r in held), Role.ADMIN)
        case EditArticle() if Role.EDITOR not in command.actor.roles_on(state.site):
            roles = command.actor.roles_on(state.site) & _EDITING_ROLES
            return min(roles) if roles else Role.EDITOR
    return Role.EDITOR


# -- commands ----------------------------------------------------------------------------


def _create(command: CreateArticle, state: ArticleState) -> list[Event]:
    if state.exists:
        raise DomainError("ARTICLE_EXISTS", f"稿件 {command.article_id} 已存在")
    require_role(command.actor, command.site, Role.EDITOR)
    if not command.columns:
        raise DomainError("COLUMN_REQUIRED", "稿件至少要放入一个栏目")
    return [
        ArticleCreated(
            article_id=command.article_id,
            site=command.site,
            columns=command.columns,
            author=command.actor.user_id,
            workflow=command.workflow,
            revision=1,
            content=command.content,
            content_hash=command.content.content_hash(),
        )
    ]


def _edit(command: EditArticle, state: ArticleState) -> list[Event]:
    roles = command.actor.roles_on(state.site)
    if state.status is ArticleStatus.SCHEDULED:
        raise DomainError("PUBLICATION_SCHEDULED", "稿件已定时发布，请先撤销定时再修改")
    if state.status in _RESTARTING:
        if not roles & _EDITING_ROLES:
            require_role(command.actor, state.site, Role.EDITOR)
    else:
        require_role(command.actor, state.site, Role.EDITOR)
    content_hash = command.content.content_hash()
    if content_hash == state.content_hash:
        raise DomainError("NOTHING_CHANGED", "内容没有变化，未生成新版本")
    had_approvals = bool(state.approvals) or state.approved_hash is not None
    # An edit of an approved or published article (a correction) goes through review again;
    # what is live stays live until the corrected revision is approved and published.
    restart = state.status in _RESTARTING
    revision = state.revision + 1
    checked = checked_event(command.report, revision, content_hash) if restart else None
    blocked = checked is not None and checked.blocked
    events: list[Event] = [
        ArticleRevised(
            revision=revision,
            content=command.content,
            content_hash=content_hash,
            editor=command.actor.user_id,
            approvals_voided=had_approvals,
            review_restarted=restart and not blocked,
        )
    ]
    if checked is not None:
        events.append(checked)
    if blocked and state.status in _REVIEWING:
        # The new revision fails a BLOCK check: it cannot stay in review.
        events.append(
            ArticleWithdrawn(
                revision=revision,
                withdrawn_by=command.actor.user_id,
                reason="修改后的版本未通过系统强制校验，已退出审核",
            )
        )
    return events


def _submit(command: SubmitArticle, state: ArticleState) -> list[Event]:
    require_role(command.actor, state.site, Role.EDITOR)
    require_status(state, (ArticleStatus.DRAFT, ArticleStatus.RETURNED), "送审")
    assert state.workflow is not None
    checked = checked_event(command.report, state.revision, state.content_hash)
    if checked.blocked:
        # Recorded, but the article stays where it is: the service reports CHECKS_BLOCKED.
        return [checked]
    return [
        checked,
        ArticleSubmitted(
            revision=state.revision,
            content_hash=state.content_hash,
            submitted_by=command.actor.user_id,
            stage=state.workflow.stages[0].id,
        ),
    ]


def _approve(command: ApproveStage, state: ArticleState) -> list[Event]:
    if state.status is ArticleStatus.AWAITING_SIGNOFF:
        raise DomainError("SIGNOFF_PENDING", "三审已完成，等待领导签批，请使用签批")
    require_status(state, (ArticleStatus.IN_REVIEW,), "审核通过")
    stage = state.current_stage
    assert stage is not None and state.workflow is not None
    if command.stage is not None and command.stage != stage.id:
        raise DomainError(
            "STAGE_NOT_CURRENT",
            f"当前待审环节为“{stage.name}”，不是“{state.stage_name(command.stage)}”",
            stage=stage.id,
        )
    require_role(command.actor, state.site, stage.role, "STAGE_ROLE_REQUIRED")
    require_current_revision(state, command.revision, command.content_hash)
    require_separation(state, command.actor.user_id)
    require_findings_resolved(state)
    unknown = sorted(set(command.gates) - _GATE_NAMES)
    if unknown:
        raise DomainError("GATE_UNKNOWN", f"未知把关项: {', '.join(unknown)}", gates=unknown)
    missing = [g for g in stage.gates if g not in command.gates]
    if missing:
        labels = "、".join(GATE_LABELS[g] for g in missing)
        raise DomainError(
            "GATES_MISSING",
            f"“{stage.name}”须确认以下把关项: {labels}",
            missing=[str(g) for g in missing],
        )
    is_last = state.stage_index == len(state.workflow.stages) - 1
    if not is_last:
        next_stage: str | None = state.workflow.stages[state.stage_index + 1].id
    elif state.needs_signoff:
        next_stage = SIGNOFF_STAGE
    else:
        next_stage = None
    approved = StageApproved(
        stage=stage.id,
        stage_name=stage.name,
        revision=state.revision,
        content_hash=state.content_hash,
        approver=command.actor.user_id,
        gates=tuple(str(g) for g in stage.gates)
        + tuple(sorted(set(command.gates) - set(stage.gates))),
        opinion=command.opinion.strip(),
        next_stage=next_stage,
    )
    if next_stage is not None:
        return [approved]
    approvers = {a.stage: a.user_id for a in state.approvals} | {stage.id: command.actor.user_id}
    return [
        approved,
        ArticleApproved(
            revision=state.revision, content_hash=state.content_hash, approvers=approvers
        ),
    ]


def _return(command: ReturnArticle, state: ArticleState) -> list[Event]:
    require_status(state, _REVIEWING, "退回")
    assert state.workflow is not None
    waiting = state.waiting_for or ""
    if command.stage is not None and command.stage != waiting:
        raise DomainError("STAGE_NOT_CURRENT",
                          f"当前待审环节为“{state.stage_name(waiting)}”，"
                          f"不是“{state.stage_name(command.stage)}”", stage=waiting)  # fmt: skip
    stage = require_waiting_role(command.actor, state)
    stage_name = stage.name if stage else "领导签批"
    if command.actor.user_id == state.author:
        raise DomainError("AUTHOR_CANNOT_REVIEW", "作者不能审核自己的稿件")
    reasons = tuple(r.strip() for r in command.reasons if r.strip())
    if not reasons:
        raise DomainError("REASON_REQUIRED", "退回稿件必须填写退回理由")
    return [
        ArticleReturned(
            stage=waiting,
            stage_name=stage_name,
            revision=state.revision,
            returned_by=command.actor.user_id,
            reasons=reasons,
        )
    ]


def _sign_off(command: SignOff, state: ArticleState) -> list[Event]:
    if state.status is ArticleStatus.IN_REVIEW:
        raise DomainError("SIGNOFF_NOT_READY", "三审尚未完成，不能签批")
    require_status(state, (ArticleStatus.AWAITING_SIGNOFF,), "签批")
    assert state.workflow is not None
    require_role(command.actor, state.site, state.workflow.signoff.role, "SIGNOFF_ROLE_REQUIRED")
    require_current_revision(state, command.revision, None)
    require_separation(state, command.actor.user_id)
    approvers = {a.stage: a.user_id for a in state.approvals}
    return [
        ArticleSignedOff(
            revision=state.revision,
            content_hash=state.content_hash,
            leader=command.actor.user_id,
            opinion=command.opinion.strip(),
        ),
        ArticleApproved(
            revision=state.revision,
            content_hash=state.content_hash,
            approvers=approvers,
            signed_off_by=command.actor.user_id,
        ),
    ]


def _withdraw(command: WithdrawArticle, state: ArticleState) -> list[Event]:
    require_role(command.actor, state.site, Role.EDITOR)
    require_status(state, _REVIEWING, "撤回")
    return [
        ArticleWithdrawn(
            revision=state.revision,
            withdrawn_by=command.actor.user_id,
            reason=command.reason.strip(),
        )
    ]


def _archive(command: ArchiveArticle, state: ArticleState) -> list[Event]:
    roles = command.actor.roles_on(state.site)
    if Role.EDITOR not in roles and Role.ADMIN not in roles:
        require_role(command.actor, state.site, Role.EDITOR)
    if state.status in _REVIEWING:
        raise DomainError("ARTICLE_IN_REVIEW", "稿件正在审核中，请先撤回再归档")
    if state.live is not None or state.scheduled is not None:
        raise DomainError("ARTICLE_PUBLISHED", "稿件已发布或已定时发布，请先撤稿再归档")
    return [ArticleArchived(archived_by=command.actor.user_id, reason=command.reason.strip())]


def _override(command: OverrideFinding, state: ArticleState) -> list[Event]:
    require_status(state, _REVIEWING, "确认校验结果")
    assert state.workflow is not None
    require_waiting_role(command.actor, state)
    if command.actor.user_id in (state.author, state.revision_editor):
        raise DomainError("AUTHOR_CANNOT_REVIEW", "作者不能确认自己稿件的校验结果")
    finding = next((f for f in state.findings if f.id == command.finding_id), None)
    if finding is None:
        raise DomainError(
            "FINDING_UNKNOWN",
            f"当前版本没有校验问题 {command.finding_id}",
            finding=command.finding_id,
        )
    if finding.severity is not Severity.REVIEW:
        raise DomainError(
            "FINDING_NOT_OVERRIDABLE",
            f"{finding.rule} 为“{finding.severity}”级问题，只有“需人工确认”级可由审核人确认",
            finding=finding.id,
        )
    if finding.id in state.overridden:
        raise DomainError("FINDING_ALREADY_OVERRIDDEN", f"问题 {finding.id} 已确认")
    reason = command.reason.strip()
    if not reason:
        raise DomainError("REASON_REQUIRED", "确认校验问题必须填写理由")
    return [
        FindingOverridden(
            revision=state.revision,
            finding_id=finding.id,
            rule=finding.rule,
            stage=state.waiting_for or "",
            overridden_by=command.actor.user_id,
            reason=reason,
        )
    ]


def _recheck(command: RecheckArticle, state: ArticleState) -> list[Event]:
    """A new check of the approved revision; nothing when these dictionaries already checked it."""
    if not any(role in command.actor.roles_on(state.site) for role in _RECHECK_ROLES):
        require_role(command.actor, state.site, Role.ADMIN)
    require_status(state, RECHECKABLE, "复检")
    checked = checked_event(command.report, state.revision, state.content_hash, "recheck")
    if checked.dictionary_version == state.checked_with:
        return []
    return [checked]


ARTICLES = StreamName("article")


def _recorded_as(command: ArticleCommand, state: ArticleState) -> Actor:
    return Actor(command.actor.user_id, str(acting_role(command, state)))


# What the runner needs to run article commands.
article_decider: Decider[ArticleCommand, ArticleState] = Decider(
    name="article",
    streams=ARTICLES,
    initial_state=initial_state,
    decide=decide,
    evolve=evolve,
    entity=lambda command: command.article_id,
    actor=_recorded_as,
    creates=lambda command: isinstance(command, CreateArticle | ImportArticle),
)
