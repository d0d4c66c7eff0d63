"""What the runtime needs of an aggregate: a pure decider and how its streams are named.

A decider is three pure functions over one entity's events — `decide(command, state)` returns
the events a command causes (or raises a coded refusal), `evolve(state, event)` folds one event
in, `initial_state` is the state before the first — plus the name of the entity's stream. The
runner (`events/runner.py`) does the loading, appending and retrying for every decider alike.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from events.envelope import Actor, Event

C = TypeVar("C")
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class StreamName:
    """The streams of one kind of entity: `article-<id>`, `delivery-<id>`; a kind with one
    stream only (the check dictionaries) names it by the kind alone (entity id "")."""

    kind: str

    @property
    def prefix(self) -> str:
        return f"{self.kind}-"

    def __call__(self, entity_id: str) -> str:
        """The stream of one entity."""
        return f"{self.kind}-{entity_id}" if entity_id else self.kind

    def owns(self, stream_id: str) -> bool:
        return stream_id.startswith(self.prefix)

    def entity(self, stream_id: str) -> str:
        """The entity id of one of these streams."""
        if not self.owns(stream_id):
            raise ValueError(f"{stream_id!r} is not a {self.kind} stream")
        return stream_id[len(self.prefix) :]


@dataclass(frozen=True, slots=True)
class Decider(Generic[C, S]):
    """A pure decider and what the runner needs to run it.

    `entity` says which entity a command addresses; `actor`, when given, says who the events
    are recorded as (from the command and the state it is decided on; else the caller says);
    `creates` marks commands that start a stream (the runner need not read it first)."""

    name: str
    streams: StreamName
    initial_state: S
    decide: Callable[[C, S], Sequence[Event]]
    evolve: Callable[[S, Event], S]
    entity: Callable[[C], str]
    actor: Callable[[C, S], Actor] | None = None
    creates: Callable[[C], bool] = lambda command: False

    def fold(self, events: Sequence[Event], state: S | None = None) -> S:
        """The state after `events` (from `state`, or the initial state)."""
        folded = self.initial_state if state is None else state
        for event in events:
            folded = self.evolve(folded, event)
        return folded


class Refusal(Exception):
    """A decider refused a command, with a stable code (workflows' DomainError is one)."""


def derived_id(*parts: str) -> str:
    """A stable event id for an event caused by `parts` (UUID layout, not time-ordered): an
    event appended again for the same cause gets the same id, and the store's idempotent
    append answers with the first result instead of recording it twice."""
    return str(uuid.UUID(hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]))
