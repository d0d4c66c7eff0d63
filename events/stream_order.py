"""Applying events that arrive from a bus (Kafka): in each stream's order, each at most once.

A bus delivers at least once and keeps order only within a stream (one stream, one
partition), so a subscriber fed from it keeps, beside its read model and in the same
transaction, the last version it applied of each stream (`STREAM_VERSIONS`). An event at or
below that version is a repeat and is ignored; an event past the next version means the bus
lost or reordered something, and the missing events are read from the store first.

The subscriber's global checkpoint (`catch_up`, which folds the store's order) stays valid
beside it: an event counts as applied when its position is at or below the checkpoint, or its
version at or below its stream's tracked version. Both ways run in the subscriber's
transaction (one at a time, across processes), so a web node catching up its own streams and
a worker consuming the bus never apply one event twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from events.envelope import RecordedEvent
from events.log import get_logger
from events.store import EventStore
from events.subscriptions import STREAM_VERSIONS, Subscriber, prepare, tracked_versions

log = get_logger(__name__)


@dataclass
class Applied:
    """What one call did: events applied, repeats ignored, missing events read from the store."""

    applied: int = 0
    repeats: int = 0
    filled: int = 0


def apply_in_stream_order(
    store: EventStore, subscriber: Subscriber, events: Sequence[RecordedEvent]
) -> Applied:
    """Apply `events` (of any streams, each stream's in its order, repeats allowed) to
    `subscriber`, in one transaction with the versions it tracks."""
    outcome = Applied()
    mine = [e for e in events if e.stream_id.startswith(subscriber.stream_prefix)]
    if not mine:
        return outcome
    with store.subscriber_transaction(subscriber.name) as tx:
        prepare(store, subscriber, tx)
        checkpoint = tx.position
        versions = tracked_versions(tx, subscriber.name, [e.stream_id for e in mine])
        changed: dict[str, int] = {}
        for event in mine:
            stream, version = event.stream_id, event.stream_version
            last = versions.get(stream)
            if event.global_position <= checkpoint or (last is not None and version <= last):
                outcome.repeats += 1
                continue
            if version > (last or 0) + 1:
                # Missing before it (lost, or before this subscriber followed the bus): from
                # the store, less what the global order already applied.
                missing = [
                    e
                    for e in store.read_stream(stream, (last or 0) + 1, version - 1)
                    if e.global_position > checkpoint
                ]
                for earlier in missing:
                    subscriber.apply(tx, earlier)
                outcome.filled += len(missing)
            subscriber.apply(tx, event)
            outcome.applied += 1
            versions[stream] = changed[stream] = version
        if changed:
            tx.upsert(
                STREAM_VERSIONS,
                [(subscriber.name, stream, version) for stream, version in changed.items()],
            )
    if outcome.filled:
        log.warning("bus.gap_filled", subscriber=subscriber.name, events=outcome.filled)
    return outcome
