"""The delivery engine: takes due deliveries from the ledger, runs one attempt each through the
channel adapter, and records the outcome as events.

Order of a send, which is what makes a crash harmless: `DeliveryStarted` (with a lease) is
appended *before* the channel is called, and the outcome *after*. A worker killed in between
leaves a delivery whose lease lapses; the next worker's attempt is then a status query, never
a second send.

Per account, a circuit breaker stops calling an endpoint after consecutive failures (for a
cool-down), and a token bucket keeps within the account's rate limit. Both are in memory for
the embedded runtime (Redis holds them when workers scale out).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from channels.contract import ChannelAdapter, ChannelError, DeliveryItem, Receipt, limit_problems
from events.envelope import SYSTEM_ACTOR, Event, NewEvent
from events.ids import new_id
from events.store import ConcurrencyConflict, EventStore
from hub.delivery_planner import delivery_stream, load_delivery, run_planner
from hub.projections.deliveries import due_deliveries
from workflows.article_events import ArticleCreated, ArticlePublished, ArticleRevised
from workflows.content import ArticleContent
from workflows.delivery_decider import (
    DeliveryState,
    Record,
    Start,
    decide,
    evolve,
    next_operation,
)
from workflows.delivery_events import DeliveryStarted, ErrorKind, Operation
from workflows.errors import DomainError
from workflows.publication import Publication

log = structlog.get_logger(__name__)


@dataclass
class CircuitBreaker:
    """Opens after `threshold` consecutive failures of one account, for `cooldown`."""

    threshold: int = 5
    cooldown: timedelta = timedelta(seconds=30)
    failures: dict[str, int] = field(default_factory=dict)
    open_until: dict[str, datetime] = field(default_factory=dict)

    def allows(self, account: str, now: datetime) -> bool:
        until = self.open_until.get(account)
        return until is None or until <= now

    def record(self, account: str, ok: bool, now: datetime) -> None:
        if ok:
            self.failures.pop(account, None)
            self.open_until.pop(account, None)
            return
        self.failures[account] = self.failures.get(account, 0) + 1
        if self.failures[account] >= self.threshold:
            self.open_until[account] = now + self.cooldown
            log.warning("delivery.circuit_open", account=account, until=str(now + self.cooldown))


@dataclass
class RateLimiter:
    """A token bucket per account: `rate` calls per second, bursts up to `burst`."""

    rate: float = 50.0
    burst: float = 50.0
    tokens: dict[str, tuple[float, float]] = field(default_factory=dict)  # account -> (n, t)

    def take(self, account: str, clock: float) -> bool:
        count, stamp = self.tokens.get(account, (self.burst, clock))
        count = min(self.burst, count + (clock - stamp) * self.rate)
        if count < 1:
            self.tokens[account] = (count, clock)
            return False
        self.tokens[account] = (count - 1, clock)
        return True


@dataclass
class EngineReport:
    planned: int = 0
    attempted: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # circuit open or rate-limited


class DeliveryEngine:
    """Runs deliveries against channel adapters; safe to run in several processes at once."""

    def __init__(
        self,
        store: EventStore,
        adapters: Mapping[str, ChannelAdapter],
        context: Callable[[DeliveryState], dict[str, object]] = lambda state: {},
        after_write: Callable[[], object] = lambda: None,
        worker: str | None = None,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.context = context
        self.after_write = after_write
        self.worker = worker or f"{os.uname().nodename}:{os.getpid()}"
        self.lease = lease
        self.breaker = CircuitBreaker()
        self.limiter = RateLimiter()
        self._contents: dict[tuple[str, str], _Source] = {}

    def run_once(self, now: datetime | None = None) -> EngineReport:
        """Plan from new publication events, then make one attempt on every due delivery."""
        report = EngineReport(planned=run_planner(self.store))
        self.after_write()
        moment = now or datetime.now(UTC)
        for candidate in due_deliveries(self.store, moment):
            target = candidate.target
            assert target is not None
            account = f"{target.channel}:{target.account}"
            if not self.breaker.allows(account, moment) or not self.limiter.take(
                account, time.monotonic()
            ):
                report.skipped += 1
                continue
            outcome = self.attempt(candidate.delivery_id, moment)
            if outcome:
                report.attempted += 1
                report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        self.after_write()
        return report

    def attempt(self, delivery: str, now: datetime) -> str | None:
        """One attempt on one delivery; returns the new status, or None if not taken."""
        state, version = load_delivery(self.store, delivery)
        if next_operation(state, now) is None:
            return None
        started = decide(Start(now, self.worker, self.lease), state)
        try:
            self._append(delivery, started, version)
        except ConcurrencyConflict:
            return None  # another worker took it
        for event in started:
            state = evolve(state, event)
        version += len(started)
        target = state.target
        assert target is not None and state.operation is not None
        adapter = self.adapters.get(str(target.channel))
        record = self._call(adapter, state, now)
        account = f"{target.channel}:{target.account}"
        self.breaker.record(account, record.error in (None, ErrorKind.PERMANENT), now)
        outcome = decide(record, state)
        self._append(delivery, outcome, version)
        for event in outcome:
            state = evolve(state, event)
        log.info(
            "delivery.attempted",
            delivery_id=delivery,
            article_id=state.article_id,
            target=target.key,
            operation=str(record_operation(started)),
            status=str(state.status),
            error=record.reason or None,
        )
        return str(state.status)

    def _call(self, adapter: ChannelAdapter | None, state: DeliveryState, now: datetime) -> Record:
        if adapter is None:
            channel = state.target.channel if state.target else "?"
            return Record(now, ErrorKind.PERMANENT, f"没有 {channel} 渠道的适配器")
        item = self._item(state)
        try:
            match state.operation:
                case Operation.SEND:
                    problems = limit_problems(adapter.limits, item)
                    if problems:
                        return Record(now, ErrorKind.PERMANENT, "；".join(problems))
                    receipt: Receipt | None = adapter.send(item)
                case Operation.STATUS:
                    receipt = adapter.status(item)
                    if receipt is None:
                        return Record(now, found=False)
                case _:
                    adapter.retract(item)
                    receipt = Receipt()
        except ChannelError as exc:
            return Record(now, exc.kind, exc.reason, retry_after=exc.retry_after)
        except Exception as exc:  # an adapter bug or a network error it did not classify
            log.error(
                "delivery.adapter_error",
                delivery_id=state.delivery_id,
                article_id=state.article_id,
                operation=str(state.operation),
                error=repr(exc),
            )
            kind = (
                ErrorKind.UNKNOWN_OUTCOME
                if state.operation is Operation.SEND
                else (ErrorKind.RETRYABLE)
            )
            return Record(now, kind, repr(exc))
        assert receipt is not None
        return Record(now, remote_id=receipt.remote_id, url=receipt.url)

    def _item(self, state: DeliveryState) -> DeliveryItem:
        source = self._source(state)
        assert state.target is not None
        return DeliveryItem(
            delivery_id=state.delivery_id,
            article_id=state.article_id,
            revision=state.revision,
            content_hash=state.content_hash,
            target=state.target,
            action=state.action,
            content=source.content,
            published_at=source.published_at,
            remote_id=state.remote_id,
            article_site=source.site,
            article_column=source.column,
            notify=source.publication.notify,
            expire_at=source.publication.expire_at,
            context=dict(self.context(state)),
        )

    def _source(self, state: DeliveryState) -> _Source:
        """The content of the delivery's revision (a correction's predecessor still needs its
        own), its publication and when that went out, and where the article was written."""
        key = (state.article_id, state.publication_id)
        if key not in self._contents:
            content: ArticleContent | None = None
            published: tuple[Publication, datetime] | None = None
            home = ("", "")
            for event in self.store.read_stream(f"article-{state.article_id}"):
                payload = event.payload
                if isinstance(payload, ArticleCreated):
                    home = (payload.site, payload.columns[0] if payload.columns else "")
                if isinstance(payload, ArticleCreated | ArticleRevised) and (
                    payload.revision == state.revision
                ):
                    content = payload.content
                if isinstance(payload, ArticlePublished) and (
                    payload.publication.publication_id == state.publication_id
                ):
                    published = (payload.publication, event.occurred_at)
            if content is None or published is None:
                raise DomainError(
                    "REVISION_NOT_FOUND",
                    f"稿件 {state.article_id} 没有第 {state.revision} 版或其发布记录",
                )
            self._contents[key] = _Source(content, published[0], published[1], *home)
        return self._contents[key]

    def _append(self, delivery: str, payloads: list[Event], version: int) -> None:
        if not payloads:
            return
        correlation = new_id()
        events = [NewEvent(p, SYSTEM_ACTOR, correlation) for p in payloads]
        self.store.append(delivery_stream(delivery), events, version)


@dataclass(frozen=True)
class _Source:
    content: ArticleContent
    publication: Publication
    published_at: datetime
    site: str
    column: str


def record_operation(started: list[Event]) -> Operation | None:
    """The operation of the attempt a start decision began."""
    return next((e.operation for e in started if isinstance(e, DeliveryStarted)), None)
