"""Policies: reactions to events (event → command), run as checkpointed subscribers.

A policy reads the events of its streams after its checkpoint and reacts to each by running
commands whose events carry ids derived from the event that caused them. The checkpoint
advances after the reaction's events are appended: a crash in between runs the reaction again
and the store answers the repeat with the first append (nothing is recorded twice). A policy
may keep a small index of what it touched, written in the checkpoint's transaction.

Reactions never run inside the request that appended the event: a worker (the embedded
engine loop, or a process of its own) runs them, so a user's command appends and returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from events.envelope import RecordedEvent
from events.log import get_logger
from events.store import EventStore, SubscriberTransaction
from events.subscriptions import created_in

log = get_logger(__name__)


class Policy(Protocol):
    """A reaction to the events of some streams."""

    name: str  # its checkpoint
    stream_prefix: str  # the streams it reacts to

    def create(self, tx: SubscriberTransaction) -> bool | None:
        """Create the tables of the policy's own index, if it keeps one."""
        ...

    def react(self, event: RecordedEvent) -> Sequence[str]:
        """Run the commands `event` causes; the ids of the entities they touched."""
        ...

    def record(
        self, tx: SubscriberTransaction, event: RecordedEvent, touched: Sequence[str]
    ) -> None:
        """Keep what the reaction touched, with the checkpoint (nothing, for most)."""
        ...


def run_policy(store: EventStore, policy: Policy, batch_size: int = 500) -> int:
    """React to every event after the policy's checkpoint; return the entities touched.

    Events that cause nothing advance the checkpoint together. Several runners of one policy
    may run at once (processes, a worker and a CLI): each reacts idempotently, and none moves
    the checkpoint back."""
    touched = 0
    created = created_in(store)
    while True:
        with store.subscriber_transaction(policy.name) as tx:
            if policy.name not in created:
                if policy.create(tx) and tx.position:
                    # Its index was made anew (an older release's shape): react to every
                    # event again to refill it; reactions are idempotent, nothing runs twice.
                    log.info("policy.rebuilding", policy=policy.name)
                    tx.reset()
                created.add(policy.name)
            position = tx.position
        batch, covered = store.read_prefix(policy.stream_prefix, position, batch_size)
        for event in batch:
            done = policy.react(event)
            if not done:
                continue
            touched += len(done)
            with store.subscriber_transaction(policy.name) as tx:
                policy.record(tx, event, done)
                tx.advance(max(event.global_position, tx.position))
        if covered > position:
            with store.subscriber_transaction(policy.name) as tx:
                tx.advance(max(covered, tx.position))
        if len(batch) < batch_size:
            break
    if touched:
        log.info("policy.reacted", policy=policy.name, touched=touched)
    return touched
