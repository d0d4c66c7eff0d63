"""From publication events to deliveries: each `ArticlePublished` plans one delivery per target
that needs the revision; each `ArticleRetracted` asks every open delivery of the article to come
down. The planner keeps a checkpoint; its events have ids derived from what caused them, so
running it again after a crash appends nothing twice."""

from __future__ import annotations

from collections.abc import Sequence

from events.envelope import RecordedEvent
from events.log import get_logger
from events.policies import run_policy
from events.recorder import Column, Table
from events.runner import Runner
from events.store import ConcurrencyConflict, EventStore, StoreError, SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticlePublished, ArticleRetracted, TargetsWithdrawn
from workflows.delivery_decider import (
    DeliveryState,
    DeliveryStatus,
    ForDelivery,
    Plan,
    RequestRetraction,
    delivery_decider,
    delivery_id,
)
from workflows.delivery_events import DeliveryAction, DeliveryPlanned

log = get_logger(__name__)
PLANNER = "delivery-planner"

# Delivery commands run on the generic runner over the delivery decider.
DeliveryRunner = Runner[ForDelivery, DeliveryState]


def delivery_runner(store: EventStore) -> DeliveryRunner:
    """A runner for delivery commands (three tries: workers record attempts concurrently)."""
    return Runner(store, delivery_decider, attempts=3)


def plan(runner: DeliveryRunner, event: RecordedEvent) -> list[str]:
    """The deliveries one article event plans or retracts; returns their ids. Their events
    get ids derived from `event`, so planning it again appends nothing twice."""
    payload = event.payload
    article_id = ARTICLES.entity(event.stream_id)
    cause, correlation = event.event_id, event.correlation_id
    touched: list[str] = []
    if isinstance(payload, ArticlePublished):
        publication = payload.publication
        added = {t.key for t in payload.added_targets}
        plans: list[tuple[ForDelivery, DeliveryState, int]] = []
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
            # A new stream: a replay is answered with the first result (same event id).
            plans.append((ForDelivery(delivery, Plan(planned)), DeliveryState(), 0))
            touched.append(delivery)
        outcomes = runner.execute_batch(plans, cause=cause, correlation_id=correlation)
        for (addressed, _, _), outcome in zip(plans, outcomes, strict=True):
            if isinstance(outcome, StoreError):
                log.warning("delivery.plan_conflict", delivery_id=addressed.delivery_id,
                            article_id=article_id, error=str(outcome))  # fmt: skip
    elif isinstance(payload, ArticleRetracted | TargetsWithdrawn):
        by = payload.retracted_by if isinstance(payload, ArticleRetracted) else payload.withdrawn_by
        only = {t.key for t in payload.targets} if isinstance(payload, TargetsWithdrawn) else None
        command = RequestRetraction(payload.reason, by)
        asks: list[tuple[ForDelivery, DeliveryState, int]] = []
        for delivery, (state, version) in _open_deliveries(runner, article_id):
            if only is not None and (state.target is None or state.target.key not in only):
                continue
            asks.append((ForDelivery(delivery, command), state, version))
            touched.append(delivery)
        outcomes = runner.execute_batch(asks, cause=cause, correlation_id=correlation)
        for (addressed, _, _), outcome in zip(asks, outcomes, strict=True):
            if isinstance(outcome, ConcurrencyConflict):  # a worker recorded an attempt
                runner.execute(addressed, cause=cause, correlation_id=correlation)
    return touched


def _open_deliveries(
    runner: DeliveryRunner, article_id: str
) -> list[tuple[str, tuple[DeliveryState, int]]]:
    """Deliveries of the article that may still show it, with their state and version (read
    from their streams)."""
    rows = runner.store.rows(PLANNED, {"article_id": article_id}, ("delivery_id",))
    found = []
    for (delivery,) in rows:
        state, version = runner.load(str(delivery))
        if state.status not in (DeliveryStatus.CANCELLED, DeliveryStatus.RETRACTED):
            found.append((str(delivery), (state, version)))
    return found


# The planner's own index: which deliveries each article has (a retraction asks them all).
PLANNED = Table(
    "planned_deliveries", (Column("article_id", key=True), Column("delivery_id", key=True))
)


class DeliveryPlanner:
    """The policy "publication or retraction → plan deliveries", with its article → delivery
    index (which deliveries a retraction asks to come down)."""

    name = PLANNER
    stream_prefix = ARTICLES.prefix

    def __init__(self, runner: DeliveryRunner) -> None:
        self.runner = runner

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(PLANNED)

    def react(self, event: RecordedEvent) -> list[str]:
        return plan(self.runner, event)

    def record(
        self, tx: SubscriberTransaction, event: RecordedEvent, touched: Sequence[str]
    ) -> None:
        article_id = ARTICLES.entity(event.stream_id)
        tx.insert_new(PLANNED, [(article_id, d) for d in touched])


def run_planner(
    store: EventStore, batch_size: int = 500, runner: DeliveryRunner | None = None
) -> int:
    """Plan for every article event after the planner's checkpoint; return deliveries touched
    (see `run_policy`: a crash replays an event, and the derived ids append nothing new)."""
    return run_policy(store, DeliveryPlanner(runner or delivery_runner(store)), batch_size)
