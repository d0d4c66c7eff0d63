"""Events of the article stream. Each is a fact in the past tense, registered by type name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import (
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from events.envelope import Event, from_store
from events.registry import event_type, upcaster
from workflows.checks.findings import Finding
from workflows.content import ArticleContent
from workflows.publication import Publication, Target
from workflows.workflow_definition import WorkflowDefinition, workflow_from_text


@event_type("ArticleCreated", version=2)
class ArticleCreated(Event):
    """An editor drafted an article for a site and columns; revision 1 is its content.

    The workflow in force is recorded with the article (a later change of configuration does
    not change how it is reviewed). Stored, it is the workflow's JSON text rather than a
    nested object (schema 2): all articles of one workflow version share that text, and a
    replay builds the definition once instead of five models per article. Shown to people
    (`model_dump`), it is an object as before.
    """

    article_id: str
    site: str
    columns: tuple[str, ...]
    author: str
    workflow: WorkflowDefinition
    revision: int
    content: ArticleContent
    content_hash: str

    @field_validator("workflow", mode="before")
    @classmethod
    def _workflow_from_text(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and from_store(info):
            return workflow_from_text(value)
        return value

    @field_serializer("workflow", mode="wrap")
    def _workflow_as_text(
        self, workflow: WorkflowDefinition, handler: SerializerFunctionWrapHandler,
        info: SerializationInfo,
    ) -> object:  # fmt: skip
        if info.mode_is_json() and from_store(info):
            return workflow.stored_text
        return handler(workflow)


@upcaster("ArticleCreated", 1)
def _workflow_object(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 stored the workflow as an object, which schema 2 still reads."""
    return raw


@event_type("ArticleRevised")
class ArticleRevised(Event):
    """A new revision replaced the content; any approvals of the old one are void."""

    revision: int
    content: ArticleContent
    content_hash: str
    editor: str
    approvals_voided: bool
    review_restarted: bool


@event_type("ArticleImported")
class ArticleImported(Event):
    """An article brought over from the site's previous system (迁移) with its archive: it was
    reviewed and published there (`source_url`, `original_published_at`); its revision 1 is
    what that system published, taken as approved, and it goes live on the site's columns with
    its original date. Who imported it, from where, is kept with it."""

    revision: int
    content_hash: str
    source_url: str
    original_published_at: datetime
    imported_by: str
    source_system: str = ""  # the old system's name, as the migration was told


@event_type("ArticleSubmitted")
class ArticleSubmitted(Event):
    """The article entered review at the first stage."""

    revision: int
    content_hash: str
    submitted_by: str
    stage: str


@event_type("StageApproved")
class StageApproved(Event):
    """A reviewer approved one stage of one revision, attesting gates."""

    stage: str
    stage_name: str
    revision: int
    content_hash: str
    approver: str
    gates: tuple[str, ...]
    opinion: str = ""
    next_stage: str | None = None  # None: review complete; "signoff": awaits a leader


@event_type("ArticleReturned")
class ArticleReturned(Event):
    """A reviewer or leader sent the article back to its editor with reasons."""

    stage: str
    stage_name: str
    revision: int
    returned_by: str
    reasons: tuple[str, ...]


@event_type("ArticleSignedOff")
class ArticleSignedOff(Event):
    """A leader signed off (签批) the reviewed revision."""

    revision: int
    content_hash: str
    leader: str
    opinion: str = ""


@event_type("ArticleApproved")
class ArticleApproved(Event):
    """Review is complete: this exact revision and hash may be published (先审后发)."""

    revision: int
    content_hash: str
    approvers: dict[str, str]
    signed_off_by: str | None = None


@event_type("ArticleWithdrawn")
class ArticleWithdrawn(Event):
    """The editor pulled a submission back out of review."""

    revision: int
    withdrawn_by: str
    reason: str = ""


@event_type("ArticleArchived")
class ArticleArchived(Event):
    """The article was archived; no further commands apply."""

    archived_by: str
    reason: str = ""


@event_type("ArticleChecked")
class ArticleChecked(Event):
    """The system checks (系统强制校验) ran over a revision; BLOCK findings stopped it."""

    revision: int
    content_hash: str
    phase: str  # submit, publish, recheck
    dictionary_version: str
    findings: tuple[Finding, ...] = ()
    blocked: bool = False


@event_type("FindingOverridden")
class FindingOverridden(Event):
    """A reviewer confirmed a REVIEW finding as acceptable, with a reason (人工确认)."""

    revision: int
    finding_id: str
    rule: str
    stage: str
    overridden_by: str
    reason: str


@event_type("PublicationScheduled")
class PublicationScheduled(Event):
    """An approved revision will be published to its targets at `publication.publish_at`."""

    publication: Publication
    scheduled_by: str


@event_type("ArticlePublished")
class ArticlePublished(Event):
    """A revision went live on its targets (delivery to each is tracked in the ledger)."""

    publication: Publication
    published_by: str
    added_targets: tuple[Target, ...] = ()  # targets that did not show the article before
    replaces_revision: int | None = None  # a correction: the live revision it replaces
    original_published_at: datetime | None = None  # migrated: when the old system published it


@event_type("PublicationRescheduled")
class PublicationRescheduled(Event):
    """The publication or expiry time of a scheduled or live publication changed."""

    publication_id: str
    publish_at: datetime
    expire_at: datetime | None = None
    rescheduled_by: str


@event_type("PublicationCancelled")
class PublicationCancelled(Event):
    """A scheduled publication will not happen."""

    publication_id: str
    cancelled_by: str
    reason: str


@event_type("ArticleReused")
class ArticleReused(Event):
    """Staff of another site placed the live revision on that site's columns (共享调用, a
    reference): the source's reviews stand for it, and its corrections and retraction reach
    it as they reach every target. The publication that follows carries the new targets."""

    site: str  # the receiving site's code
    targets: tuple[Target, ...]
    revision: int
    content_hash: str
    reused_by: str
    source_site: str  # the article's own site (code)
    reuse_id: str = ""  # the offer it answers, if any


@event_type("TargetsWithdrawn")
class TargetsWithdrawn(Event):
    """The live revision is taken off the targets of one site by that site's own staff (its
    主办单位 answers for what appears there); it stays live everywhere else. When no target
    remains, the article counts as retracted."""

    publication_id: str
    revision: int
    site: str
    targets: tuple[Target, ...]
    withdrawn_by: str
    reason: str


@event_type("ArticleRetracted")
class ArticleRetracted(Event):
    """The live revision is withdrawn from every target that received it (撤稿), or expired."""

    publication_id: str
    revision: int
    targets: tuple[Target, ...]
    retracted_by: str
    reason: str
    expired: bool = False
