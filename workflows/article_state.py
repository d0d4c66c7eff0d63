"""Article state and `evolve`: the fold of an article's events. Pure; never stored as truth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from events.envelope import Event
from workflows.article_events import (
    ArticleApproved,
    ArticleArchived,
    ArticleChecked,
    ArticleCreated,
    ArticleImported,
    ArticlePublished,
    ArticleRetracted,
    ArticleReturned,
    ArticleRevised,
    ArticleSignedOff,
    ArticleSubmitted,
    ArticleWithdrawn,
    FindingOverridden,
    PublicationCancelled,
    PublicationRescheduled,
    PublicationScheduled,
    StageApproved,
    TargetsWithdrawn,
)
from workflows.checks.findings import Finding, Severity
from workflows.content import ArticleContent
from workflows.publication import Publication
from workflows.vocabulary import SIGNOFF_STAGE, ArticleStatus
from workflows.workflow_definition import Stage, WorkflowDefinition


class Approval(NamedTuple):
    """One stage approval, bound to a revision and its content hash."""

    stage: str
    user_id: str
    revision: int
    content_hash: str
    gates: tuple[str, ...]
    opinion: str = ""  # the reviewer's written opinion (审核意见), if any


class ReturnNote(NamedTuple):
    """Why the article was last returned, and by whom."""

    stage: str
    revision: int
    returned_by: str
    reasons: tuple[str, ...]


class ArticleState(NamedTuple):
    """Everything the rules need to know about one article.

    Immutable; a named tuple because `evolve` copies it once per event and `_replace` is
    several times cheaper than `dataclasses.replace`.
    """

    article_id: str = ""
    status: ArticleStatus = ArticleStatus.NEW
    site: str = ""
    columns: tuple[str, ...] = ()
    author: str = ""
    workflow: WorkflowDefinition | None = None
    revision: int = 0
    content: ArticleContent | None = None
    content_hash: str = ""
    revision_editor: str = ""
    stage_index: int = 0
    approvals: tuple[Approval, ...] = ()
    signed_off_by: str | None = None
    signoff_opinion: str = ""
    approved_revision: int | None = None
    approved_hash: str | None = None
    last_return: ReturnNote | None = None
    findings: tuple[Finding, ...] = ()  # the current revision's latest system check
    overridden: frozenset[str] = frozenset()  # REVIEW finding ids a reviewer accepted
    checked_with: str | None = None  # dictionary version of the latest check of this revision
    live: Publication | None = None  # what the targets show now
    scheduled: Publication | None = None  # a publication waiting for its time

    def open_findings(self) -> list[Finding]:
        """REVIEW findings of the current revision that no reviewer has accepted yet."""
        return [
            f
            for f in self.findings
            if f.severity is Severity.REVIEW and f.id not in self.overridden
        ]

    @property
    def exists(self) -> bool:
        """Whether the article has been created."""
        return self.status is not ArticleStatus.NEW

    @property
    def current_stage(self) -> Stage | None:
        """The stage waiting for a reviewer, when in review."""
        if self.status is not ArticleStatus.IN_REVIEW or self.workflow is None:
            return None
        return self.workflow.stages[self.stage_index]

    @property
    def waiting_for(self) -> str | None:
        """The stage id (or `signoff`) that must act next, if any."""
        if self.status is ArticleStatus.AWAITING_SIGNOFF:
            return SIGNOFF_STAGE
        stage = self.current_stage
        return stage.id if stage else None

    def stage_name(self, stage_id: str) -> str:
        """A stage as people name it (初审, not its id); an unknown id as it was given."""
        if stage_id == SIGNOFF_STAGE:
            return "领导签批"
        stage = self.workflow.stage(stage_id) if self.workflow else None
        return stage.name if stage else stage_id

    @property
    def needs_signoff(self) -> bool:
        """Whether the current content needs a leader's sign-off after the last stage."""
        if self.workflow is None or self.content is None:
            return False
        meta = self.content.metadata
        return self.workflow.needs_signoff(meta.major, meta.sensitivity)

    def excluded_reviewers(self) -> frozenset[str]:
        """Users who may not act on the current revision's review: separation of duties."""
        return frozenset({self.author, self.revision_editor, *(a.user_id for a in self.approvals)})


initial_state = ArticleState()


def evolve(state: ArticleState, event: Event) -> ArticleState:
    """Fold one event into the state (events of other types leave it unchanged)."""
    apply = _APPLY.get(type(event))
    return apply(state, event) if apply is not None else state


# One function per event type, found by a dict lookup: replays fold every stored event, and
# a lookup is several times cheaper than matching the type against each case in turn. The
# events every article has (created, checked, submitted, approved) set the fields of a copy
# by index: about half the cost of `_set`, which the rarer events use.

_FIELD_INDEX = {name: index for index, name in enumerate(ArticleState._fields)}
_new_tuple = tuple.__new__
_ARTICLE_ID, _STATUS, _SITE, _COLUMNS, _AUTHOR, _WORKFLOW = (
    _FIELD_INDEX[f] for f in ("article_id", "status", "site", "columns", "author", "workflow")
)
_REVISION, _CONTENT, _CONTENT_HASH, _REVISION_EDITOR, _STAGE_INDEX, _APPROVALS = (
    _FIELD_INDEX[f]
    for f in ("revision", "content", "content_hash", "revision_editor", "stage_index", "approvals")
)
_SIGNED_OFF_BY, _APPROVED_REVISION, _APPROVED_HASH, _FINDINGS, _CHECKED_WITH = (
    _FIELD_INDEX[f]
    for f in ("signed_off_by", "approved_revision", "approved_hash", "findings", "checked_with")
)
_DRAFT, _IN_REVIEW = ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW


def _created(state: ArticleState, event: ArticleCreated) -> ArticleState:
    values = list(initial_state)
    values[_ARTICLE_ID] = event.article_id
    values[_STATUS] = _DRAFT
    values[_SITE] = event.site
    values[_COLUMNS] = event.columns
    values[_AUTHOR] = values[_REVISION_EDITOR] = event.author
    values[_WORKFLOW] = event.workflow
    values[_REVISION] = event.revision
    values[_CONTENT] = event.content
    values[_CONTENT_HASH] = event.content_hash
    return _new_tuple(ArticleState, values)


def _revised(state: ArticleState, event: ArticleRevised) -> ArticleState:
    status = state.status
    if event.review_restarted:
        status = ArticleStatus.IN_REVIEW
    elif status is ArticleStatus.RETRACTED:
        status = ArticleStatus.DRAFT
    return _set(
        state,
        status=status,
        revision=event.revision,
        content=event.content,
        content_hash=event.content_hash,
        revision_editor=event.editor,
        stage_index=0,
        approvals=(),
        signed_off_by=None,
        approved_revision=None,
        approved_hash=None,
        findings=(),
        overridden=frozenset(),
        checked_with=None,
    )


def _checked(state: ArticleState, event: ArticleChecked) -> ArticleState:
    if event.revision != state.revision:
        return state
    values = list(state)
    values[_FINDINGS] = event.findings
    values[_CHECKED_WITH] = event.dictionary_version
    return _new_tuple(ArticleState, values)


def _overridden(state: ArticleState, event: FindingOverridden) -> ArticleState:
    return _set(state, overridden=state.overridden | {event.finding_id})


def _submitted(state: ArticleState, event: ArticleSubmitted) -> ArticleState:
    values = list(state)
    values[_STATUS] = _IN_REVIEW
    values[_STAGE_INDEX] = 0
    values[_APPROVALS] = ()
    values[_SIGNED_OFF_BY] = None
    return _new_tuple(ArticleState, values)


def _stage_approved(state: ArticleState, event: StageApproved) -> ArticleState:
    values = list(state)
    approval = _new_tuple(
        Approval,
        (event.stage, event.approver, event.revision, event.content_hash, event.gates,
         event.opinion),
    )  # fmt: skip
    values[_APPROVALS] = (*state.approvals, approval)
    next_stage = event.next_stage
    if next_stage is None:
        pass  # review complete: approval for publication follows
    elif next_stage == SIGNOFF_STAGE:
        values[_STATUS] = ArticleStatus.AWAITING_SIGNOFF
    else:
        values[_STATUS] = _IN_REVIEW
        values[_STAGE_INDEX] = state.stage_index + 1
    return _new_tuple(ArticleState, values)


def _returned(state: ArticleState, event: ArticleReturned) -> ArticleState:
    note = ReturnNote(event.stage, event.revision, event.returned_by, event.reasons)
    return _set(
        state,
        status=ArticleStatus.RETURNED,
        stage_index=0,
        approvals=(),
        signed_off_by=None,
        last_return=note,
    )


def _signed_off(state: ArticleState, event: ArticleSignedOff) -> ArticleState:
    return _set(state, signed_off_by=event.leader, signoff_opinion=event.opinion)


def _approved(state: ArticleState, event: ArticleApproved | ArticleImported) -> ArticleState:
    values = list(state)
    values[_STATUS] = ArticleStatus.APPROVED
    values[_APPROVED_REVISION] = event.revision
    values[_APPROVED_HASH] = event.content_hash
    return _new_tuple(ArticleState, values)


def _withdrawn(state: ArticleState, event: ArticleWithdrawn) -> ArticleState:
    return _set(state, status=ArticleStatus.DRAFT, stage_index=0, approvals=(), signed_off_by=None)


def _archived(state: ArticleState, event: ArticleArchived) -> ArticleState:
    return _set(state, status=ArticleStatus.ARCHIVED)


def _scheduled(state: ArticleState, event: PublicationScheduled) -> ArticleState:
    return _set(state, status=ArticleStatus.SCHEDULED, scheduled=event.publication)


def _published(state: ArticleState, event: ArticlePublished) -> ArticleState:
    return _set(state, status=ArticleStatus.PUBLISHED, live=event.publication, scheduled=None)


def _rescheduled(state: ArticleState, event: PublicationRescheduled) -> ArticleState:
    times = {"publish_at": event.publish_at, "expire_at": event.expire_at}
    if state.scheduled and state.scheduled.publication_id == event.publication_id:
        return _set(state, scheduled=state.scheduled.model_copy(update=times))
    if state.live and state.live.publication_id == event.publication_id:
        return _set(state, live=state.live.model_copy(update=times))
    return state


def _cancelled(state: ArticleState, event: PublicationCancelled) -> ArticleState:
    status = state.status
    if status is ArticleStatus.SCHEDULED:
        status = ArticleStatus.APPROVED  # approved, not (or not in this revision) out
    return _set(state, status=status, scheduled=None)


def _retracted(state: ArticleState, event: ArticleRetracted) -> ArticleState:
    status = state.status
    if status is ArticleStatus.PUBLISHED:
        status = ArticleStatus.RETRACTED
    return _set(state, status=status, live=None)


def _withdrawn_from(state: ArticleState, event: TargetsWithdrawn) -> ArticleState:
    live = state.live
    if live is None:
        return state
    gone = {t.key for t in event.targets}
    remaining = tuple(t for t in live.targets if t.key not in gone)
    if remaining:
        return _set(state, live=live.model_copy(update={"targets": remaining}))
    status = ArticleStatus.RETRACTED if state.status is ArticleStatus.PUBLISHED else state.status
    return _set(state, status=status, live=None)


def _set(state: ArticleState, **changes: Any) -> ArticleState:
    """`state._replace(**changes)` at about half the cost (it walks only the changed fields)."""
    values = list(state)
    for name, value in changes.items():
        values[_FIELD_INDEX[name]] = value
    return _new_tuple(ArticleState, values)


_APPLY: dict[type[Event], Callable[[ArticleState, Any], ArticleState]] = {
    ArticleCreated: _created,
    ArticleRevised: _revised,
    ArticleChecked: _checked,
    FindingOverridden: _overridden,
    ArticleSubmitted: _submitted,
    StageApproved: _stage_approved,
    ArticleReturned: _returned,
    ArticleSignedOff: _signed_off,
    ArticleApproved: _approved,
    ArticleImported: _approved,  # reviewed and published by the previous system
    ArticleWithdrawn: _withdrawn,
    ArticleArchived: _archived,
    PublicationScheduled: _scheduled,
    ArticlePublished: _published,
    PublicationRescheduled: _rescheduled,
    PublicationCancelled: _cancelled,
    ArticleRetracted: _retracted,
    TargetsWithdrawn: _withdrawn_from,
}


def fold(events: list[Event], state: ArticleState = initial_state) -> ArticleState:
    """Fold many events, oldest first."""
    for event in events:
        state = evolve(state, event)
    return state
