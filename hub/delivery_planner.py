"""From publication events to deliveries: each `ArticlePublished` plans one delivery per target
that needs the revision; each `ArticleRetracted` asks every open delivery of the article to come
down. The planner keeps a checkpoint; its events have ids derived from what caused them, so
running it again after a crash appends nothing twice."""

from __future__ import annotations

import hashlib
import uuid

import structlog

from events.envelope import SYSTEM_ACTOR, Actor, NewEvent, RecordedEvent
from events.ids import new_id
from events.store import ConcurrencyConflict, EventStore, StoreError
from workflows.article_events import ArticlePublished, ArticleRetracted, TargetsWithdrawn
from workflows.delivery_decider import (
    DeliveryCommand,
    DeliveryState,
    DeliveryStatus,
    RequestRetraction,
    decide,
    delivery_id,
    evolve,
)
from workflows.delivery_events import DeliveryAction, DeliveryPlanned

log = structlog.get_logger(__name__)
PLANNER = "delivery-planner"


def delivery_stream(delivery: str) -> str:
    return f"delivery-{delivery}"


def derived_id(*parts: str) -> str:
    """A stable event id for an event caused by `parts` (UUID layout, not time-ordered)."""
    return str(uuid.UUID(hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]))


def load_delivery(store: EventStore, delivery: str) -> tuple[DeliveryState, int]:
    state, version = DeliveryState(), 0
    for event in store.read_stream(delivery_stream(delivery)):
        state, version = evolve(state, event.payload), event.stream_version
    return state, version


def apply_delivery(
    store: EventStore,
    delivery: str,
    command: DeliveryCommand,
    cause: str | None = None,
    correlation_id: str | None = None,
    actor: Actor = SYSTEM_ACTOR,
) -> DeliveryState:
    """Decide and append for one delivery, retrying on a concurrent change. Events caused by
    another event (`cause`) get ids derived from it, so a replay appends nothing twice."""
    correlation = correlation_id or new_id()
    for _attempt in range(3):
        state, version = load_delivery(store, delivery)
        payloads = decide(command, state)
        if not payloads:
            return state
        events = [
            NewEvent(
                p,
                actor,
                correlation,
                cause,
                derived_id(cause, delivery, str(i)) if cause else new_id(),
            )
            for i, p in enumerate(payloads)
        ]
        try:
            store.append(delivery_stream(delivery), events, version)
        except ConcurrencyConflict:
            continue
        for payload in payloads:
            state = evolve(state, payload)
        return state
    raise ConcurrencyConflict(delivery_stream(delivery), -1, -1)


def plan(store: EventStore, event: RecordedEvent) -> list[str]:
    """The deliveries one article event plans or retracts; returns their ids."""
    payload = event.payload
    article_id = event.stream_id.removeprefix("article-")
    touched: list[str] = []
    if isinstance(payload, ArticlePublished):
        publication = payload.publication
        added = {t.key for t in payload.added_targets}
        appends = []
        for target in publication.targets:
            if target.key not in added and payload.replaces_revision is None:
                continue  # already shows this revision
            action = DeliveryAction.PUBLISH if target.key in added else DeliveryAction.UPDATE
            delivery = delivery_id(publication.publication_id, target)
            planned = DeliveryPlanned(
                delivery_id=delivery,
                article_id=article_id,
                publication_id=publication.publication_id,
                revision=publication.revision,
                content_hash=publication.content_hash,
                target=target,
                action=action,
                not_before=event.occurred_at,
            )
            # A new stream: its first event, with an id derived from the cause, so that a
            # replay is answered with the first result instead of planning twice.
            new = NewEvent(planned, SYSTEM_ACTOR, event.correlation_id, event.event_id,
                           derived_id(event.event_id, delivery, "0"))  # fmt: skip
            appends.append((delivery_stream(delivery), [new], 0))
            touched.append(delivery)
        for (stream, _, _), outcome in zip(appends, store.append_many(appends), strict=True):
            if isinstance(outcome, StoreError):
                log.warning("delivery.plan_conflict", stream=stream, error=str(outcome))
    elif isinstance(payload, ArticleRetracted | TargetsWithdrawn):
        by = payload.retracted_by if isinstance(payload, ArticleRetracted) else payload.withdrawn_by
        only = {t.key for t in payload.targets} if isinstance(payload, TargetsWithdrawn) else None
        command = RequestRetraction(payload.reason, by)
        appends, conflicts = [], []
        for delivery, (state, version) in _open_deliveries(store, article_id):
            if only is not None and (state.target is None or state.target.key not in only):
                continue
            events = [
                NewEvent(
                    p,
                    SYSTEM_ACTOR,
                    event.correlation_id,
                    event.event_id,
                    derived_id(event.event_id, delivery, str(i)),
                )
                for i, p in enumerate(decide(command, state))
            ]
            if events:
                appends.append((delivery_stream(delivery), events, version))
            touched.append(delivery)
        for (stream, _, _), outcome in zip(appends, store.append_many(appends), strict=True):
            if isinstance(outcome, ConcurrencyConflict):  # a worker recorded an attempt
                conflicts.append(stream.removeprefix("delivery-"))
        for delivery in conflicts:
            apply_delivery(store, delivery, command, event.event_id, event.correlation_id)
    return touched


def _open_deliveries(
    store: EventStore, article_id: str
) -> list[tuple[str, tuple[DeliveryState, int]]]:
    """Deliveries of the article that may still show it, with their state and version (read
    from their streams)."""
    rows = store.query(
        "SELECT delivery_id FROM planned_deliveries WHERE article_id = ?", (article_id,)
    )
    found = []
    for (delivery,) in rows:
        state, version = load_delivery(store, str(delivery))
        if state.status not in (DeliveryStatus.CANCELLED, DeliveryStatus.RETRACTED):
            found.append((str(delivery), (state, version)))
    return found


_MAPPING = """CREATE TABLE IF NOT EXISTS planned_deliveries (
    article_id TEXT NOT NULL, delivery_id TEXT NOT NULL, PRIMARY KEY (article_id, delivery_id))"""


def run_planner(store: EventStore, batch_size: int = 500) -> int:
    """Plan for every article event after the planner's checkpoint; return deliveries touched.

    The checkpoint advances (with the planner's article → delivery index) after each event's
    deliveries are appended: a crash in between replays the event, and the derived event ids
    make the replay append nothing new. Events that plan nothing advance it together. Several
    planners may run at once (processes, the engine loop and in-process delivery): each plans
    idempotently, and none moves the checkpoint back."""
    touched = 0
    while True:
        with store.subscriber_transaction(PLANNER) as tx:
            tx.execute(_MAPPING)
            position = tx.position
        batch, covered = store.read_prefix("article-", position, batch_size)
        for event in batch:
            deliveries = plan(store, event)
            if not deliveries:
                continue
            touched += len(deliveries)
            with store.subscriber_transaction(PLANNER) as tx:
                article_id = event.stream_id.removeprefix("article-")
                tx.executemany(
                    "INSERT OR IGNORE INTO planned_deliveries VALUES (?, ?)",
                    [(article_id, d) for d in deliveries],
                )
                # Another planner (a second process, or the engine loop while a command
                # delivers in-process) may have planned past this event meanwhile: the
                # derived event ids made this pass append nothing new; keep its checkpoint.
                tx.advance(max(event.global_position, tx.position))
        if covered > position:
            with store.subscriber_transaction(PLANNER) as tx:
                tx.advance(max(covered, tx.position))
        if len(batch) < batch_size:
            break
    if touched:
        log.info("deliveries.planned", touched=touched)
    return touched
