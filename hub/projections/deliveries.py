"""The delivery ledger as a table: one row per delivery with its state, for the operator's
view and for the engine's queue of due work."""

from __future__ import annotations

import json
from datetime import datetime

from events.envelope import RecordedEvent
from events.store import EventStore, SubscriberTransaction
from hub.runtime.clock import utc_iso
from workflows.delivery_decider import DELIVERIES, DeliveryState, DeliveryStatus, evolve
from workflows.delivery_events import DeliveryAction, Operation
from workflows.publication import Target

_COLUMNS = (
    "delivery_id", "article_id", "publication_id", "revision", "content_hash", "target",
    "action", "status", "attempts", "operation", "lease_until", "next_at", "last_error",
    "remote_id", "url", "retract", "delivered_once", "worker", "steps", "version",
)  # fmt: skip
_CREATE = (
    f"""CREATE TABLE IF NOT EXISTS deliveries (
        {", ".join(c + (" TEXT PRIMARY KEY" if c == "delivery_id" else "") for c in _COLUMNS)},
        channel TEXT, account TEXT, updated_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS deliveries_article ON deliveries (article_id)",
    "CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (status, next_at)",
    "CREATE INDEX IF NOT EXISTS deliveries_account ON deliveries (channel, account)",
)


def _row(state: DeliveryState, version: int) -> tuple[object, ...]:
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
    )


def version_of(row: tuple[object, ...]) -> int:
    """The delivery stream's version a row of `deliveries` reflects."""
    return int(str(row[_COLUMNS.index("version")]))


def state_of(row: tuple[object, ...]) -> DeliveryState:
    """The delivery state stored in a row of `deliveries` (columns in `_COLUMNS` order)."""
    values = dict(zip(_COLUMNS, row, strict=False))

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


SELECT = f"SELECT {', '.join(_COLUMNS)} FROM deliveries"


class DeliveriesProjection:
    """Folds every delivery stream into `deliveries`."""

    name = "deliveries"
    stream_prefix = DELIVERIES.prefix

    def create(self, tx: SubscriberTransaction) -> None:
        existing = {row[1] for row in tx.query("PRAGMA table_info(deliveries)")}
        if existing and not set(_COLUMNS) <= existing:  # written by an older release
            tx.execute("DROP TABLE deliveries")
            tx.reset()
        for statement in _CREATE:
            tx.execute(statement)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.execute("DROP TABLE IF EXISTS deliveries")

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        self.apply_batch(tx, [event])

    def apply_batch(self, tx: SubscriberTransaction, events: list[RecordedEvent]) -> None:
        """Fold a batch: one read of the rows it touches, one write per delivery (a fan-out
        appends three events per delivery in quick succession)."""
        ids = list(dict.fromkeys(DELIVERIES.entity(e.stream_id) for e in events
                                 if DELIVERIES.owns(e.stream_id)))  # fmt: skip
        states: dict[str, tuple[DeliveryState, int, str]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in tx.query(f"{SELECT} WHERE delivery_id IN ({marks})", chunk):
                states[str(row[0])] = (state_of(row), version_of(row), "")
        changed: dict[str, tuple[DeliveryState, int, str]] = {}
        for event in events:
            if not DELIVERIES.owns(event.stream_id):
                continue
            delivery_id = DELIVERIES.entity(event.stream_id)
            state, _, _ = states.get(delivery_id, (DeliveryState(), 0, ""))
            state = evolve(state, event.payload)
            states[delivery_id] = (state, event.stream_version, event.occurred_at.isoformat())
            if state.target is not None:
                changed[delivery_id] = states[delivery_id]
        marks = ",".join("?" * (len(_COLUMNS) + 3))
        tx.executemany(
            f"INSERT OR REPLACE INTO deliveries ({', '.join(_COLUMNS)}, channel, account, "
            f"updated_at) VALUES ({marks})",
            [
                (*_row(state, version), str(state.target.channel), state.target.account, at)
                for state, version, at in changed.values()
                if state.target is not None
            ],
        )


_CHUNK = 500  # delivery ids per read (well under SQLite's limit on parameters)


def due_deliveries(store: EventStore, now: datetime, limit: int = 500) -> list[DeliveryState]:
    """Deliveries a worker could take now (pending or due, unknown, or with a lapsed lease)."""
    return [state for state, _ in due_with_versions(store, now, limit)]


def due_with_versions(
    store: EventStore, now: datetime, limit: int = 500
) -> list[tuple[DeliveryState, int]]:
    """`due_deliveries` with the stream version each state reflects (for appending)."""
    iso = utc_iso(now)
    rows = store.query(
        f"{SELECT} WHERE (status IN ('pending', 'retrying', 'retracting') AND "
        "(next_at IS NULL OR next_at <= ?) AND operation IS NULL) OR status = 'unknown' OR "
        "(status IN ('sending', 'retracting') AND lease_until IS NOT NULL AND lease_until <= ?) "
        "ORDER BY next_at LIMIT ?",
        (iso, iso, limit),
    )
    return [(state_of(row), version_of(row)) for row in rows]


def deliveries_of(store: EventStore, article_id: str) -> list[DeliveryState]:
    rows = store.query(f"{SELECT} WHERE article_id = ? ORDER BY rowid", (article_id,))
    return [state_of(row) for row in rows]


UNSETTLED = ("pending", "sending", "retrying", "unknown", "retracting")


def unsettled_count(store: EventStore) -> int:
    """Deliveries not yet in a final or resting state (delivered, dead, cancelled, retracted)."""
    marks = ", ".join("?" * len(UNSETTLED))
    rows = store.query(f"SELECT COUNT(*) FROM deliveries WHERE status IN ({marks})", UNSETTLED)
    return int(rows[0][0])
