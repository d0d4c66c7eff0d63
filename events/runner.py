"""One runtime for every decider: load the entity's state, decide, append with the version it
was decided on, and on a concurrent change reload and decide again.

The steps are written once, as a generator that yields each decision's append and receives
its result (or the conflict); `execute` drives it with the store's `append`, `execute_async`
with `append_async` — the await is the only difference. States are cached by stream version: a
command may be decided on a cached state because the append's version check catches a stale
one, and a refusal decided on a cached state is checked against the stream's version before it
stands (another process may have moved the entity on).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from events.decider import Decider, Refusal, derived_id
from events.envelope import SYSTEM_ACTOR, Actor, Event, NewEvent
from events.ids import new_id
from events.log import INFO, get_logger
from events.store import AppendResult, ConcurrencyConflict, EventStore, StoreError

log = get_logger(__name__)

C = TypeVar("C")
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class CommandResult(Generic[S]):
    """What a handled command did: the new state and where its events landed."""

    entity_id: str
    state: S
    version: int
    event_ids: tuple[str, ...]
    event_types: tuple[str, ...]
    append: AppendResult | None  # None: the command changed nothing

    @property
    def article_id(self) -> str:
        """The entity, named as article commands' callers read it."""
        return self.entity_id


@dataclass(frozen=True, slots=True)
class Call(Generic[C, S]):
    """How one command is run: who the events are recorded as (when the decider does not
    say), the correlation, the event that caused it (its events then get ids derived from
    the cause, so running the reaction again appends nothing twice), and `prepare`, which
    completes the command from the state it is decided on (again on a retry)."""

    actor: Actor = SYSTEM_ACTOR
    correlation_id: str | None = None
    cause: str | None = None
    prepare: Callable[[C, S], C] | None = None


@dataclass(frozen=True, slots=True)
class _Decision(Generic[S]):
    """One attempt's decision, waiting for its append."""

    entity_id: str
    stream: str
    state: S
    version: int
    payloads: Sequence[Event]
    events: list[NewEvent]
    correlation: str


class Runner(Generic[C, S]):
    """Runs one decider's commands against the event store with optimistic concurrency."""

    def __init__(
        self,
        store: EventStore,
        decider: Decider[C, S],
        *,
        attempts: int = 2,
        cache_size: int = 4096,
    ) -> None:
        self.store = store
        self.decider = decider
        self.attempts = attempts
        self._cache: OrderedDict[str, tuple[int, S]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------

    def load(
        self, entity_id: str, *, trust_cache: bool = False, assume_new: bool = False
    ) -> tuple[S, int]:
        """The entity's current state and stream version.

        With `trust_cache`, a cached state is returned without reading newer events. With
        `assume_new` too (a creation), an entity not in the cache is taken to be new without a
        read: if it exists, the append at version 0 is refused and the retry reads."""
        stream = self.decider.streams(entity_id)
        with self._lock:
            cached = self._cache.get(stream)
        if trust_cache:
            if cached:
                return cached[1], cached[0]
            if assume_new:
                return self.decider.initial_state, 0
        version, state = cached if cached else (0, self.decider.initial_state)
        for event in self.store.read_stream(stream, from_version=version + 1):
            state = self.decider.evolve(state, event.payload)
            version = event.stream_version
        if version:
            self.remember(stream, version, state)
        return state, version

    def remember(self, stream: str, version: int, state: S) -> None:
        """Keep a state known to be the stream's at `version` (newer ones win)."""
        with self._lock:
            cached = self._cache.get(stream)
            if cached is None or cached[0] < version:
                self._cache[stream] = (version, state)
            self._cache.move_to_end(stream)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def forget(self, stream: str) -> None:
        with self._lock:
            self._cache.pop(stream, None)

    # -- running -------------------------------------------------------------------------

    def execute(
        self,
        command: C,
        *,
        actor: Actor = SYSTEM_ACTOR,
        correlation_id: str | None = None,
        cause: str | None = None,
        prepare: Callable[[C, S], C] | None = None,
    ) -> CommandResult[S]:
        """Decide and append; on a version conflict reload and decide again (see `Call`)."""
        steps = self._steps(command, Call(actor, correlation_id, cause, prepare))
        try:
            step = next(steps)
            while True:
                try:
                    appended = self.store.append(step.stream, step.events, step.version)
                except ConcurrencyConflict as conflict:
                    step = steps.throw(conflict)
                else:
                    step = steps.send(appended)
        except StopIteration as done:
            result: CommandResult[S] = done.value
            return result

    async def execute_async(
        self,
        command: C,
        *,
        actor: Actor = SYSTEM_ACTOR,
        correlation_id: str | None = None,
        cause: str | None = None,
        prepare: Callable[[C, S], C] | None = None,
    ) -> CommandResult[S]:
        """`execute` for asyncio callers: concurrent tasks share group commits without a
        thread each (the decision runs in the caller's loop, the commit off it)."""
        steps = self._steps(command, Call(actor, correlation_id, cause, prepare))
        try:
            step = next(steps)
            while True:
                try:
                    appended = await self.store.append_async(step.stream, step.events,
                                                             step.version)  # fmt: skip
                except ConcurrencyConflict as conflict:
                    step = steps.throw(conflict)
                else:
                    step = steps.send(appended)
        except StopIteration as done:
            result: CommandResult[S] = done.value
            return result

    def execute_batch(
        self,
        items: Sequence[tuple[C, S, int]],
        *,
        actor: Actor = SYSTEM_ACTOR,
        correlation_id: str | None = None,
        cause: str | None = None,
    ) -> list[CommandResult[S] | StoreError]:
        """Commands decided on states the caller already holds (entity state and version,
        e.g. from a read model), appended together in one group commit; no retry: each
        entity's outcome is its result or the store's refusal (somebody changed it first)."""
        how: Call[C, S] = Call(actor, correlation_id, cause)
        command_id = new_id()
        decisions = [self._decided(c, s, v, command_id, how) for c, s, v in items]
        moving = [d for d in decisions if d.events]
        appended = iter(self.store.append_many([(d.stream, d.events, d.version) for d in moving]))
        outcomes: list[CommandResult[S] | StoreError] = []
        for command, decision in zip((c for c, _, _ in items), decisions, strict=True):
            if not decision.events:
                outcomes.append(self._unchanged(command, decision))
                continue
            result = next(appended)
            if isinstance(result, StoreError):
                self.forget(decision.stream)
                outcomes.append(result)
            else:
                outcomes.append(self._finish(command, decision, result))
        return outcomes

    # -- the steps, shared by every way of running ------------------------------------------

    def _steps(
        self, command: C, call: Call[C, S]
    ) -> Generator[_Decision[S], AppendResult, CommandResult[S]]:
        command_id = new_id()
        for attempt in range(1, self.attempts + 1):
            step = self._decide(command, command_id, call, attempt)
            if not step.events:
                return self._unchanged(command, step)
            try:
                appended = yield step
            except ConcurrencyConflict:
                self.forget(step.stream)
                log.info(f"{self.decider.name}.conflict", attempt=attempt,
                         **{f"{self.decider.name}_id": step.entity_id})  # fmt: skip
                if attempt == self.attempts:
                    raise
                continue
            return self._finish(command, step, appended)
        raise AssertionError("unreachable: the last conflict is raised")

    def _decide(self, command: C, command_id: str, call: Call[C, S], attempt: int) -> _Decision[S]:
        decider = self.decider
        entity_id = decider.entity(command)
        state, version = self.load(
            entity_id, trust_cache=attempt == 1, assume_new=decider.creates(command)
        )
        try:
            decision = self._decided(command, state, version, command_id, call)
            if decision.events or attempt != 1:
                return decision
            # "Nothing to do" decided on a cached state is only final if the state is current.
            if self.store.stream_version(decider.streams(entity_id)) == version:
                return decision
            state, version = self.load(entity_id)
            return self._decided(command, state, version, command_id, call)
        except Refusal:
            # A refusal decided on a cached state is only final if the state is current;
            # the version read is indexed.
            if attempt != 1 or self.store.stream_version(decider.streams(entity_id)) == version:
                raise
            state, version = self.load(entity_id)
            return self._decided(command, state, version, command_id, call)

    def _decided(
        self, command: C, state: S, version: int, command_id: str, call: Call[C, S]
    ) -> _Decision[S]:
        decider = self.decider
        entity_id = decider.entity(command)
        ready = call.prepare(command, state) if call.prepare else command
        payloads = decider.decide(ready, state)
        actor = decider.actor(ready, state) if decider.actor else call.actor
        correlation = call.correlation_id or command_id
        cause = call.cause
        events = [
            NewEvent(
                payload,
                actor,
                correlation,
                cause or command_id,
                derived_id(cause, entity_id, str(i)) if cause else new_id(),
            )
            for i, payload in enumerate(payloads)
        ]
        stream = decider.streams(entity_id)
        return _Decision(entity_id, stream, state, version, payloads, events, correlation)

    def _unchanged(self, command: C, step: _Decision[S]) -> CommandResult[S]:
        log.debug(f"{self.decider.name}.no_change", command=type(command).__name__,
                  **{f"{self.decider.name}_id": step.entity_id})  # fmt: skip
        return CommandResult(step.entity_id, step.state, step.version, (), (), None)

    def _finish(self, command: C, step: _Decision[S], appended: AppendResult) -> CommandResult[S]:
        state = self.decider.fold(step.payloads, step.state)
        self.remember(step.stream, appended.last_version, state)
        result = CommandResult(
            step.entity_id,
            state,
            appended.last_version,
            tuple(e.event_id for e in step.events),
            tuple(e.type for e in step.events),
            appended,
        )
        if not log.is_enabled_for(INFO):
            return result
        fields: dict[str, Any] = {f"{self.decider.name}_id": step.entity_id}
        log.info(
            f"{self.decider.name}.command_handled",
            command=type(command).__name__,
            actor=step.events[0].actor.user_id,
            event_ids=list(result.event_ids),
            version=result.version,
            correlation_id=step.correlation,
            **fields,
        )
        return result
