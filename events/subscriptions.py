"""Subscribers: read models kept by folding the global event order, with checkpoints."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Protocol

from events.envelope import RecordedEvent
from events.log import get_logger
from events.recorder import Column, Table
from events.store import EventStore, SubscriberTransaction

log = get_logger(__name__)
# The subscribers whose tables were created (or upgraded) through each open store.
_created: weakref.WeakKeyDictionary[EventStore, set[str]] = weakref.WeakKeyDictionary()


def created_in(store: EventStore) -> set[str]:
    """The subscribers (and policies) whose tables this process created through `store`."""
    return _created.setdefault(store, set())


Progress = Callable[[int], None]  # called with how many positions the read just covered

# The last version of each stream a subscriber applied from a bus (events/stream_order.py);
# the global order skips what is recorded here.
STREAM_VERSIONS = Table(
    "stream_versions",
    (
        Column("subscriber", key=True),
        Column("stream_id", key=True),
        Column("version", "int", required=True),
    ),
)


def tracked_versions(
    tx: SubscriberTransaction, subscriber: str, streams: Sequence[str]
) -> dict[str, int]:
    """The last version `subscriber` applied from a bus of each of `streams` (if any)."""
    if not streams:
        return {}
    rows = tx.rows(
        STREAM_VERSIONS,
        {"subscriber": subscriber, "stream_id": sorted(set(streams))},
        ("stream_id", "version"),
    )
    return {str(row[0]): int(row[1]) for row in rows}


def prepare(store: EventStore, subscriber: Subscriber, tx: SubscriberTransaction) -> None:
    """Create the subscriber's tables, once per store and process; a table of another shape
    (an older release) is made anew and the read model folded again from the start."""
    created = created_in(store)
    if subscriber.name in created:
        return
    tx.create(STREAM_VERSIONS)
    if subscriber.create(tx) and tx.position:
        log.info("subscriber.rebuilding", subscriber=subscriber.name)
        _forget(tx, subscriber)
        subscriber.create(tx)
    created.add(subscriber.name)


def _forget(tx: SubscriberTransaction, subscriber: Subscriber) -> None:
    """Drop the subscriber's read model, its checkpoint and its tracked stream versions."""
    subscriber.drop(tx)
    tx.delete(STREAM_VERSIONS, {"subscriber": subscriber.name})
    tx.reset()


class Subscriber(Protocol):
    """A projection: creates its tables, applies events, and can drop everything it owns.

    A subscriber may also define `apply_batch(tx, events)`, folding a whole batch at once
    (fewer reads and writes); it must leave the same result as `apply` on each event."""

    name: str
    stream_prefix: str  # the streams it folds ("" for every stream)

    def create(self, tx: SubscriberTransaction) -> bool | None:
        """Create the subscriber's tables if they do not exist; True when a table had to be
        made anew (`tx.create` tells) and the read model must be folded from the start."""
        ...

    def drop(self, tx: SubscriberTransaction) -> None:
        """Drop the subscriber's tables."""
        ...

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        """Fold one event into the read model."""
        ...


def catch_up(
    store: EventStore,
    subscriber: Subscriber,
    *,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> int:
    """Apply every event after the subscriber's checkpoint; return how many were applied.

    Each batch and its checkpoint commit in one transaction, so a crash never applies an
    event twice or skips one. The batch is read and decoded before the transaction begins
    (writers wait only for the folding); if another catch-up moved the checkpoint meanwhile,
    the batch is read again.
    """
    applied = 0
    created = created_in(store)
    while True:
        start = store.checkpoint(subscriber.name)
        batch, covered = store.read_prefix(subscriber.stream_prefix, start, batch_size)
        if covered == start and subscriber.name in created:
            break  # nothing new: no write transaction at all
        with store.subscriber_transaction(subscriber.name) as tx:
            prepare(store, subscriber, tx)
            if tx.position != start:
                continue  # folded by someone else meanwhile (or reset): read again
            if batch:  # less what a bus already brought (a worker of the distributed runtime)
                versions = tracked_versions(tx, subscriber.name, [e.stream_id for e in batch])
                if versions:
                    batch = [e for e in batch if versions.get(e.stream_id, 0) < e.stream_version]
            apply_batch = getattr(subscriber, "apply_batch", None)
            if apply_batch is not None:
                apply_batch(tx, batch)
            else:
                for event in batch:
                    subscriber.apply(tx, event)
            if covered > start:
                tx.advance(covered)
        applied += len(batch)
        if progress and covered > start:
            progress(covered - start)
        if len(batch) < batch_size:
            break
    if applied:
        log.debug("subscriber.caught_up", subscriber=subscriber.name, applied=applied)
    return applied


def rebuild(
    store: EventStore,
    subscriber: Subscriber,
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
) -> int:
    """Drop the subscriber's read model and checkpoint, then replay every event."""
    with store.subscriber_transaction(subscriber.name) as tx:
        tx.create(STREAM_VERSIONS)
        _forget(tx, subscriber)
    _created.get(store, set()).discard(subscriber.name)
    return catch_up(store, subscriber, batch_size=batch_size, progress=progress)
