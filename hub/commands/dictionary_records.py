"""Recording the check dictionaries' versions in the event store (词库变更留痕)."""

from __future__ import annotations

from typing import Any

from events.envelope import SYSTEM_ACTOR, Actor, RecordedEvent
from events.log import get_logger
from events.runner import Runner
from events.store import EventStore
from workflows.checks.dictionaries import Dictionaries
from workflows.dictionary_events import (
    DICTIONARIES_STREAM,
    DictionariesChanged,
    RecordDictionaries,
    dictionaries_decider,
)

log = get_logger(__name__)


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
    processes at once: the stream's version check lets exactly one of them record, and the
    others compare with what it recorded."""
    runner = Runner(store, dictionaries_decider, attempts=3, cache_size=1)
    result = runner.execute(RecordDictionaries(dictionaries, source), actor=actor)
    if result.append is None:
        return None
    change = store.read_stream(DICTIONARIES_STREAM, from_version=result.version)[0]
    assert isinstance(change.payload, DictionariesChanged)
    log.info("dictionaries.changed", event_id=change.event_id, version=change.payload.version,
             previous_version=change.payload.previous_version)  # fmt: skip
    return change


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
