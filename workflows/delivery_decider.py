"""The delivery state machine: pure `decide(command, state) -> events` and `evolve`.

    pending ─start→ sending ─ok→ delivered ─retraction→ retracting ─ok→ retracted
                      │  ├─retryable→ retrying ─(due) start→ sending
                      │  ├─permanent / reauth / attempts used up→ dead ─requeue→ pending
                      │  └─timeout / worker died→ unknown ─start(status)→ delivered | retrying
    pending, retrying, dead ─cancel or retraction→ cancelled

Nothing is ever sent twice by the hub: a send whose outcome is unknown is followed by a status
query, never by another send, and the channel sees the same delivery id (its idempotency key)
on every attempt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from events.decider import Decider, StreamName
from events.envelope import Event
from workflows.delivery_events import (
    DeliveryAction,
    DeliveryCancelled,
    DeliveryFailed,
    DeliveryOutcomeUnknown,
    DeliveryPlanned,
    DeliveryReported,
    DeliveryRequeued,
    DeliveryRetracted,
    DeliveryRetractionRequested,
    DeliveryStarted,
    DeliveryStepRecorded,
    DeliverySucceeded,
    ErrorKind,
    Operation,
)
from workflows.errors import DomainError
from workflows.publication import Target


class DeliveryStatus(StrEnum):
    NEW = "new"
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    UNKNOWN = "unknown"
    DEAD = "dead"
    CANCELLED = "cancelled"
    RETRACTING = "retracting"
    RETRACTED = "retracted"


DELIVERY_ACTION_LABELS: dict[str, str] = {
    DeliveryAction.PUBLISH: "发布",
    DeliveryAction.UPDATE: "更正",
}
DELIVERY_STATUS_LABELS: dict[str, str] = {
    DeliveryStatus.PENDING: "待发送",
    DeliveryStatus.SENDING: "发送中",
    DeliveryStatus.DELIVERED: "已送达",
    DeliveryStatus.RETRYING: "等待重试",
    DeliveryStatus.UNKNOWN: "结果未知（待核实）",
    DeliveryStatus.DEAD: "失败",
    DeliveryStatus.CANCELLED: "已取消",
    DeliveryStatus.RETRACTING: "撤稿中",
    DeliveryStatus.RETRACTED: "已撤稿",
}
FINISHED = frozenset({DeliveryStatus.CANCELLED, DeliveryStatus.RETRACTED})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter and a cap; a fixed number of attempts."""

    base_seconds: float = 2.0
    cap_seconds: float = 600.0
    max_attempts: int = 8

    def delay(self, delivery_id: str, attempt: int) -> timedelta:
        """The wait before attempt `attempt + 1`: random in [ceiling/2, ceiling], where the
        randomness is a hash of the delivery and attempt (replays decide the same)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        digest = hashlib.sha256(f"{delivery_id}:{attempt}".encode()).digest()
        fraction = int.from_bytes(digest[:4], "big") / 0xFFFFFFFF
        return timedelta(seconds=ceiling / 2 + fraction * ceiling / 2)


DEFAULT_POLICY = RetryPolicy()


class DeliveryState(NamedTuple):
    delivery_id: str = ""
    status: DeliveryStatus = DeliveryStatus.NEW
    article_id: str = ""
    publication_id: str = ""
    revision: int = 0
    content_hash: str = ""
    target: Target | None = None
    action: DeliveryAction = DeliveryAction.PUBLISH
    attempts: int = 0
    operation: Operation | None = None  # of the attempt in flight
    lease_until: datetime | None = None
    next_at: datetime | None = None  # when it may be started
    last_error: str = ""
    remote_id: str = ""
    url: str = ""
    retract: bool = False  # a retraction was requested
    delivered_once: bool = False  # the channel has (had) it
    worker: str = ""  # who holds the attempt in flight
    steps: tuple[tuple[str, str], ...] = ()  # what a multi-step channel made so far


def evolve(state: DeliveryState, event: Event) -> DeliveryState:
    match event:
        case DeliveryPlanned():
            return DeliveryState(
                delivery_id=event.delivery_id,
                status=DeliveryStatus.PENDING,
                article_id=event.article_id,
                publication_id=event.publication_id,
                revision=event.revision,
                content_hash=event.content_hash,
                target=event.target,
                action=event.action,
                next_at=event.not_before,
            )
        case DeliveryStarted():
            return state._replace(
                status=DeliveryStatus.SENDING
                if event.operation is not Operation.RETRACT
                else DeliveryStatus.RETRACTING,
                attempts=event.attempt,
                operation=event.operation,
                lease_until=event.lease_until,
                worker=event.worker,
            )
        case DeliveryStepRecorded():
            kept = tuple((k, v) for k, v in state.steps if k != event.step)
            return state._replace(steps=(*kept, (event.step, event.value)))
        case DeliverySucceeded():
            status = DeliveryStatus.RETRACTING if state.retract else DeliveryStatus.DELIVERED
            return state._replace(
                status=status,
                operation=None,
                lease_until=None,
                next_at=None,
                remote_id=event.remote_id or state.remote_id,
                url=event.url or state.url,
                last_error="",
                delivered_once=True,
            )
        case DeliveryFailed():
            if event.retry_at is None:
                status = DeliveryStatus.DEAD
            elif event.operation is Operation.RETRACT:
                status = DeliveryStatus.RETRACTING
            else:
                status = DeliveryStatus.RETRYING
            return state._replace(
                status=status,
                operation=None,
                lease_until=None,
                next_at=event.retry_at,
                last_error=f"{event.kind}: {event.reason}",
            )
        case DeliveryOutcomeUnknown():
            return state._replace(
                status=DeliveryStatus.UNKNOWN,
                operation=None,
                lease_until=None,
                next_at=None,
                last_error=event.reason,
            )
        case DeliveryRetractionRequested():
            status = (
                DeliveryStatus.RETRACTING
                if state.status is DeliveryStatus.DELIVERED
                else (state.status)
            )
            return state._replace(status=status, retract=True, next_at=None, attempts=0)
        case DeliveryRetracted():
            return state._replace(
                status=DeliveryStatus.RETRACTED, operation=None, lease_until=None, next_at=None
            )
        case DeliveryCancelled():
            return state._replace(
                status=DeliveryStatus.CANCELLED, operation=None, lease_until=None, next_at=None
            )
        case DeliveryRequeued():
            status = DeliveryStatus.RETRACTING if state.retract else DeliveryStatus.PENDING
            return state._replace(status=status, next_at=None, attempts=0)
        case DeliveryReported():
            waiting = state.status is DeliveryStatus.RETRYING
            return state._replace(
                next_at=None if waiting else state.next_at,
                url=state.url or (event.url if state.status is DeliveryStatus.DELIVERED else ""),
            )
    return state


# -- commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    event: DeliveryPlanned


@dataclass(frozen=True)
class Start:
    """A worker takes the delivery for one attempt, if it is due. `holder_gone`: the worker
    holding the attempt in flight is known to have stopped (the distributed runtime's
    liveness, hub/distributed/liveness.py), so its lease counts as lapsed now."""

    now: datetime
    worker: str
    lease: timedelta = timedelta(seconds=60)
    holder_gone: bool = False


@dataclass(frozen=True)
class Record:
    """The outcome of the attempt in flight: `error` None means success; for a status query,
    `found` says whether the channel has the delivery."""

    now: datetime
    error: ErrorKind | None = None
    reason: str = ""
    remote_id: str = ""
    url: str = ""
    found: bool = True
    retry_after: float | None = None  # seconds the channel asked us to wait (rate limits)
    policy: RetryPolicy = DEFAULT_POLICY


@dataclass(frozen=True)
class RequestRetraction:
    reason: str
    by: str


@dataclass(frozen=True)
class Cancel:
    by: str
    reason: str


@dataclass(frozen=True)
class Requeue:
    by: str


@dataclass(frozen=True)
class Report:
    """The platform pushed word that its task for the delivery finished (`url`: the link it
    gave, if any)."""

    now: datetime
    by: str
    url: str = ""


@dataclass(frozen=True)
class RecordStep:
    """The worker holding the attempt records what one step made on the platform."""

    worker: str
    attempt: int
    step: str
    value: str


DeliveryCommand = Plan | Start | Record | RecordStep | RequestRetraction | Cancel | Requeue | Report


EARLIEST = datetime.min.replace(tzinfo=UTC)  # "due at once"


def due_from(state: DeliveryState) -> datetime | None:
    """The first moment a worker has something to do with the delivery (`next_operation` is
    not None from then on), or None while only a new event can give it work. The delivery
    ledger stores it, so the workers' queue is one range over one column: the "due" rule is
    `next_operation`, and this is its one translation (a property test holds them equal)."""
    moments: list[datetime] = []
    status = state.status
    if status in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING) or (
        status is DeliveryStatus.RETRACTING and state.operation is None
    ):
        moments.append(state.next_at or EARLIEST)
    if status is DeliveryStatus.UNKNOWN:
        moments.append(EARLIEST)
    lapsing = status in (DeliveryStatus.SENDING, DeliveryStatus.RETRACTING)
    if lapsing and state.lease_until and state.operation is not None:
        moments.append(state.lease_until)
    return min(moments) if moments else None


def next_operation(state: DeliveryState, now: datetime) -> Operation | None:
    """What a worker would do with the delivery now, or None when nothing is due."""
    due = state.next_at is None or state.next_at <= now
    match state.status:
        case DeliveryStatus.PENDING | DeliveryStatus.RETRYING if due:
            return Operation.SEND
        case DeliveryStatus.UNKNOWN:
            return Operation.STATUS
        case DeliveryStatus.RETRACTING if due and state.operation is None:
            return Operation.RETRACT
        case DeliveryStatus.SENDING | DeliveryStatus.RETRACTING if (
            state.lease_until is not None and state.lease_until <= now
        ):
            # The worker holding it died: a send may or may not have arrived.
            return Operation.STATUS if state.operation is Operation.SEND else state.operation
    return None


def decide(command: DeliveryCommand, state: DeliveryState) -> list[Event]:
    match command:
        case Plan(event=event):
            return [] if state.status is not DeliveryStatus.NEW else [event]
    if state.status is DeliveryStatus.NEW:
        raise DomainError("DELIVERY_NOT_FOUND", "投递记录不存在")
    match command:
        case Start():
            return _start(command, state)
        case Record():
            return _record(command, state)
        case RecordStep():
            return _record_step(command, state)
        case RequestRetraction():
            return _request_retraction(command, state)
        case Cancel():
            return _cancel(command, state)
        case Requeue():
            return _requeue(command, state)
        case Report():
            return _report(command, state)
    raise DomainError("COMMAND_UNKNOWN", f"未知命令 {type(command).__name__}")


def _start(command: Start, state: DeliveryState) -> list[Event]:
    if command.holder_gone and state.worker != command.worker and state.lease_until:
        state = state._replace(lease_until=min(state.lease_until, command.now))
    operation = next_operation(state, command.now)
    if operation is None:
        raise DomainError("DELIVERY_NOT_DUE", "投递当前无需处理", status=str(state.status))
    events: list[Event] = []
    if state.status in (DeliveryStatus.SENDING, DeliveryStatus.RETRACTING) and (
        state.operation is Operation.SEND
    ):
        events.append(
            DeliveryOutcomeUnknown(attempt=state.attempts, reason="发送进程中断，结果未知")
        )
    events.append(
        DeliveryStarted(
            attempt=state.attempts + 1,
            operation=operation,
            worker=command.worker,
            lease_until=command.now + command.lease,
        )
    )
    return events


def _record_step(command: RecordStep, state: DeliveryState) -> list[Event]:
    in_flight = state.status in (DeliveryStatus.SENDING, DeliveryStatus.RETRACTING)
    if not in_flight or (command.worker, command.attempt) != (state.worker, state.attempts):
        # Another worker took the delivery over (this one's lease lapsed): it must stop.
        raise DomainError("DELIVERY_LEASE_LOST", "投递已由其他进程接手，本次尝试停止")
    if (command.step, command.value) in state.steps:
        return []
    return [DeliveryStepRecorded(attempt=command.attempt, step=command.step, value=command.value)]


MAX_RETRY_AFTER_S = 86_400 + 60


def _record(command: Record, state: DeliveryState) -> list[Event]:
    operation = state.operation
    if operation is None:
        raise DomainError("DELIVERY_NOT_STARTED", "没有进行中的投递尝试")
    attempt = state.attempts
    if command.error is None:
        if operation is Operation.RETRACT:
            return [DeliveryRetracted(attempt=attempt)]
        if operation is Operation.STATUS and not command.found:
            if state.retract:
                return [DeliveryCancelled(cancelled_by="system", reason="未送达，稿件已撤回")]
            # Not there: safe to send (again) right away.
            return [
                DeliveryFailed(
                    attempt=attempt,
                    operation=operation,
                    kind=ErrorKind.RETRYABLE,
                    reason="渠道核实：未收到，重新发送",
                    retry_at=command.now,
                )
            ]
        return [DeliverySucceeded(attempt=attempt, remote_id=command.remote_id, url=command.url)]
    if command.error is ErrorKind.UNKNOWN_OUTCOME and operation is Operation.SEND:
        return [DeliveryOutcomeUnknown(attempt=attempt, reason=command.reason)]
    retryable = command.error in (ErrorKind.RETRYABLE, ErrorKind.UNKNOWN_OUTCOME)
    if operation is Operation.STATUS and command.error is ErrorKind.PERMANENT:
        # The channel can never tell (WeChat: submitted, answer lost): sending again could
        # publish twice, so a person decides; the board shows why.
        return [DeliveryFailed(attempt=attempt, operation=operation, kind=command.error,
                               reason=command.reason, retry_at=None)]  # fmt: skip
    if operation is Operation.STATUS:
        # The question failed, not the delivery: stay unknown and ask again later.
        return [DeliveryOutcomeUnknown(attempt=attempt, reason=command.reason)]
    if operation is Operation.SEND and state.retract:
        # It did not arrive and the article was retracted meanwhile: nothing more to do.
        return [DeliveryCancelled(cancelled_by="system", reason="未送达，稿件已撤回")]
    retry_at = None
    if retryable and attempt < command.policy.max_attempts:
        delay = command.policy.delay(state.delivery_id, attempt)
        if command.retry_after is not None:
            # A channel's own word on when to come back: up to a day (a daily quota resets at
            # midnight), so a quota parks the delivery instead of spending its attempts.
            delay = max(delay, timedelta(seconds=min(command.retry_after, MAX_RETRY_AFTER_S)))
        retry_at = command.now + delay
    return [
        DeliveryFailed(
            attempt=attempt,
            operation=operation,
            kind=command.error,
            reason=command.reason,
            retry_at=retry_at,
        )
    ]


def _request_retraction(command: RequestRetraction, state: DeliveryState) -> list[Event]:
    if state.retract or state.status in FINISHED:
        return []  # already asked, or nothing there
    never_arrived = not state.delivered_once and state.status in (
        DeliveryStatus.PENDING,
        DeliveryStatus.RETRYING,
        DeliveryStatus.DEAD,
    )
    if never_arrived:
        return [DeliveryCancelled(cancelled_by=command.by, reason=command.reason)]
    return [DeliveryRetractionRequested(reason=command.reason, requested_by=command.by)]


def _cancel(command: Cancel, state: DeliveryState) -> list[Event]:
    cancellable = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING, DeliveryStatus.DEAD)
    if state.status not in cancellable or state.delivered_once:
        raise DomainError(
            "DELIVERY_NOT_CANCELLABLE",
            f"投递状态为“{DELIVERY_STATUS_LABELS.get(state.status, state.status)}”，不能取消",
            status=str(state.status),
        )
    if not command.reason.strip():
        raise DomainError("REASON_REQUIRED", "取消投递必须填写原因")
    return [DeliveryCancelled(cancelled_by=command.by, reason=command.reason.strip())]


def _requeue(command: Requeue, state: DeliveryState) -> list[Event]:
    if state.status not in (DeliveryStatus.DEAD, DeliveryStatus.RETRYING):
        raise DomainError(
            "DELIVERY_NOT_RETRIABLE",
            f"投递状态为“{DELIVERY_STATUS_LABELS.get(state.status, state.status)}”，无需重试",
            status=str(state.status),
        )
    return [DeliveryRequeued(requeued_by=command.by)]


def _report(command: Report, state: DeliveryState) -> list[Event]:
    """Only what the report changes: a wait cut short (the platform finished before the next
    poll) or a delivered link filled in. Anything else — an attempt in flight, which asks the
    platform itself; a report repeated by the platform's own retries — is nothing to do."""
    waiting = state.status is DeliveryStatus.RETRYING and (
        state.next_at is not None and state.next_at > command.now
    )
    fills_link = state.status is DeliveryStatus.DELIVERED and command.url and not state.url
    if not waiting and not fills_link:
        return []
    return [DeliveryReported(reported_by=command.by, url=command.url)]


def delivery_id(publication_id: str, target: Target) -> str:
    """The stable id of the delivery of one publication to one target."""
    digest = hashlib.sha256(f"{publication_id}|{target.key}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


DELIVERIES = StreamName("delivery")


class ForDelivery(NamedTuple):
    """A delivery command addressed to one delivery (the commands themselves do not say which:
    the worker or the operator holding the state does)."""

    delivery_id: str
    command: DeliveryCommand


# What the runner needs to run delivery commands.
delivery_decider: Decider[ForDelivery, DeliveryState] = Decider(
    name="delivery",
    streams=DELIVERIES,
    initial_state=DeliveryState(),
    decide=lambda addressed, state: decide(addressed.command, state),
    evolve=evolve,
    entity=lambda addressed: addressed.delivery_id,
    creates=lambda addressed: isinstance(addressed.command, Plan),
)
