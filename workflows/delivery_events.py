"""Events of a delivery stream (`delivery-<id>`): one publication of one revision to one
target, from planning to delivered, dead, cancelled or retracted. Every state change is one
of these events; the delivery ledger is their fold."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from events.envelope import Event
from events.registry import event_type
from workflows.publication import Target


class DeliveryAction(StrEnum):
    """What the delivery asks of the channel."""

    PUBLISH = "publish"  # the target has not shown the article
    UPDATE = "update"  # a correction replaces what the target shows


class Operation(StrEnum):
    """What one attempt does with the channel."""

    SEND = "send"  # publish or update
    STATUS = "status"  # ask the channel whether an earlier send arrived
    RETRACT = "retract"  # take it down


class ErrorKind(StrEnum):
    """How a channel error is classified (channels/contract.py)."""

    RETRYABLE = "retryable"
    PERMANENT = "permanent"
    REAUTH = "needs_reauthorisation"
    UNKNOWN_OUTCOME = "outcome_unknown"


@event_type("DeliveryPlanned")
class DeliveryPlanned(Event):
    """A revision is to be delivered to a target (its id is the channel idempotency key)."""

    delivery_id: str
    article_id: str
    publication_id: str
    revision: int
    content_hash: str
    target: Target
    action: DeliveryAction
    not_before: datetime


@event_type("DeliveryStarted")
class DeliveryStarted(Event):
    """A worker took the delivery for one attempt, holding it until `lease_until`."""

    attempt: int
    operation: Operation
    worker: str
    lease_until: datetime


@event_type("DeliverySucceeded")
class DeliverySucceeded(Event):
    """The channel has the revision (sent now, or found by a status query)."""

    attempt: int
    remote_id: str = ""
    url: str = ""


@event_type("DeliveryFailed")
class DeliveryFailed(Event):
    """An attempt failed; `retry_at` None means the delivery is dead (given up)."""

    attempt: int
    operation: Operation
    kind: ErrorKind
    reason: str
    retry_at: datetime | None = None


@event_type("DeliveryOutcomeUnknown")
class DeliveryOutcomeUnknown(Event):
    """A send timed out or its worker died: the channel must be asked before any resend."""

    attempt: int
    reason: str


@event_type("DeliveryStepRecorded")
class DeliveryStepRecorded(Event):
    """A channel that publishes in several calls (WeChat: cover, draft, publish task) recorded
    what one step made on the platform before taking the next: a resumed attempt continues
    from it and never repeats a step that is not idempotent (a second publish)."""

    attempt: int
    step: str
    value: str


@event_type("DeliveryRetractionRequested")
class DeliveryRetractionRequested(Event):
    """The article was retracted: take it off this target once it is there."""

    reason: str
    requested_by: str


@event_type("DeliveryRetracted")
class DeliveryRetracted(Event):
    """The target no longer shows the article."""

    attempt: int


@event_type("DeliveryCancelled")
class DeliveryCancelled(Event):
    """The delivery will not be made (cancelled by an operator, or retracted before it
    reached the target)."""

    cancelled_by: str
    reason: str


@event_type("DeliveryRequeued")
class DeliveryRequeued(Event):
    """An operator asked for another try now (after dead or while waiting to retry)."""

    requeued_by: str


@event_type("DeliveryReported")
class DeliveryReported(Event):
    """The channel's platform told the hub, unasked, that its task for this delivery finished
    (WeChat's PUBLISHJOBFINISH / MASSSENDJOBFINISH push): a delivery waiting to ask again is
    due at once, and a delivered one without a link takes the one reported. A hint only: the
    next attempt still asks the platform for the final state."""

    reported_by: str  # what sent it, e.g. "wechat:PUBLISHJOBFINISH"
    url: str = ""
