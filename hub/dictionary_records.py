"""Recording the check dictionaries' versions in the event store (词库变更留痕)."""

from __future__ import annotations

from typing import Any

import structlog

from events.envelope import SYSTEM_ACTOR, Actor, NewEvent, RecordedEvent
from events.ids import new_id
from events.store import ConcurrencyConflict, EventStore
from workflows.checks.dictionaries import Dictionaries
from workflows.dictionary_events import (
    DICTIONARIES_STREAM,
    DictionariesChanged,
    dictionaries_changed,
    fold_digests,
)

log = structlog.get_logger(__name__)


def dictionary_history(store: EventStore) -> list[RecordedEvent]:
    """Every recorded dictionary version, oldest first."""
    return list(store.read_stream(DICTIONARIES_STREAM))


def record_dictionaries(
    store: EventStore,
    dictionaries: Dictionaries,
    actor: Actor = SYSTEM_ACTOR,
    source: str = "",
) -> RecordedEvent | None:
    """Append `DictionariesChanged` when `dictionaries` differ from the last recorded version;
    return the recorded event, or None when nothing changed. Safe to call from several
    processes at once: the stream's version check lets exactly one of them record."""
    for _attempt in range(3):
        history = dictionary_history(store)
        payloads = [e.payload for e in history if isinstance(e.payload, DictionariesChanged)]
        version, digests = fold_digests(payloads)
        change = dictionaries_changed(dictionaries, version, digests, source)
        if change is None:
            return None
        event = NewEvent(change, actor, new_id())
        expected = history[-1].stream_version if history else 0
        try:
            store.append(DICTIONARIES_STREAM, [event], expected)
        except ConcurrencyConflict:
            continue  # another process recorded first: compare with what it recorded
        log.info(
            "dictionaries.changed",
            event_id=event.event_id,
            version=change.version,
            previous_version=change.previous_version,
        )
        return store.read_stream(DICTIONARIES_STREAM, from_version=expected + 1)[0]
    return None


def change_json(event: RecordedEvent) -> dict[str, Any]:
    """A recorded dictionary change as JSON-ready data."""
    payload = event.payload
    assert isinstance(payload, DictionariesChanged)
    return {
        "version": payload.version,
        "previous_version": payload.previous_version,
        "recorded_at": event.occurred_at.isoformat(),
        "event_id": event.event_id,
        "summary": payload.summary(),
        "added": payload.added,
        "changed": payload.changed,
        "removed": payload.removed,
    }
