"""Event envelopes, the event registry and event stores: the source of truth of the hub."""

from events.envelope import SYSTEM_ACTOR, Actor, Event, NewEvent, RecordedEvent
from events.registry import EventRegistry, default_registry, event_type, upcaster
from events.store import (
    AppendResult,
    ConcurrencyConflict,
    EventIdReused,
    EventStore,
    StoreError,
    SubscriberTransaction,
)

__all__ = [
    "SYSTEM_ACTOR",
    "Actor",
    "AppendResult",
    "ConcurrencyConflict",
    "Event",
    "EventIdReused",
    "EventRegistry",
    "EventStore",
    "NewEvent",
    "RecordedEvent",
    "StoreError",
    "SubscriberTransaction",
    "default_registry",
    "event_type",
    "upcaster",
]
