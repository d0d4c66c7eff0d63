"""Event envelopes, the event registry and event stores: the source of truth of the hub.

The names below load with their module when first used (`from events import Actor`), so a
light submodule (`events.error_codes`) does not bring pydantic and the registry with it."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "SYSTEM_ACTOR": "events.envelope", "Actor": "events.envelope", "Event": "events.envelope",
    "NewEvent": "events.envelope", "RecordedEvent": "events.envelope",
    "EventRegistry": "events.registry", "default_registry": "events.registry",
    "event_type": "events.registry", "upcaster": "events.registry",
    "AppendResult": "events.store", "ConcurrencyConflict": "events.store",
    "EventIdReused": "events.store", "EventStore": "events.store", "StoreError": "events.store",
    "SubscriberTransaction": "events.store",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'events' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


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
