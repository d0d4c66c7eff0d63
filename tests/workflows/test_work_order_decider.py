"""The work order decider (发现 → 派单 → 整改 → 复核 → 销号): the story of one order, the
refusals, and properties over random command sequences (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.envelope import Event
from events.registry import default_registry
from workflows.errors import DomainError
from workflows.work_order_decider import (
    Close,
    Dispatch,
    Extend,
    Open,
    OrderStatus,
    Recheck,
    Rectify,
    Return,
    WorkOrderCommand,
    WorkOrderState,
    decide,
    evolve,
)
from workflows.work_order_events import (
    Evidence,
    Problem,
    WorkOrderClosed,
    WorkOrderExtended,
    WorkOrderObserved,
    WorkOrderRechecked,
)

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def seen(summary: str = "HTTP 503", minutes: int = 0) -> Evidence:
    return Evidence(kind="http", summary=summary, vantage="probe-1",
                    seen_at=T0 + timedelta(minutes=minutes))  # fmt: skip


def opened(passes: int = 2) -> Open:
    return Open(order_id="o1", problem=Problem.UNREACHABLE, subject="9900000001",
                site="9900000001", unit="示范省人民政府办公厅", summary="首页无法访问", key="unreachable:9900000001",
                due_by=T0 + timedelta(days=2), evidence=seen(), passes_required=passes)  # fmt: skip


def play(commands: list[WorkOrderCommand]) -> tuple[WorkOrderState, list[Event]]:
    state, events = WorkOrderState(), []
    for command in commands:
        for event in decide(command, state):
            # Every event survives the store's round trip unchanged.
            data = event.model_dump(mode="json")
            again = default_registry.decode_data(event.type_name, event.schema_version, data)
            assert again == event
            events.append(event)
            state = evolve(state, event)
    return state, events


def test_the_story_of_one_order() -> None:
    state, _ = play([
        opened(),
        Open(**{**opened().__dict__, "evidence": seen("HTTP 502", 5)}),  # seen again: joins
        Dispatch("示范省人民政府办公厅", T0 + timedelta(days=1), "supervisor", "请今日内恢复"),
        Rectify("site-admin", "已更换故障服务器"),
        Recheck(False, seen("HTTP 503", 60)),  # still down: back to the unit
    ])  # fmt: skip
    assert (state.status, state.observed, state.passes) == (OrderStatus.DISPATCHED, 2, 0)
    with pytest.raises(DomainError) as early:
        decide(Close("supervisor"), state)
    assert early.value.code == "WORK_ORDER_NOT_VERIFIED"
    state, events = play([
        opened(), Dispatch("示范省人民政府办公厅", T0 + timedelta(days=1), "supervisor"),
        Rectify("site-admin", "已恢复"), Recheck(True, seen("HTTP 200", 70)),
        Recheck(True, seen("HTTP 200", 75)), Close("system"),
    ])  # fmt: skip
    assert state.status is OrderStatus.CLOSED and events[-1] == WorkOrderClosed(by="system",
                                                                                passes=2)  # fmt: skip
    with pytest.raises(DomainError) as closed:
        decide(opened(), state)
    assert closed.value.code == "WORK_ORDER_CLOSED"


def test_refusals_say_why() -> None:
    state, _ = play([opened()])
    cases: list[tuple[WorkOrderCommand, str]] = [
        (Rectify("u", "已整改"), "WORK_ORDER_STATE"),  # not dispatched yet
        (Return("s", "不到位"), "WORK_ORDER_STATE"),
        (Extend("s", " ", T0 + timedelta(days=9)), "REASON_REQUIRED"),
        (Extend("s", "节假日", T0 + timedelta(days=1)), "INVALID_INPUT"),  # earlier than due
        (Dispatch(" ", T0, "s"), "INVALID_INPUT"),
        (Close("s"), "WORK_ORDER_NOT_VERIFIED"),
    ]
    for command, code in cases:
        with pytest.raises(DomainError) as refused:
            decide(command, state)
        assert refused.value.code == code, command
    with pytest.raises(DomainError) as missing:
        decide(Close("s"), WorkOrderState())
    assert missing.value.code == "WORK_ORDER_NOT_FOUND"
    with pytest.raises(DomainError):
        decide(opened(passes=0), WorkOrderState())


evidence = st.builds(lambda m: seen(minutes=m), st.integers(0, 10_000))
moments = st.integers(-3, 30).map(lambda d: T0 + timedelta(days=d))
commands = st.one_of(
    st.just(opened()),
    st.builds(Dispatch, st.sampled_from(["单位甲", "单位乙", ""]), moments, st.just("s")),
    st.builds(Rectify, st.just("u"), st.sampled_from(["已整改", ""])),
    st.builds(Recheck, st.booleans(), evidence),
    st.builds(Return, st.just("s"), st.sampled_from(["不到位", ""])),
    st.builds(Extend, st.just("s"), st.sampled_from(["节假日", ""]), moments),
    st.builds(Close, st.just("s")),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(commands, max_size=25))
def test_properties_of_any_sequence(sequence: list[WorkOrderCommand]) -> None:
    state, events = WorkOrderState(), []
    for command in [opened(), *sequence]:
        before = state
        try:
            produced = decide(command, state)
        except DomainError:
            continue
        for event in produced:
            state = evolve(state, event)
        events.extend(produced)
        # A deadline never moves earlier by an extension.
        if any(isinstance(e, WorkOrderExtended) for e in produced):
            assert before.deadline is None or state.deadline > before.deadline  # type: ignore[operator]
        # Once closed, nothing more is recorded.
        assert before.status is not OrderStatus.CLOSED
    # Closed only with the required passes in a row, none failing or re-found since.
    if state.status is OrderStatus.CLOSED:
        tail: list[bool] = []
        for event in events[:-1]:
            if isinstance(event, WorkOrderRechecked):
                tail = [*tail, True] if event.passed else []
            elif isinstance(event, WorkOrderObserved):
                tail = []
        assert len(tail) >= state.passes_required
        assert isinstance(events[-1], WorkOrderClosed)
    # The fold of the events is the state the decisions were made on.
    replayed = WorkOrderState()
    for event in events:
        replayed = evolve(replayed, event)
    assert replayed == state
