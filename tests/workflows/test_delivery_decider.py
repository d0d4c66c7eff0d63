"""The delivery state machine: retries with backoff, unknown outcomes resolved by asking the
channel, retraction, cancel and requeue; and, over random runs with crashes and lost
responses, nothing is ever sent to a channel that already has it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.delivery_decider import (
    Cancel,
    DeliveryState,
    DeliveryStatus,
    Plan,
    Record,
    Report,
    RequestRetraction,
    Requeue,
    RetryPolicy,
    Start,
    decide,
    delivery_id,
    due_from,
    evolve,
    next_operation,
)
from workflows.delivery_events import (
    DeliveryAction,
    DeliveryPlanned,
    DeliveryStarted,
    ErrorKind,
    Operation,
)
from workflows.errors import DomainError
from workflows.publication import Target

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TARGET = Target(channel="app", account="sf-app")


def planned() -> DeliveryState:
    event = DeliveryPlanned(
        delivery_id=delivery_id("p1", TARGET),
        article_id="a1",
        publication_id="p1",
        revision=1,
        content_hash="h",
        target=TARGET,
        action=DeliveryAction.PUBLISH,
        not_before=T0,
    )
    return apply(DeliveryState(), Plan(event))


def apply(state: DeliveryState, command: object) -> DeliveryState:
    for event in decide(command, state):  # type: ignore[arg-type]
        state = evolve(state, event)
    return state


def code_of(state: DeliveryState, command: object) -> str:
    with pytest.raises(DomainError) as info:
        decide(command, state)  # type: ignore[arg-type]
    return info.value.code


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=60, max_attempts=8)
    delays = [policy.delay("d", n).total_seconds() for n in range(1, 10)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(60, 2 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert policy.delay("d", 3) == policy.delay("d", 3)  # replays decide the same
    assert policy.delay("d", 3) != policy.delay("e", 3)  # spread across deliveries


def test_success_retry_and_death() -> None:
    state = apply(planned(), Start(T0, "w1"))
    assert state.status is DeliveryStatus.SENDING and state.attempts == 1
    failed = apply(state, Record(T0, ErrorKind.RETRYABLE, "503"))
    assert failed.status is DeliveryStatus.RETRYING and failed.next_at is not None
    assert next_operation(failed, T0) is None
    assert code_of(failed, Start(T0, "w1")) == "DELIVERY_NOT_DUE"
    again = apply(failed, Start(failed.next_at, "w1"))
    done = apply(again, Record(T0, remote_id="m1", url="u"))
    assert done.status is DeliveryStatus.DELIVERED and done.remote_id == "m1"
    dead = apply(state, Record(T0, ErrorKind.PERMANENT, "40001 invalid"))
    assert dead.status is DeliveryStatus.DEAD and "40001" in dead.last_error
    reauth = apply(state, Record(T0, ErrorKind.REAUTH, "token expired"))
    assert reauth.status is DeliveryStatus.DEAD
    requeued = apply(dead, Requeue("op"))
    assert requeued.status is DeliveryStatus.PENDING and next_operation(requeued, T0)
    assert code_of(done, Requeue("op")) == "DELIVERY_NOT_RETRIABLE"


def test_a_channel_may_park_a_delivery_until_its_quota_resets() -> None:
    state = apply(planned(), Start(T0, "w1"))
    ten_hours = apply(state, Record(T0, ErrorKind.RETRYABLE, "45009", retry_after=36_000))
    assert ten_hours.next_at == T0 + timedelta(hours=10)  # one attempt spent, not ten
    assert ten_hours.attempts == 1
    forever = apply(state, Record(T0, ErrorKind.RETRYABLE, "45009", retry_after=10**9))
    assert forever.next_at == T0 + timedelta(days=1, minutes=1)  # at most a day


def test_attempts_are_capped() -> None:
    policy = RetryPolicy(max_attempts=2)
    state, now = planned(), T0
    for _ in range(2):
        state = apply(state, Start(now, "w"))
        state = apply(state, Record(now, ErrorKind.RETRYABLE, "timeout", policy=policy))
        now = state.next_at or now
    assert state.status is DeliveryStatus.DEAD


def test_unknown_outcome_is_resolved_by_asking_not_by_resending() -> None:
    state = apply(planned(), Start(T0, "w1"))
    unknown = apply(state, Record(T0, ErrorKind.UNKNOWN_OUTCOME, "read timeout"))
    assert unknown.status is DeliveryStatus.UNKNOWN
    assert next_operation(unknown, T0) is Operation.STATUS
    asking = apply(unknown, Start(T0, "w1"))
    assert asking.operation is Operation.STATUS
    assert apply(asking, Record(T0, found=True)).status is DeliveryStatus.DELIVERED
    missing = apply(asking, Record(T0, found=False))
    assert missing.status is DeliveryStatus.RETRYING and next_operation(missing, T0) is (
        Operation.SEND
    )
    # A crashed worker's lease runs out: the next start asks first.
    later = T0 + timedelta(minutes=5)
    assert next_operation(state, T0) is None and next_operation(state, later) is Operation.STATUS
    events = decide(Start(later, "w2"), state)
    assert [type(e).__name__ for e in events] == ["DeliveryOutcomeUnknown", "DeliveryStarted"]
    assert isinstance(events[-1], DeliveryStarted) and events[-1].operation is Operation.STATUS


def test_a_stopped_workers_attempt_is_taken_over_at_once_by_asking() -> None:
    """The distributed runtime knows a worker stopped (its liveness key expired): another
    worker takes its attempt over before the lease lapses, and asks the channel first."""
    sending = apply(planned(), Start(T0, "w1"))
    soon = T0 + timedelta(seconds=5)  # well inside the 60-second lease
    assert code_of(sending, Start(soon, "w2")) == "DELIVERY_NOT_DUE"
    events = decide(Start(soon, "w2", holder_gone=True), sending)
    assert [type(e).__name__ for e in events] == ["DeliveryOutcomeUnknown", "DeliveryStarted"]
    assert isinstance(events[-1], DeliveryStarted) and events[-1].operation is Operation.STATUS
    # A worker cannot declare itself gone to restart its own attempt.
    assert code_of(sending, Start(soon, "w1", holder_gone=True)) == "DELIVERY_NOT_DUE"
    # Nothing in flight: "gone" changes nothing.
    assert code_of(apply(sending, Record(soon)), Start(soon, "w2", holder_gone=True)) == (
        "DELIVERY_NOT_DUE"
    )


def test_retraction_cancels_what_never_arrived_and_takes_down_what_did() -> None:
    pending = planned()
    assert apply(pending, RequestRetraction("撤稿", "op")).status is DeliveryStatus.CANCELLED
    sent = apply(apply(pending, Start(T0, "w")), Record(T0))
    retracting = apply(sent, RequestRetraction("撤稿", "op"))
    assert retracting.status is DeliveryStatus.RETRACTING
    assert next_operation(retracting, T0) is Operation.RETRACT
    busy = apply(retracting, Start(T0, "w"))
    retry = apply(busy, Record(T0, ErrorKind.RETRYABLE, "503"))
    assert retry.status is DeliveryStatus.RETRACTING and retry.next_at is not None
    done = apply(busy, Record(T0))
    assert done.status is DeliveryStatus.RETRACTED
    assert decide(RequestRetraction("again", "op"), done) == []
    # Requested while a send is in flight: retract right after it lands.
    flying = apply(pending, Start(T0, "w"))
    flagged = apply(flying, RequestRetraction("撤稿", "op"))
    assert apply(flagged, Record(T0)).status is DeliveryStatus.RETRACTING
    assert apply(flagged, Record(T0, ErrorKind.RETRYABLE, "x")).status is (DeliveryStatus.CANCELLED)


def test_operators_cancel_only_what_has_not_arrived() -> None:
    state = planned()
    assert code_of(state, Cancel("op", " ")) == "REASON_REQUIRED"
    assert apply(state, Cancel("op", "不再需要")).status is DeliveryStatus.CANCELLED
    sent = apply(apply(state, Start(T0, "w")), Record(T0))
    assert code_of(sent, Cancel("op", "x")) == "DELIVERY_NOT_CANCELLABLE"
    assert code_of(DeliveryState(), Start(T0, "w")) == "DELIVERY_NOT_FOUND"
    assert decide(Plan(DeliveryPlanned.model_validate(
        {"delivery_id": "x", "article_id": "a", "publication_id": "p", "revision": 1,
         "content_hash": "h", "target": TARGET, "action": "publish", "not_before": T0}
    )), sent) == []  # fmt: skip


def test_a_platform_report_cuts_a_wait_short_and_fills_a_missing_link() -> None:
    flying = apply(planned(), Start(T0, "w"))
    polling = apply(flying, Record(T0, ErrorKind.RETRYABLE, "微信发布中", retry_after=5))
    assert next_operation(polling, T0 + timedelta(seconds=1)) is None
    told = apply(polling, Report(T0 + timedelta(seconds=1), "wechat:PUBLISHJOBFINISH", "u1"))
    assert told.status is DeliveryStatus.RETRYING and told.url == ""  # a hint, not a result
    assert next_operation(told, T0 + timedelta(seconds=1)) is Operation.SEND
    assert told.attempts == polling.attempts  # no attempt given back or spent
    # Repeated pushes (the platform retries them) and reports of nothing waiting change nothing.
    assert decide(Report(T0, "wechat:PUBLISHJOBFINISH"), told) == []
    assert decide(Report(T0, "wechat:PUBLISHJOBFINISH"), flying) == []
    assert decide(Report(T0, "wechat:PUBLISHJOBFINISH"), planned()) == []
    dead = apply(flying, Record(T0, ErrorKind.PERMANENT, "x"))
    assert decide(Report(T0, "wechat:PUBLISHJOBFINISH", "u"), dead) == []
    # Delivered without a link (a WeChat mass send): the reported link fills it, once.
    delivered = apply(flying, Record(T0, remote_id="mass/1"))
    linked = apply(delivered, Report(T0, "wechat:MASSSENDJOBFINISH", "https://mp/s/1"))
    assert linked.status is DeliveryStatus.DELIVERED and linked.url == "https://mp/s/1"
    assert decide(Report(T0, "wechat:MASSSENDJOBFINISH", "https://mp/s/2"), linked) == []
    assert decide(Report(T0, "wechat:MASSSENDJOBFINISH"), delivered) == []
    with pytest.raises(DomainError):
        decide(Report(T0, "wechat:x"), DeliveryState())


OUTCOMES = st.sampled_from(
    ["ok", "retryable", "permanent", "timeout_arrived", "timeout_lost", "crash_arrived",
     "crash_lost"]
)  # fmt: skip
STEPS = st.one_of(
    st.tuples(st.just("work"), OUTCOMES),
    st.tuples(st.just("retract"), st.none()),
    st.tuples(st.just("cancel"), st.none()),
    st.tuples(st.just("requeue"), st.none()),
    st.tuples(st.just("report"), st.none()),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(STEPS, min_size=1, max_size=40))
def test_nothing_is_ever_sent_twice(steps: list[tuple]) -> None:
    policy = RetryPolicy(max_attempts=4)
    state, now = planned(), T0
    channel_has = False
    for kind, outcome in steps:
        if kind == "report":  # the platform's push comes before any timer ran out
            state = apply(state, Report(now, "wechat:PUBLISHJOBFINISH", "u"))
            continue
        now += timedelta(hours=1)  # every timer and lease has run out by the next step
        try:
            if kind == "retract":
                state = apply(state, RequestRetraction("撤稿", "op"))
                continue
            if kind == "cancel":
                state = apply(state, Cancel("op", "取消"))
                continue
            if kind == "requeue":
                state = apply(state, Requeue("op"))
                continue
            operation = next_operation(state, now)
            if operation is None:
                continue
            state = apply(state, Start(now, "w"))
        except DomainError:
            continue
        if state.operation is Operation.SEND:
            assert not channel_has, "sent to a channel that already has it"
            arrived = outcome in ("ok", "timeout_arrived", "crash_arrived")
            channel_has = channel_has or arrived
            if outcome.startswith("crash"):
                continue  # the worker died: no record; the lease runs out
            error = {
                "ok": None,
                "retryable": ErrorKind.RETRYABLE,
                "permanent": ErrorKind.PERMANENT,
                "timeout_arrived": ErrorKind.UNKNOWN_OUTCOME,
                "timeout_lost": ErrorKind.UNKNOWN_OUTCOME,
            }[outcome]
            state = apply(state, Record(now, error, "x", policy=policy))
        elif state.operation is Operation.STATUS:
            if outcome == "retryable":
                state = apply(state, Record(now, ErrorKind.RETRYABLE, "query failed"))
            else:
                state = apply(state, Record(now, found=channel_has))
        elif state.operation is Operation.RETRACT:
            if outcome == "ok":
                channel_has = False
                state = apply(state, Record(now))
            elif not outcome.startswith("crash"):
                error = ErrorKind.PERMANENT if outcome == "permanent" else ErrorKind.RETRYABLE
                state = apply(state, Record(now, error, "x", policy=policy))
    if state.status is DeliveryStatus.DELIVERED:
        assert channel_has
    if state.status in (DeliveryStatus.RETRACTED, DeliveryStatus.CANCELLED):
        assert not channel_has


MOMENTS = st.one_of(st.none(), st.integers(-3, 3).map(lambda h: T0 + timedelta(hours=h)))


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(list(DeliveryStatus)),
    st.one_of(st.none(), st.sampled_from(list(Operation))),
    MOMENTS,
    MOMENTS,
    st.integers(-4, 4).map(lambda h: T0 + timedelta(hours=h, minutes=30 * (h % 2))),
)
def test_the_ledgers_due_time_is_the_deciders_due_rule(
    status: DeliveryStatus,
    operation: Operation | None,
    next_at: datetime | None,
    lease_until: datetime | None,
    now: datetime,
) -> None:
    """The engine's queue asks the ledger for `due_from <= now`; that must be exactly when
    the decider has work for a worker, for every state and moment."""
    state = DeliveryState(status=status, operation=operation, next_at=next_at,
                          lease_until=lease_until, target=TARGET)  # fmt: skip
    due = due_from(state)
    assert (next_operation(state, now) is not None) == (due is not None and due <= now)
