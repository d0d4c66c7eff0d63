"""Notifications (通知) to the people a work order concerns: the site's staff when a problem
of their site is found, dispatched to them, returned, extended or closed; the site's
supervisors when the unit reports it fixed and it waits for their re-check. Folded from the
work order events, with the recipients as configured (users.yaml). What each user has read is
folded from their inbox stream by a projection of its own (`InboxProjection`), so neither
reads more of the log than its streams."""

from __future__ import annotations

from events.decider import StreamName
from events.envelope import RecordedEvent
from events.recorder import Column, Table
from events.store import SubscriberTransaction
from hub.setup.directory import Directory
from workflows.beijing_time import beijing_text
from workflows.errors import DomainError
from workflows.inbox_events import NotificationsRead
from workflows.work_order_decider import WORK_ORDERS
from workflows.work_order_events import (
    PROBLEM_LABELS,
    WorkOrderClosed,
    WorkOrderDispatched,
    WorkOrderExtended,
    WorkOrderOpened,
    WorkOrderRectified,
    WorkOrderReturned,
)

INBOX = StreamName("inbox")

NOTIFICATIONS = Table(
    "notifications",
    (
        Column("user_id", key=True), Column("event_id", key=True), Column("order_id"),
        Column("text", required=True), Column("at", required=True),
    ),
    indexes=(("user_id", "at"),),
)  # fmt: skip
INBOX_READS = Table("inbox_reads", (Column("user_id", key=True), Column("up_to", required=True)))
_ORDERS = Table(
    "notification_orders",
    (Column("order_id", key=True), Column("site", required=True), Column("summary")),
)  # fmt: skip


class NotificationsProjection:
    name = "notifications"
    stream_prefix = WORK_ORDERS.prefix

    def __init__(self, directory: Directory | None) -> None:
        self.directory = directory

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(NOTIFICATIONS, _ORDERS)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(NOTIFICATIONS, _ORDERS)

    def _recipients(self, site: str, supervisors: bool) -> list[str]:
        if self.directory is None:
            return []
        try:
            if supervisors:
                return self.directory.supervisors_of(site)
            return self.directory.staff_of(site)
        except DomainError:  # a site no longer configured
            return []

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        payload, at = event.payload, event.occurred_at.isoformat()
        if not WORK_ORDERS.owns(event.stream_id):
            return
        order_id = WORK_ORDERS.entity(event.stream_id)
        if isinstance(payload, WorkOrderOpened):
            label = PROBLEM_LABELS.get(payload.problem, payload.problem)
            tx.upsert(_ORDERS, [(order_id, payload.site, f"{label}：{payload.summary}")])
        found = tx.rows(_ORDERS, {"order_id": order_id}, ("site", "summary"))
        if not found:
            return
        site, summary = str(found[0][0]), str(found[0][1])
        supervisors = False
        match payload:
            case WorkOrderOpened():
                text = f"发现问题：{summary}"
            case WorkOrderDispatched(deadline=deadline, note=note):
                text = f"已派单，请于 {beijing_text(deadline)} 前整改：{summary}" + (
                    f"（{note}）" if note else ""
                )
            case WorkOrderReturned(reason=reason):
                text = f"整改被退回（{reason}）：{summary}"
            case WorkOrderExtended(until=until, reason=reason):
                text = f"已延期至 {beijing_text(until)}（{reason}）：{summary}"
            case WorkOrderClosed():
                text = f"已销号：{summary}"
            case WorkOrderRectified(by=by):
                text, supervisors = f"{by} 报告已整改，待复核：{summary}", True
            case _:
                return
        tx.insert_new(NOTIFICATIONS, [(user, event.event_id, order_id, text[:300], at)
                                      for user in self._recipients(site, supervisors)])  # fmt: skip


class InboxProjection:
    """Keeps `inbox_reads`: up to when each user has read their notifications."""

    name = "inbox"
    stream_prefix = INBOX.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(INBOX_READS)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(INBOX_READS)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if INBOX.owns(event.stream_id) and isinstance(event.payload, NotificationsRead):
            tx.upsert(INBOX_READS, [(INBOX.entity(event.stream_id),
                                     event.payload.up_to.isoformat())])  # fmt: skip
