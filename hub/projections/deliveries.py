"""The delivery ledger as a table: one row per delivery with its state, for the operator's
view and for the engine's queue of due work."""

from __future__ import annotations

import json
from datetime import datetime

from events.envelope import RecordedEvent
from events.recorder import AtMost, Column, NotNull, Table
from events.store import EventStore, SubscriberTransaction
from hub.delivery.ledger_signal import LedgerSignal
from hub.runtime.clock import utc_iso
from workflows.delivery_decider import (
    DELIVERIES,
    DeliveryState,
    DeliveryStatus,
    due_from,
    evolve,
)
from workflows.delivery_events import DeliveryAction, Operation
from workflows.publication import Target

DELIVERIES_TABLE = Table(
    "deliveries",
    (
        Column("delivery_id", key=True), Column("article_id"), Column("publication_id"),
        Column("revision", "int"), Column("content_hash"), Column("target"), Column("action"),
        Column("status"), Column("attempts", "int"), Column("operation"), Column("lease_until"),
        Column("next_at"), Column("last_error"), Column("remote_id"), Column("url"),
        Column("retract", "int"), Column("delivered_once", "int"), Column("worker"),
        Column("steps"), Column("version", "int"),
        Column("channel"), Column("account"), Column("updated_at"),
        # When a worker has work with it (the decider's `due_from`; NULL: none until an event).
        Column("due_at"),
        # The global position of its first event: the order deliveries were planned in.
        Column("seq", "int"),
        # The number of the ledger's commit that last changed it (hub/delivery/ledger_signal.py).
        Column("change_no", "int"),
    ),
    indexes=(("article_id", "seq"), ("due_at",), ("status",), ("channel", "account"),
             ("change_no",), ("seq",)),
    folding=("change_no",),
)  # fmt: skip
_COLUMNS = DELIVERIES_TABLE.names


def _row(state: DeliveryState, version: int, at: str, seq: int, change: int) -> tuple[object, ...]:
    assert state.target is not None
    return (
        state.delivery_id,
        state.article_id,
        state.publication_id,
        state.revision,
        state.content_hash,
        state.target.key,
        str(state.action),
        str(state.status),
        state.attempts,
        str(state.operation) if state.operation else None,
        utc_iso(state.lease_until),
        utc_iso(state.next_at),
        state.last_error,
        state.remote_id,
        state.url,
        int(state.retract),
        int(state.delivered_once),
        state.worker,
        json.dumps(state.steps, ensure_ascii=False) if state.steps else "",
        version,
        str(state.target.channel),
        state.target.account,
        at,
        utc_iso(due_from(state)),
        seq,
        change,
    )


def version_of(row: tuple[object, ...]) -> int:
    """The delivery stream's version a row of `deliveries` reflects."""
    return int(str(row[_COLUMNS.index("version")]))


def state_of(row: tuple[object, ...]) -> DeliveryState:
    """The delivery state stored in a row of `deliveries` (all columns, in table order)."""
    values = dict(zip(_COLUMNS, row, strict=True))

    def moment(key: str) -> datetime | None:
        text = values[key]
        return datetime.fromisoformat(str(text)) if text else None

    return DeliveryState(
        delivery_id=str(values["delivery_id"]),
        status=DeliveryStatus(str(values["status"])),
        article_id=str(values["article_id"]),
        publication_id=str(values["publication_id"]),
        revision=int(str(values["revision"])),
        content_hash=str(values["content_hash"]),
        target=Target.parse(str(values["target"])),
        action=DeliveryAction(str(values["action"])),
        attempts=int(str(values["attempts"])),
        operation=Operation(str(values["operation"])) if values["operation"] else None,
        lease_until=moment("lease_until"),
        next_at=moment("next_at"),
        last_error=str(values["last_error"] or ""),
        remote_id=str(values["remote_id"] or ""),
        url=str(values["url"] or ""),
        retract=bool(values["retract"]),
        delivered_once=bool(values["delivered_once"]),
        worker=str(values["worker"] or ""),
        steps=tuple((str(k), str(v)) for k, v in json.loads(str(values["steps"]) or "[]")),
    )


class DeliveriesProjection:
    """Folds every delivery stream into `deliveries`; each commit that changed rows is
    numbered, and `signal` told its number once it committed."""

    name = "deliveries"
    stream_prefix = DELIVERIES.prefix

    def __init__(self, signal: LedgerSignal | None = None) -> None:
        self.signal = signal or LedgerSignal()

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(DELIVERIES_TABLE)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(DELIVERIES_TABLE)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        self.apply_batch(tx, [event])

    def apply_batch(self, tx: SubscriberTransaction, events: list[RecordedEvent]) -> None:
        """Fold a batch: one read of the rows it touches, one write per delivery (a fan-out
        appends three events per delivery in quick succession)."""
        ids = list(dict.fromkeys(DELIVERIES.entity(e.stream_id) for e in events
                                 if DELIVERIES.owns(e.stream_id)))  # fmt: skip
        # delivery id -> (state, version, updated at, seq)
        states: dict[str, tuple[DeliveryState, int, str, int]] = {}
        for start in range(0, len(ids), _CHUNK):
            for row in tx.rows(DELIVERIES_TABLE, {"delivery_id": ids[start : start + _CHUNK]}):
                states[str(row[0])] = (state_of(row), version_of(row), "", int(row[_SEQ]))
        changed: dict[str, tuple[DeliveryState, int, str, int]] = {}
        for event in events:
            if not DELIVERIES.owns(event.stream_id):
                continue
            delivery_id = DELIVERIES.entity(event.stream_id)
            state, _, _, seq = states.get(delivery_id, (DeliveryState(), 0, "", 0))
            state = evolve(state, event.payload)
            states[delivery_id] = (state, event.stream_version, event.occurred_at.isoformat(),
                                   seq or event.global_position)  # fmt: skip
            if state.target is not None:
                changed[delivery_id] = states[delivery_id]
        if not changed:
            return
        # Transactions of one subscriber run one at a time (the stores' contract): one more
        # than the last number is in commit order.
        last = tx.rows(DELIVERIES_TABLE, {}, ("change_no",), order_by=("-change_no",), limit=1)
        change = int(last[0][0] or 0) + 1 if last else 1
        tx.upsert(DELIVERIES_TABLE, [_row(*values, change) for values in changed.values()])
        signal = self.signal
        tx.after_commit(lambda: signal.changed(change))


_CHUNK = 500  # delivery ids per read (well under SQLite's limit on parameters)
_SEQ = _COLUMNS.index("seq")


def due_deliveries(store: EventStore, now: datetime, limit: int = 500) -> list[DeliveryState]:
    """Deliveries a worker could take now (pending or due, unknown, or with a lapsed lease)."""
    return [state for state, _ in due_with_versions(store, now, limit)]


def due_with_versions(
    store: EventStore, now: datetime, limit: int = 500
) -> list[tuple[DeliveryState, int]]:
    """`due_deliveries` with the stream version each state reflects (for appending): the
    rows whose `due_from` has come, soonest first."""
    rows = store.rows(DELIVERIES_TABLE, {"due_at": AtMost(utc_iso(now))}, order_by=("due_at",),
                      limit=limit)  # fmt: skip
    return [(state_of(row), version_of(row)) for row in rows]


def due_of_accounts(
    store: EventStore, now: datetime, accounts: list[str], limit: int = 500
) -> list[tuple[DeliveryState, int]]:
    """`due_with_versions` of the deliveries to `accounts` (account ids and site codes)."""
    if not accounts:
        return []
    rows = store.rows(DELIVERIES_TABLE, {"due_at": AtMost(utc_iso(now)), "account": accounts},
                      order_by=("due_at",), limit=limit)  # fmt: skip
    return [(state_of(row), version_of(row)) for row in rows]


def in_flight_of_accounts(
    store: EventStore, accounts: list[str], limit: int = 500
) -> list[tuple[DeliveryState, int]]:
    """The deliveries to `accounts` with an attempt in flight (held by some worker)."""
    if not accounts:
        return []
    rows = store.rows(DELIVERIES_TABLE, {"status": ["sending", "retracting"], "account": accounts,
                                          "operation": NotNull}, limit=limit)  # fmt: skip
    return [(state_of(row), version_of(row)) for row in rows]


def deliveries_of(store: EventStore, article_id: str) -> list[DeliveryState]:
    """The article's deliveries in the order they were planned."""
    rows = store.rows(DELIVERIES_TABLE, {"article_id": article_id}, order_by=("seq",))
    return [state_of(row) for row in rows]


UNSETTLED = ("pending", "sending", "retrying", "unknown", "retracting")


def unsettled_count(store: EventStore) -> int:
    """Deliveries not yet in a final or resting state (delivered, dead, cancelled, retracted)."""
    return int(store.tally(DELIVERIES_TABLE, {"status": UNSETTLED})[0][0])
