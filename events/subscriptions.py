"""Subscribers: read models kept by folding the global event order, with checkpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import structlog

from events.envelope import RecordedEvent
from events.store import EventStore, SubscriberTransaction

log = structlog.get_logger(__name__)
Progress = Callable[[int], None]  # called with how many positions the read just covered


class Subscriber(Protocol):
    """A projection: creates its tables, applies events, and can drop everything it owns.

    A subscriber may also define `apply_batch(tx, events)`, folding a whole batch at once
    (fewer reads and writes); it must leave the same result as `apply` on each event."""

    name: str
    stream_prefix: str  # the streams it folds ("" for every stream)

    def create(self, tx: SubscriberTransaction) -> None:
        """Create the subscriber's tables if they do not exist."""
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
    event twice or skips one.
    """
    applied = 0
    while True:
        with store.subscriber_transaction(subscriber.name) as tx:
            subscriber.create(tx)
            start = tx.position
            batch, covered = store.read_prefix(subscriber.stream_prefix, start, batch_size)
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
        subscriber.drop(tx)
        tx.reset()
    return catch_up(store, subscriber, batch_size=batch_size, progress=progress)
