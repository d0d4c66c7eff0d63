"""Event registry: type names, upcasting old stored events, refusing what cannot be read."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from events.envelope import Actor, Event, NewEvent
from events.registry import EventRegistry, RegistryError
from events.sqlite_store import SQLiteEventStore


class PlacedV3(Event):
    """Today's shape: several columns and a priority."""

    columns: tuple[str, ...]
    priority: int


def _registry() -> EventRegistry:
    registry = EventRegistry()
    registry.register(PlacedV3, "Placed", version=3)
    registry.add_upcaster("Placed", 1, lambda d: {"columns": [d["column"]]})
    registry.add_upcaster("Placed", 2, lambda d: {**d, "priority": 0})
    return registry


def test_old_stored_event_is_upcast_through_the_chain(tmp_path: Path) -> None:
    registry = _registry()
    store = SQLiteEventStore(tmp_path / "e.db", registry)
    store.append(
        "s", [NewEvent(PlacedV3(columns=("a",), priority=2), Actor("u", "editor"), "c")], 0
    )
    # An event written by an older release: schema_version 1 with a single `column`.
    conn = sqlite3.connect(tmp_path / "e.db")
    conn.execute(
        "INSERT INTO events (event_id, stream_id, stream_version, global_position, type, "
        "schema_version, occurred_at, actor_id, actor_role, correlation_id, causation_id, payload)"
        " VALUES ('old-1', 's', 2, 2, 'Placed', 1, '2019-04-18T08:00:00+00:00', 'u', 'editor', "
        "'c', NULL, '{\"column\": \"notices\"}')"
    )
    conn.commit()
    conn.close()
    events = store.read_stream("s")
    assert events[1].payload == PlacedV3(columns=("notices",), priority=0)
    assert events[1].schema_version == 1  # the envelope still says how it was stored
    store.close()


def test_event_from_newer_code_is_refused() -> None:
    with pytest.raises(RegistryError) as info:
        _registry().decode("Placed", 4, '{"columns": [], "priority": 0}')
    assert info.value.code == "EVENT_SCHEMA_TOO_NEW"


def test_missing_upcaster_is_reported() -> None:
    registry = EventRegistry()
    registry.register(PlacedV3, "Placed", version=3)
    registry.add_upcaster("Placed", 2, lambda d: d)
    with pytest.raises(RegistryError) as info:
        registry.decode("Placed", 1, '{"column": "x"}')
    assert info.value.code == "EVENT_UPCASTER_MISSING"


def test_unknown_type_and_duplicate_registration() -> None:
    registry = _registry()
    with pytest.raises(RegistryError) as info:
        registry.decode("Nope", 1, "{}")
    assert info.value.code == "EVENT_TYPE_UNKNOWN"

    class Other(Event):
        pass

    with pytest.raises(RegistryError):
        registry.register(Other, "Placed")


def test_article_events_are_all_registered() -> None:
    import workflows.article_events  # noqa: F401
    from events.registry import default_registry

    assert {
        "ArticleCreated",
        "ArticleRevised",
        "ArticleSubmitted",
        "StageApproved",
        "ArticleReturned",
        "ArticleSignedOff",
        "ArticleApproved",
        "ArticleWithdrawn",
        "ArticleArchived",
    } <= set(default_registry.names())


@pytest.mark.parametrize(
    "entry",
    ["hub.runtime.embedded", "hub.distributed.worker", "hub.queries.audit", "hub.projections"],
)
def test_every_reader_of_the_log_knows_every_event_type(entry: str) -> None:
    """Commands load lazily, so no reader may depend on which modules happened to be loaded:
    each entry point that decodes events it did not write knows every declared type."""
    root = Path(__file__).resolve().parents[2]
    declared = set()
    for package in ("events", "workflows", "hub", "channels"):
        for path in (root / package).rglob("*.py"):
            declared |= set(re.findall(r'@event_type\("(\w+)"', path.read_text("utf-8")))
    probe = f"import json, {entry}\nfrom events.registry import default_registry\nprint(json.dumps(default_registry.names()))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert declared - set(json.loads(done.stdout)) == set()
    assert len(declared) > 40
