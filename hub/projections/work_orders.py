"""The work orders as a table: one row per order with its state, for the supervisors' screen,
each unit's list and the sweep that finds whether a problem already has an open order."""

from __future__ import annotations

from datetime import datetime

from events.envelope import RecordedEvent
from events.recorder import Column, Table
from events.store import SubscriberTransaction
from hub.runtime.clock import utc_iso
from workflows.work_order_decider import (
    WORK_ORDERS,
    OrderStatus,
    WorkOrderState,
    evolve,
)
from workflows.work_order_events import Problem, WorkOrderOpened

WORK_ORDER_TABLE = Table(
    "work_orders",
    (
        Column("order_id", key=True), Column("problem", required=True),
        Column("subject", required=True), Column("site", required=True),
        Column("unit", required=True),
        Column("key", required=True), Column("summary", required=True),
        Column("status", required=True), Column("opened_at", required=True),
        Column("due_by"), Column("deadline"), Column("passes", "int"),
        Column("passes_required", "int"), Column("observed", "int"), Column("returned", "int"),
        Column("last_seen"), Column("closed_at"), Column("version", "int"),
        Column("updated_at", required=True),
    ),
    indexes=(("key", "status"), ("status", "opened_at"), ("site", "status")),
)  # fmt: skip
_NAMES = WORK_ORDER_TABLE.names


def _moment(text: object) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None


def state_of(row: tuple[object, ...]) -> WorkOrderState:
    """The order's state stored in a row (all columns, in table order)."""
    values = dict(zip(_NAMES, row, strict=True))
    return WorkOrderState(
        status=OrderStatus(str(values["status"])), order_id=str(values["order_id"]),
        problem=Problem(str(values["problem"])), subject=str(values["subject"]),
        site=str(values["site"]), unit=str(values["unit"]), key=str(values["key"]),
        due_by=_moment(values["due_by"]), deadline=_moment(values["deadline"]),
        passes_required=int(str(values["passes_required"])), passes=int(str(values["passes"])),
        observed=int(str(values["observed"])), returned=int(str(values["returned"])),
        last_seen=_moment(values["last_seen"]),
    )  # fmt: skip


class WorkOrdersProjection:
    """Folds every work order stream into `work_orders`."""

    name = "work-orders"
    stream_prefix = WORK_ORDERS.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(WORK_ORDER_TABLE)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(WORK_ORDER_TABLE)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if not WORK_ORDERS.owns(event.stream_id):
            return
        order_id = WORK_ORDERS.entity(event.stream_id)
        rows = tx.rows(WORK_ORDER_TABLE, {"order_id": order_id})
        values = dict(zip(_NAMES, rows[0], strict=True)) if rows else {}
        state = state_of(rows[0]) if rows else WorkOrderState()
        state = evolve(state, event.payload)
        at = event.occurred_at.isoformat()
        summary = values.get("summary", "")
        opened_at = values.get("opened_at", at)
        if isinstance(event.payload, WorkOrderOpened):
            summary, opened_at = event.payload.summary, at
        tx.upsert(WORK_ORDER_TABLE, [WORK_ORDER_TABLE.row(
            order_id=order_id, problem=str(state.problem), subject=state.subject,
            site=state.site, unit=state.unit, key=state.key, summary=summary, status=str(state.status),
            opened_at=opened_at, due_by=utc_iso(state.due_by), deadline=utc_iso(state.deadline),
            passes=state.passes, passes_required=state.passes_required,
            observed=state.observed, returned=state.returned,
            last_seen=utc_iso(state.last_seen),
            closed_at=at if state.status is OrderStatus.CLOSED else None,
            version=event.stream_version, updated_at=at,
        )])  # fmt: skip
