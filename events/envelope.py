"""The event envelope of DESIGN.md: what every stored event carries around its payload."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, SerializationInfo, ValidationInfo

from events.ids import new_id

# Context of encoding events for the store and decoding them from it. Decoding: they were
# fully validated when they were appended, so rules written in Python (`model_validator`s)
# need not run again on replay. Encoding: a payload may choose a compact stored form.
STORED: dict[str, bool] = {"stored": True}


def from_store(info: ValidationInfo | SerializationInfo) -> bool:
    """Whether a model is being rebuilt from (or written to) the store."""
    context = info.context
    return isinstance(context, dict) and bool(context.get("stored"))


class Event(BaseModel):
    """Base of every event payload; subclasses are registered with `@event_type`."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    type_name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1


# How the actor of the events appended in this context proved who they are (set by the
# interface that authenticated them: `cli-token:<id>`, `cli-demo`, `web-session:password`,
# `api-token:<id>`); stored with each event, covered by its hash. None: the hub itself.
authenticated_via: ContextVar[str | None] = ContextVar("authenticated_via", default=None)


class Actor(NamedTuple):
    """Who caused an event: a user acting in a role, or the system."""

    user_id: str
    role: str

    def as_dict(self) -> dict[str, str]:
        """The actor as plain JSON-ready data."""
        return {"user_id": self.user_id, "role": self.role}


SYSTEM_ACTOR = Actor("system", "system")


def utc_now() -> datetime:
    """The current time in UTC (aware)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended: everything but its stream position."""

    payload: Event
    actor: Actor
    correlation_id: str
    causation_id: str | None = None
    event_id: str = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=utc_now)

    @property
    def type(self) -> str:
        """The registered type name of the payload."""
        return type(self.payload).type_name


class RecordedEvent(NamedTuple):
    """An event as stored: envelope plus decoded (and upcast) payload.

    A named tuple rather than a frozen dataclass: replays build millions of these, and a
    tuple is several times cheaper to create while being just as immutable.
    """

    event_id: str
    stream_id: str
    stream_version: int
    global_position: int
    type: str
    schema_version: int
    occurred_at: datetime
    actor: Actor
    correlation_id: str
    causation_id: str | None
    payload: Event

    def as_dict(self) -> dict[str, Any]:
        """The whole envelope as JSON-ready data (payload in its current schema)."""
        return {
            "event_id": self.event_id,
            "stream_id": self.stream_id,
            "stream_version": self.stream_version,
            "global_position": self.global_position,
            "type": self.type,
            "schema_version": self.schema_version,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor.as_dict(),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "payload": self.payload.model_dump(mode="json"),
        }
