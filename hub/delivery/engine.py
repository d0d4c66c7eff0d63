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
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from channels.contract import (
    Capability,
    ChannelAdapter,
    ChannelError,
    DeliveryItem,
    Receipt,
    limit_problems,
)
from channels.tokens import CachedToken
from events.log import get_logger
from events.store import EventStore, StoreError
from events.subscriptions import catch_up
from hub.delivery.planner import DeliveryRunner, delivery_runner, run_planner
from hub.projections.deliveries import (
    due_of_accounts,
    due_with_versions,
    in_flight_of_accounts,
)
from hub.projections.delivery_sources import (
    DeliverySource,
    DeliverySourcesProjection,
    delivery_source,
)
from workflows.delivery_decider import (
    DeliveryState,
    ForDelivery,
    Record,
    RecordStep,
    Start,
    delivery_id,
    next_operation,
)
from workflows.delivery_events import DeliveryAction, ErrorKind, Operation
from workflows.errors import DomainError
from workflows.publication import Channel, Target

log = get_logger(__name__)


@dataclass
class CircuitBreaker:
    """Opens after `threshold` consecutive failures of one account, for `cooldown`."""

    threshold: int = 5
    cooldown: timedelta = timedelta(seconds=30)
    failures: dict[str, int] = field(default_factory=dict)
    open_until: dict[str, datetime] = field(default_factory=dict)
    # Where an open circuit is told to other processes (the CLI, other workers' health views):
    # the shared token store (channels/wechat/tokens.py), as `circuit:<account>`.
    shared: Any = None

    def allows(self, account: str, now: datetime) -> bool:
        until = self.open_until.get(account)
        return until is None or until <= now

    def record(self, account: str, ok: bool, now: datetime) -> None:
        if ok:
            self.failures.pop(account, None)
            if self.open_until.pop(account, None) is not None and self.shared is not None:
                self.shared.forget(f"circuit:{account}")
            return
        self.failures[account] = self.failures.get(account, 0) + 1
        if self.failures[account] >= self.threshold:
            self.open_until[account] = now + self.cooldown
            log.warning("delivery.circuit_open", account=account, until=str(now + self.cooldown))
            if self.shared is not None:
                self.shared.put(f"circuit:{account}", CachedToken(
                    str(self.failures[account]), (now + self.cooldown).timestamp()))  # fmt: skip

    def opened(self, account: str, now: datetime) -> tuple[datetime | None, int]:
        """Until when the account's circuit is open (None: closed) and its failures in a row,
        as this process knows them or, failing that, as another process told them."""
        until = self.open_until.get(account)
        if until is not None and until > now:
            return until, self.failures.get(account, 0)
        told = self.shared.get(f"circuit:{account}") if self.shared is not None else None
        if told is not None and told.expires_at > now.timestamp():
            return datetime.fromtimestamp(told.expires_at, UTC), int(told.value)
        return None, self.failures.get(account, 0)


@dataclass
class RateLimiter:
    """A token bucket per account: `rate` calls per second, bursts up to `burst` (the
    platforms' accounts; a website is the hub's own document root and is not limited)."""

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


class Share(Protocol):
    """The part of the deliveries an engine works on, when several workers share them (the
    distributed runtime: the accounts of the Kafka partitions its worker owns)."""

    def accounts(self) -> list[str]:
        """The account ids (and site codes) whose deliveries are this engine's."""
        ...

    def owns(self, target: Target) -> bool:
        """Whether deliveries to `target` are this engine's."""
        ...

    def gone(self, worker: str) -> bool:
        """Whether `worker` is known to have stopped (its attempts in flight may be taken)."""
        ...

    def may_call(self) -> bool:
        """Whether this worker may call channels now (it is sure it is still counted alive:
        a worker cut off from the others stops before they take its attempts over)."""
        ...


@dataclass
class EngineReport:
    planned: int = 0
    attempted: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # circuit open or rate-limited
    taken_over: int = 0  # attempts of stopped workers, taken over


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
        workers: int = 4,
        batch_size: int = 500,
        shared: Any = None,
        runner: DeliveryRunner | None = None,
        pause: Callable[[], object] = lambda: None,
        share: Share | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.store = store
        self.runner = runner or delivery_runner(store)
        self.adapters = adapters
        self.context = context
        self.after_write = after_write
        self.pause = pause  # waits while users' commands run (hub/runtime/foreground.py)
        self.share = share  # None: every delivery is this engine's
        self.worker = worker or f"{os.uname().nodename}:{os.getpid()}"
        self.lease = lease
        self.breaker = CircuitBreaker(shared=shared)
        self.limiter = limiter or RateLimiter()  # per account (shared in Redis when distributed)
        self.workers = workers
        self.batch_size = batch_size
        # Deliveries started and recorded together: 16 calls per thread (each chunk's starts
        # and outcomes are one group commit each).
        self.chunk = max(workers * 16, 32)
        self._executor: ThreadPoolExecutor | None = None
        self.sources = DeliverySourcesProjection()  # kept current by the engine itself
        self._contents: OrderedDict[tuple[str, str], DeliverySource] = OrderedDict()

    def health(self, channel: str, account: str, now: datetime | None = None) -> dict[str, Any]:
        """What this engine knows of an account: its circuit breaker, its rate limiter, and
        what the channel's adapter reports (token, quota), if it reports anything."""
        now = now or datetime.now(UTC)
        until, failures = self.breaker.opened(account, now)
        state: dict[str, Any] = {
            "circuit": "open" if until is not None else "closed",
            "circuit_until": until.isoformat() if until is not None else None,
            "consecutive_failures": failures,
        }
        tokens = self.limiter.tokens.get(account)
        state["rate_tokens"] = round(tokens[0], 1) if tokens else self.limiter.burst
        report = getattr(self.adapters.get(channel), "health", None)
        if callable(report):  # optional in the adapter contract
            state.update(report(account) or {})
        return state

    def run_once(self, now: datetime | None = None) -> EngineReport:
        """Plan from new publication events, then make one attempt on every due delivery.

        Due deliveries go in batches: the starts of a batch are appended together (one group
        commit), the channels are called on a pool of threads, and the outcomes are appended
        together. A delivery gets at most one attempt per call."""
        report = EngineReport(planned=run_planner(self.store, runner=self.runner))
        self.after_write()
        catch_up(self.store, self.sources)
        moment = now or datetime.now(UTC)
        seen: set[str] = set()
        while True:
            if self.share is not None:
                # Each chunk's turn looks again: partitions a stopped worker left arrive
                # while a round goes on.
                report.taken_over += self._take_over(self.share, moment, seen)
            due = [
                (state, version)
                for state, version in self._due(moment)
                if state.delivery_id not in seen
            ]
            if self.share is not None:
                due = due[: self.chunk]
            if not due:
                break
            self.pause()
            chosen = []
            for state, version in due:
                seen.add(state.delivery_id)
                assert state.target is not None
                account = f"{state.target.channel}:{state.target.account}"
                local = state.target.channel is Channel.WEBSITE  # our own docroot: no quota
                if self.breaker.allows(account, moment) and (
                    local or self.limiter.take(account, time.monotonic())
                ):
                    chosen.append((state, version))
                else:
                    report.skipped += 1
            for status in self._attempt_in_chunks(chosen, moment):
                report.attempted += 1
                report.outcomes[status] = report.outcomes.get(status, 0) + 1
            self.after_write()
        return report

    def _attempt_in_chunks(
        self, chosen: list[tuple[DeliveryState, int]], moment: datetime, holder_gone: bool = False
    ) -> list[str]:
        """`_attempt_all` a chunk at a time (`chunk` deliveries: a few calls per thread), so
        outcomes are recorded as they come, not after the slowest call of a whole batch, and a
        worker that lost an account's partition stops taking its deliveries."""
        statuses: list[str] = []
        for first in range(0, len(chosen), self.chunk):
            chunk = chosen[first : first + self.chunk]
            if self.share is not None:
                share = self.share
                chunk = [(s, v) for s, v in chunk if s.target is not None and share.owns(s.target)]
            statuses += self._attempt_all(chunk, moment, holder_gone)
        return statuses

    def _due(self, moment: datetime) -> list[tuple[DeliveryState, int]]:
        share = self.share
        if share is None:
            return due_with_versions(self.store, moment, self.batch_size)
        due = due_of_accounts(self.store, moment, share.accounts(), self.batch_size)
        return [(s, v) for s, v in due if s.target is not None and share.owns(s.target)]

    def _take_over(self, share: Share, moment: datetime, seen: set[str]) -> int:
        """Attempts in flight of workers that stopped, on this engine's accounts: started
        again at once (a send becomes a status query: never a second send), not after their
        leases lapse."""
        held = [
            (state, version)
            for state, version in in_flight_of_accounts(self.store, share.accounts())
            if state.target is not None and share.owns(state.target)
            and state.worker and state.worker != self.worker and state.delivery_id not in seen
        ]  # fmt: skip
        gone = {worker: share.gone(worker) for worker in {s.worker for s, _ in held}}
        orphans = [(state, version) for state, version in held if gone[state.worker]]
        if not orphans:
            return 0
        for state, _ in orphans:
            seen.add(state.delivery_id)
            log.warning("delivery.taking_over", delivery_id=state.delivery_id,
                        article_id=state.article_id, from_worker=state.worker)  # fmt: skip
        return len(self._attempt_in_chunks(orphans, moment, holder_gone=True))

    def attempt(self, delivery: str, now: datetime) -> str | None:
        """One attempt on one delivery; returns the new status, or None if not taken."""
        catch_up(self.store, self.sources)
        statuses = self._attempt_all([self.runner.load(delivery)], now)
        return statuses[0] if statuses else None

    def _attempt_all(
        self, due: list[tuple[DeliveryState, int]], now: datetime, holder_gone: bool = False
    ) -> list[str]:
        began = self._begin(due, now, holder_gone)
        # The deliveries in flight (state and stream version); steps recorded mid-attempt
        # move them, and the outcome is decided on what they recorded.
        held = {state.delivery_id: (state, version) for state, version in began}
        calls: list[tuple[ChannelAdapter | None, DeliveryState, DeliveryItem | Record]] = []
        for state, _ in began:
            assert state.target is not None
            adapter = self.adapters.get(str(state.target.channel))
            try:
                item: DeliveryItem | Record = self._item(state, self._recorder(state, held))
            except DomainError as exc:
                item = Record(now, ErrorKind.PERMANENT, exc.message)
            calls.append((adapter, state, item))
        if len(calls) > 1:
            # Adapters that can settle a burst's shared work once (a site's lists) do so
            # after the chunk's calls, before their outcomes are recorded.
            bursting = {id(a): a for a, _, _ in calls if hasattr(a, "burst")}
            with ExitStack() as bursts:
                for adapter in bursting.values():
                    bursts.enter_context(adapter.burst())  # type: ignore[union-attr]
                records = list(self._pool().map(
                    lambda call: self._call(call[0], call[1], call[2], now), calls))  # fmt: skip
        else:
            records = [self._call(*call, now) for call in calls]
        began = [held[state.delivery_id] for state, _ in began]
        return self._finish(began, records, now)

    def _recorder(
        self, state: DeliveryState, held: dict[str, tuple[DeliveryState, int]]
    ) -> Callable[[str, str], None]:
        """`record(step, value)` for the attempt in flight: appended before the adapter goes
        on; a delivery taken over meanwhile raises DomainError (DELIVERY_LEASE_LOST)."""

        def record(step: str, value: str) -> None:
            delivery = state.delivery_id
            current, version = held[delivery]
            command = RecordStep(self.worker, current.attempts, step, value)
            [result] = self.runner.execute_batch([(ForDelivery(delivery, command), current,
                                                   version)])  # fmt: skip
            if isinstance(result, StoreError):
                raise DomainError("DELIVERY_LEASE_LOST", "投递已由其他进程接手")
            if not result.event_ids:
                return
            held[delivery] = (result.state, result.version)
            log.info("delivery.step_recorded", delivery_id=delivery,
                     article_id=state.article_id, step=step)  # fmt: skip

        return record

    def _begin(
        self, due: list[tuple[DeliveryState, int]], now: datetime, holder_gone: bool = False
    ) -> list[tuple[DeliveryState, int]]:
        """Append the starts; the deliveries this worker now holds (others were taken)."""
        start = Start(now, self.worker, self.lease, holder_gone)
        results = self.runner.execute_batch([
            (ForDelivery(state.delivery_id, start), state, version)
            for state, version in due
            if next_operation(state._replace(lease_until=now) if holder_gone else state,
                              now) is not None
        ])  # fmt: skip
        # A refusal: another worker took it, or our view was stale.
        return [(r.state, r.version) for r in results if not isinstance(r, StoreError)]

    def _finish(
        self,
        began: list[tuple[DeliveryState, int]],
        records: list[Record],
        now: datetime,
    ) -> list[str]:
        for (state, _), record in zip(began, records, strict=True):
            assert state.target is not None
            account = f"{state.target.channel}:{state.target.account}"
            self.breaker.record(account, record.error in (None, ErrorKind.PERMANENT), now)
        results = self.runner.execute_batch([
            (ForDelivery(state.delivery_id, record), state, version)
            for (state, version), record in zip(began, records, strict=True)
        ])  # fmt: skip
        statuses = []
        for (state, _), record, result in zip(began, records, results, strict=True):
            operation = state.operation
            if isinstance(result, StoreError):
                # Changed meanwhile (an operator's cancel): the lease lapses and the
                # delivery is checked with the channel again.
                log.warning("delivery.outcome_not_recorded", delivery_id=state.delivery_id,
                            article_id=state.article_id, error=str(result))  # fmt: skip
                continue
            state = result.state
            assert state.target is not None
            log.info(
                "delivery.attempted",
                delivery_id=state.delivery_id,
                article_id=state.article_id,
                target=state.target.key,
                operation=str(operation),
                status=str(state.status),
                error=record.reason or None,
            )
            statuses.append(str(state.status))
        return statuses

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="deliver")
        return self._executor

    def _call(
        self,
        adapter: ChannelAdapter | None,
        state: DeliveryState,
        item: DeliveryItem | Record,
        now: datetime,
    ) -> Record:
        if isinstance(item, Record):
            return item  # the delivery could not even be prepared
        self.pause()
        if self.share is not None and not self.share.may_call():
            return Record(now, ErrorKind.RETRYABLE, "本工作进程未能确认存活，暂停调用渠道")
        if adapter is None:
            channel = state.target.channel if state.target else "?"
            return Record(now, ErrorKind.PERMANENT, f"没有 {channel} 渠道的适配器")
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

    def item_of(self, delivery: str) -> DeliveryItem:
        """What a delivery carries, as its adapter received it (a site rendered anew)."""
        catch_up(self.store, self.sources)
        state, _ = self.runner.load(delivery)
        return self._item(state)

    def _item(
        self, state: DeliveryState, record: Callable[[str, str], None] | None = None
    ) -> DeliveryItem:
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
            mass_send=source.publication.mass_send,
            expire_at=source.publication.expire_at,
            context=dict(self.context(state)),
            steps=dict(state.steps),
            record=record,
            replaces=self._replaced(state, source),
        )

    def _replaced(self, state: DeliveryState, source: DeliverySource) -> Mapping[str, str]:
        """For a correction: what the target's last delivered publication left on the
        channel (its remote id and steps), which a channel that cannot edit in place deletes
        before publishing anew."""
        assert state.target is not None
        adapter = self.adapters.get(str(state.target.channel))
        if state.action is not DeliveryAction.UPDATE or (
            adapter is None or Capability.UPDATE in adapter.capabilities
        ):
            return {}
        for publication in reversed(source.earlier):
            if not any(t.key == state.target.key for t in publication.targets):
                continue
            before, _ = self.runner.load(delivery_id(publication.publication_id, state.target))
            if before.delivered_once:
                return {"remote_id": before.remote_id, **dict(before.steps)}
        return {}

    def _source(self, state: DeliveryState) -> DeliverySource:
        """What the delivery carries (kept for the last 256 publications: a fan-out sends
        one publication to many targets)."""
        key = (state.article_id, state.publication_id)
        if key not in self._contents:
            self._contents[key] = delivery_source(
                self.store, state.article_id, state.revision, state.publication_id
            )
            if len(self._contents) > 256:
                self._contents.popitem(last=False)
        self._contents.move_to_end(key)
        return self._contents[key]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
