"""Command handling, written once for every aggregate: load, decide, append, retry once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from events.envelope import Actor, Event, NewEvent
from events.ids import new_id
from events.store import AppendResult, ConcurrencyConflict, EventStore
from workflows.article_commands import ArticleCommand, CreateArticle
from workflows.article_decider import acting_role, decide
from workflows.article_state import ArticleState, evolve, initial_state
from workflows.errors import DomainError

log = structlog.get_logger(__name__)


def article_stream(article_id: str) -> str:
    """The stream id of an article."""
    return f"article-{article_id}"


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a handled command did: the new state and where its events landed."""

    article_id: str
    state: ArticleState
    version: int
    event_ids: tuple[str, ...]
    event_types: tuple[str, ...]
    append: AppendResult | None  # None: the command changed nothing


class CommandService:
    """Runs article commands against the event store with optimistic concurrency.

    States are cached by stream version; a cached state is brought up to date by reading
    only the newer events, and the store's version check makes a stale cache harmless.
    """

    def __init__(self, store: EventStore, cache_size: int = 4096) -> None:
        self.store = store
        self._cache: OrderedDict[str, tuple[int, ArticleState]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def load(
        self, article_id: str, *, trust_cache: bool = False, assume_new: bool = False
    ) -> tuple[ArticleState, int]:
        """The article's current state and stream version.

        With `trust_cache`, a cached state is returned without reading newer events: commands
        use it because the append's version check catches a stale cache, and they reload then.
        With `assume_new` too (a creation), an article not in the cache is taken to be new
        without a read: if it exists, the append at version 0 is refused and the retry reads.
        """
        stream = article_stream(article_id)
        with self._lock:
            cached = self._cache.get(stream)
        if trust_cache:
            if cached:
                return cached[1], cached[0]
            if assume_new:
                return initial_state, 0
        version, state = cached if cached else (0, initial_state)
        for event in self.store.read_stream(stream, from_version=version + 1):
            state = evolve(state, event.payload)
            version = event.stream_version
        if version:
            self._remember(stream, version, state)
        return state, version

    def _remember(self, stream: str, version: int, state: ArticleState) -> None:
        with self._lock:
            cached = self._cache.get(stream)
            if cached is None or cached[0] < version:
                self._cache[stream] = (version, state)
            self._cache.move_to_end(stream)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _forget(self, stream: str) -> None:
        with self._lock:
            self._cache.pop(stream, None)

    def execute(
        self,
        command: ArticleCommand,
        correlation_id: str | None = None,
        prepare: Callable[[ArticleCommand, ArticleState], ArticleCommand] | None = None,
    ) -> CommandResult:
        """Decide and append; on a version conflict reload and decide once more.

        `prepare` completes the command from the state it is decided on (the system checks
        run on exactly the revision the decider sees), again on the retry.
        """
        command_id = new_id()
        for attempt in (1, 2):
            step = self._decide(command, command_id, correlation_id, prepare, attempt)
            if not step.events:
                return self._unchanged(command, step)
            try:
                appended = self.store.append(step.stream, step.events, step.version)
            except ConcurrencyConflict:
                self._conflicted(command, step.stream, attempt)
                if attempt == 2:
                    raise
                continue
            return self._finish(command, step, appended)
        raise AssertionError("unreachable: the second conflict is raised")

    async def execute_async(
        self,
        command: ArticleCommand,
        correlation_id: str | None = None,
        prepare: Callable[[ArticleCommand, ArticleState], ArticleCommand] | None = None,
    ) -> CommandResult:
        """`execute` for asyncio callers: concurrent tasks share group commits without a
        thread each (the decision runs in the caller's loop, the commit off it)."""
        command_id = new_id()
        for attempt in (1, 2):
            step = self._decide(command, command_id, correlation_id, prepare, attempt)
            if not step.events:
                return self._unchanged(command, step)
            try:
                appended = await self.store.append_async(step.stream, step.events, step.version)
            except ConcurrencyConflict:
                self._conflicted(command, step.stream, attempt)
                if attempt == 2:
                    raise
                continue
            return self._finish(command, step, appended)
        raise AssertionError("unreachable: the second conflict is raised")

    def _decide(
        self,
        command: ArticleCommand,
        command_id: str,
        correlation_id: str | None,
        prepare: Callable[[ArticleCommand, ArticleState], ArticleCommand] | None,
        attempt: int,
    ) -> _Decision:
        state, version = self.load(
            command.article_id,
            trust_cache=attempt == 1,
            assume_new=isinstance(command, CreateArticle),
        )
        try:
            ready = prepare(command, state) if prepare else command
            payloads = decide(ready, state)
        except DomainError:
            # A refusal decided on a cached state is only final if the state is current
            # (another process may have moved the article on); the version read is indexed.
            if (
                attempt != 1
                or self.store.stream_version(article_stream(command.article_id)) == version
            ):
                raise
            state, version = self.load(command.article_id)
            ready = prepare(command, state) if prepare else command
            payloads = decide(ready, state)
        actor = Actor(command.actor.user_id, str(acting_role(command, state)))
        correlation = correlation_id or command_id
        events = [NewEvent(p, actor, correlation, command_id) for p in payloads]
        stream = article_stream(command.article_id)
        return _Decision(stream, state, version, payloads, events, correlation)

    def _unchanged(self, command: ArticleCommand, step: _Decision) -> CommandResult:
        log.info(
            "command.no_change",
            article_id=command.article_id,
            command=type(command).__name__,
            actor=command.actor.user_id,
        )
        return CommandResult(command.article_id, step.state, step.version, (), (), None)

    def _conflicted(self, command: ArticleCommand, stream: str, attempt: int) -> None:
        self._forget(stream)
        log.info("command.conflict", article_id=command.article_id, attempt=attempt)

    def _finish(
        self, command: ArticleCommand, step: _Decision, appended: AppendResult
    ) -> CommandResult:
        state = step.state
        for payload in step.payloads:
            state = evolve(state, payload)
        self._remember(step.stream, appended.last_version, state)
        result = CommandResult(
            command.article_id,
            state,
            appended.last_version,
            tuple(e.event_id for e in step.events),
            tuple(e.type for e in step.events),
            appended,
        )
        log.info(
            "command.handled",
            article_id=command.article_id,
            command=type(command).__name__,
            actor=command.actor.user_id,
            event_ids=list(result.event_ids),
            version=result.version,
            correlation_id=step.correlation,
        )
        return result


@dataclass(frozen=True, slots=True)
class _Decision:
    """One attempt's decision, waiting for its append."""

    stream: str
    state: ArticleState
    version: int
    payloads: list[Event]
    events: list[NewEvent]
    correlation: str
