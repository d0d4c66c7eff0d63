"""The work order state machine (工单: 发现 → 派单 → 整改 → 复核 → 销号): pure
`decide(command, state) -> events` and `evolve`.

    found ─dispatch→ dispatched ─rectify→ rectified ─return / failed re-check→ dispatched
    found, dispatched, rectified ─(passes ≥ required) close→ closed

A finding of the same problem while the order is open joins it (`WorkOrderObserved`), so one
problem is one order however often it is seen. Re-checks run automatically while the order is
open: each pass counts, a failure sets the count back to nothing (and returns a rectified
order to its unit: the problem is still there). An order closes only with the required passes
in a row; a problem that went away by itself (a site back up) closes the same way, without a
rectification report. The deadline moves only later, with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from events.decider import Decider, StreamName
from events.envelope import Event
from workflows.errors import DomainError
from workflows.work_order_events import (
    Evidence,
    Problem,
    WorkOrderClosed,
    WorkOrderDispatched,
    WorkOrderExtended,
    WorkOrderObserved,
    WorkOrderOpened,
    WorkOrderRechecked,
    WorkOrderRectified,
    WorkOrderReturned,
)

WORK_ORDERS = StreamName("workorder")
DEFAULT_PASSES = 2  # passing re-checks in a row before an order may close


class OrderStatus(StrEnum):
    NEW = "new"
    FOUND = "found"  # 发现
    DISPATCHED = "dispatched"  # 派单 (the unit is 整改-ing)
    RECTIFIED = "rectified"  # 整改 reported, awaiting 复核
    CLOSED = "closed"  # 销号


ORDER_STATUS_LABELS: dict[str, str] = {
    OrderStatus.FOUND: "待派单",
    OrderStatus.DISPATCHED: "整改中",
    OrderStatus.RECTIFIED: "待复核",
    OrderStatus.CLOSED: "已销号",
}
OPEN = (OrderStatus.FOUND, OrderStatus.DISPATCHED, OrderStatus.RECTIFIED)


@dataclass(frozen=True)
class WorkOrderState:
    status: OrderStatus = OrderStatus.NEW
    order_id: str = ""
    problem: Problem | None = None
    subject: str = ""
    site: str = ""
    unit: str = ""
    key: str = ""
    due_by: datetime | None = None
    deadline: datetime | None = None  # the unit's, once dispatched (else `due_by`)
    passes_required: int = DEFAULT_PASSES
    passes: int = 0  # passing re-checks in a row
    observed: int = 0  # findings of it (the first included)
    last_seen: datetime | None = None
    returned: int = 0


# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Open:
    order_id: str
    problem: Problem
    subject: str
    site: str
    unit: str
    summary: str
    key: str
    due_by: datetime
    evidence: Evidence
    passes_required: int = DEFAULT_PASSES


@dataclass(frozen=True)
class Dispatch:
    unit: str
    deadline: datetime
    by: str
    note: str = ""


@dataclass(frozen=True)
class Rectify:
    by: str
    note: str


@dataclass(frozen=True)
class Recheck:
    passed: bool
    evidence: Evidence


@dataclass(frozen=True)
class Return:
    by: str
    reason: str


@dataclass(frozen=True)
class Extend:
    by: str
    reason: str
    until: datetime


@dataclass(frozen=True)
class Close:
    by: str


WorkOrderCommand = Open | Dispatch | Rectify | Recheck | Return | Extend | Close


def _refuse_closed(state: WorkOrderState) -> None:
    if state.status is OrderStatus.NEW:
        raise DomainError("WORK_ORDER_NOT_FOUND", "工单不存在")
    if state.status is OrderStatus.CLOSED:
        raise DomainError("WORK_ORDER_CLOSED", "工单已销号")


def _required(text: str, what: str) -> None:
    if not text.strip():
        raise DomainError("REASON_REQUIRED", f"请填写{what}")


def decide(command: WorkOrderCommand, state: WorkOrderState) -> list[Event]:
    if isinstance(command, Open):
        if state.status is OrderStatus.CLOSED:
            raise DomainError("WORK_ORDER_CLOSED", "工单已销号：再次发现的问题另开工单")
        if state.status is not OrderStatus.NEW:
            return [WorkOrderObserved(evidence=command.evidence)]
        if command.passes_required < 1:
            raise DomainError("INVALID_INPUT", "销号前至少须复核通过一次")
        return [WorkOrderOpened(
            order_id=command.order_id, problem=command.problem, subject=command.subject,
            site=command.site, unit=command.unit, summary=command.summary, key=command.key,
            due_by=command.due_by, passes_required=command.passes_required,
            evidence=command.evidence,
        )]  # fmt: skip
    _refuse_closed(state)
    if isinstance(command, Recheck):
        return [WorkOrderRechecked(passed=command.passed, evidence=command.evidence)]
    if isinstance(command, Dispatch):
        if state.status is OrderStatus.RECTIFIED:
            raise DomainError("WORK_ORDER_STATE", "工单待复核，不能重新派单")
        if not command.unit.strip():
            raise DomainError("INVALID_INPUT", "请指定责任单位")
        return [WorkOrderDispatched(unit=command.unit, deadline=command.deadline, by=command.by,
                                    note=command.note)]  # fmt: skip
    if isinstance(command, Rectify):
        if state.status is not OrderStatus.DISPATCHED:
            raise DomainError("WORK_ORDER_STATE", "只有整改中的工单可以报告整改完成")
        _required(command.note, "整改情况")
        return [WorkOrderRectified(by=command.by, note=command.note)]
    if isinstance(command, Return):
        if state.status is not OrderStatus.RECTIFIED:
            raise DomainError("WORK_ORDER_STATE", "只有待复核的工单可以退回")
        _required(command.reason, "退回原因")
        return [WorkOrderReturned(by=command.by, reason=command.reason)]
    if isinstance(command, Extend):
        _required(command.reason, "延期原因")
        current = state.deadline or state.due_by
        if current is not None and command.until <= current:
            raise DomainError("INVALID_INPUT", "延期后的期限须晚于当前期限")
        return [WorkOrderExtended(by=command.by, reason=command.reason, until=command.until)]
    if isinstance(command, Close):
        if state.passes < state.passes_required:
            raise DomainError(
                "WORK_ORDER_NOT_VERIFIED",
                f"复核通过 {state.passes} 次，须连续通过 {state.passes_required} 次才能销号",
            )
        return [WorkOrderClosed(by=command.by, passes=state.passes)]
    raise TypeError(f"not a work order command: {command!r}")


def evolve(state: WorkOrderState, event: Event) -> WorkOrderState:
    if isinstance(event, WorkOrderOpened):
        return WorkOrderState(
            status=OrderStatus.FOUND, order_id=event.order_id, problem=event.problem,
            subject=event.subject, site=event.site, unit=event.unit, key=event.key, due_by=event.due_by,
            passes_required=event.passes_required, observed=1,
            last_seen=event.evidence.seen_at,
        )  # fmt: skip
    if isinstance(event, WorkOrderObserved):
        return replace(state, observed=state.observed + 1, last_seen=event.evidence.seen_at,
                       passes=0)  # fmt: skip
    if isinstance(event, WorkOrderDispatched):
        return replace(state, status=OrderStatus.DISPATCHED, unit=event.unit,
                       deadline=event.deadline)  # fmt: skip
    if isinstance(event, WorkOrderRectified):
        return replace(state, status=OrderStatus.RECTIFIED)
    if isinstance(event, WorkOrderRechecked):
        if event.passed:
            return replace(state, passes=state.passes + 1)
        back = OrderStatus.DISPATCHED if state.status is OrderStatus.RECTIFIED else state.status
        return replace(state, passes=0, status=back, last_seen=event.evidence.seen_at)
    if isinstance(event, WorkOrderReturned):
        return replace(state, status=OrderStatus.DISPATCHED, returned=state.returned + 1)
    if isinstance(event, WorkOrderExtended):
        return replace(state, deadline=event.until)
    if isinstance(event, WorkOrderClosed):
        return replace(state, status=OrderStatus.CLOSED)
    return state


def is_open(state: WorkOrderState) -> bool:
    return state.status in OPEN


# What the runner needs to run work order commands.
work_order_decider: Decider[tuple[str, WorkOrderCommand], WorkOrderState] = Decider(
    name="workorder",
    streams=WORK_ORDERS,
    initial_state=WorkOrderState(),
    decide=lambda addressed, state: decide(addressed[1], state),
    evolve=evolve,
    entity=lambda addressed: addressed[0],
)
