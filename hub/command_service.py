"""Command handling, written once for every aggregate: load, decide, append, retry once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from events.envelope import Actor, NewEvent
from events.ids import new_id
from events.store import AppendResult, ConcurrencyConflict, EventStore
from workflows.article_commands import ArticleCommand
from workflows.article_decider import acting_role, decide
from workflows.article_state import ArticleState, evolve, initial_state

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

    def load(self, article_id: str, *, trust_cache: bool = False) -> tuple[ArticleState, int]:
        """The article's current state and stream version.

        With `trust_cache`, a cached state is returned without reading newer events: commands
        use it because the append's version check catches a stale cache, and they reload then.
        """
        stream = article_stream(article_id)
        with self._lock:
            cached = self._cache.get(stream)
        if cached and trust_cache:
            return cached[1], cached[0]
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
        stream = article_stream(command.article_id)
        command_id = new_id()
        correlation = correlation_id or command_id
        for attempt in (1, 2):
            state, version = self.load(command.article_id, trust_cache=attempt == 1)
            ready = prepare(command, state) if prepare else command
            payloads = decide(ready, state)
            actor = Actor(command.actor.user_id, str(acting_role(command, state)))
            events = [NewEvent(p, actor, correlation, command_id) for p in payloads]
            if not events:
                log.info(
                    "command.no_change",
                    article_id=command.article_id,
                    command=type(command).__name__,
                    actor=actor.user_id,
                )
                return CommandResult(command.article_id, state, version, (), (), None)
            try:
                appended = self.store.append(stream, events, version)
            except ConcurrencyConflict:
                self._forget(stream)
                log.info("command.conflict", article_id=command.article_id, attempt=attempt)
                if attempt == 2:
                    raise
                continue
            for payload in payloads:
                state = evolve(state, payload)
            self._remember(stream, appended.last_version, state)
            result = CommandResult(
                command.article_id,
                state,
                appended.last_version,
                tuple(e.event_id for e in events),
                tuple(e.type for e in events),
                appended,
            )
            log.info(
                "command.handled",
                article_id=command.article_id,
                command=type(command).__name__,
                actor=actor.user_id,
                event_ids=list(result.event_ids),
                version=result.version,
                correlation_id=correlation,
            )
            return result
        raise AssertionError("unreachable")
