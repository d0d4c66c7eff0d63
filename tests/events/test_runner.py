"""The generic runner over a small counter decider: sync and asyncio decide alike, batches
commit together and report each refusal, and reactions with a cause append nothing twice."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.decider import Decider, Refusal, StreamName
from events.envelope import Event
from events.runner import CommandResult, Runner
from events.sqlite_store import SQLiteEventStore
from events.store import ConcurrencyConflict, StoreError
from tests.events.sample_events import Noted, registry

COUNTERS = StreamName("counter")
LIMIT = 10


@dataclass(frozen=True)
class Add:
    counter: str
    n: int


class OverLimit(Refusal):
    code = "OVER_LIMIT"


def decide(command: Add, total: int) -> Sequence[Event]:
    if command.n == 0:
        return []
    if total + command.n > LIMIT:
        raise OverLimit(f"{total} + {command.n} > {LIMIT}")
    return [Noted(text=command.counter, n=command.n)]


def evolve(total: int, event: Event) -> int:
    assert isinstance(event, Noted)
    return total + event.n


counter_decider: Decider[Add, int] = Decider(
    name="counter",
    streams=COUNTERS,
    initial_state=0,
    decide=decide,
    evolve=evolve,
    entity=lambda command: command.counter,
)


def open_store(path: Path) -> SQLiteEventStore:
    return SQLiteEventStore(path, registry, durable=False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteEventStore]:
    es = open_store(tmp_path / "r.db")
    yield es
    es.close()


def outcome(result: CommandResult[int] | Exception) -> tuple[object, ...]:
    if isinstance(result, Exception):
        return ("refused", type(result).__name__)
    return (result.entity_id, result.state, result.version, result.event_types)


commands = st.lists(
    st.builds(Add, st.sampled_from(["a", "b", "c"]), st.integers(min_value=0, max_value=6)),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_sync_and_async_runs_decide_and_store_the_same(batch: list[Add]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sync_store, async_store = (
            open_store(Path(folder) / "s.db"),
            open_store(Path(folder) / "a.db"),
        )
        try:
            sync_runner = Runner(sync_store, counter_decider)
            async_runner = Runner(async_store, counter_decider)
            sync_outcomes = []
            for command in batch:
                try:
                    sync_outcomes.append(outcome(sync_runner.execute(command)))
                except OverLimit as exc:
                    sync_outcomes.append(outcome(exc))

            async def run_all() -> list[tuple[object, ...]]:
                found = []
                for command in batch:
                    try:
                        found.append(outcome(await async_runner.execute_async(command)))
                    except OverLimit as exc:
                        found.append(outcome(exc))
                return found

            assert asyncio.run(run_all()) == sync_outcomes
            for name in "abc":
                stream = COUNTERS(name)
                assert [e.payload for e in sync_store.read_stream(stream)] == [
                    e.payload for e in async_store.read_stream(stream)
                ]
                total = sum(c.n for c in batch if c.counter == name)
                assert sync_runner.load(name)[0] <= min(total, LIMIT)
        finally:
            sync_store.close()
            async_store.close()


def test_a_stale_cache_is_caught_by_the_version_check_and_decided_again(
    store: SQLiteEventStore,
) -> None:
    first, second = Runner(store, counter_decider), Runner(store, counter_decider)
    first.execute(Add("a", 4))
    second.load("a")  # caches total 4 at version 1
    first.execute(Add("a", 4))  # total 8, version 2: second's cache is stale
    with pytest.raises(OverLimit):  # 8 + 4 > 10, decided on the stored state, not on 4 + 4
        second.execute(Add("a", 4))
    result = second.execute(Add("a", 2))
    assert (result.state, result.version) == (10, 3)


def test_a_conflict_on_every_attempt_reaches_the_caller(
    store: SQLiteEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = Runner(store, counter_decider, attempts=3)
    versions = []

    def always_moved(stream: str, events: object, version: int) -> object:
        versions.append(version)
        raise ConcurrencyConflict(stream, version, version + 1)

    monkeypatch.setattr(store, "append", always_moved)
    with pytest.raises(ConcurrencyConflict):
        runner.execute(Add("a", 1))
    assert versions == [0, 0, 0]  # decided again on each attempt, then reported


def test_a_batch_commits_what_it_can_and_reports_each_refused_entity(
    store: SQLiteEventStore,
) -> None:
    runner = Runner(store, counter_decider)
    runner.execute(Add("a", 1))
    runner.execute(Add("b", 1))
    held_a, held_b = runner.load("a"), runner.load("b")
    runner.execute(Add("b", 1))  # b moves on: the held version 1 is stale
    results = runner.execute_batch([
        (Add("a", 2), *held_a),
        (Add("b", 2), *held_b),
        (Add("c", 0), 0, 0),  # nothing to do
        (Add("d", 3), 0, 0),
    ])  # fmt: skip
    a, b, c, d = results
    assert not isinstance(a, StoreError) and (a.state, a.version) == (3, 2)
    assert isinstance(b, StoreError)
    assert not isinstance(c, StoreError) and c.event_ids == () and c.version == 0
    assert not isinstance(d, StoreError) and (d.state, d.version) == (3, 1)
    assert [e.payload.n for e in store.read_stream(COUNTERS("b"))] == [1, 1]  # type: ignore[attr-defined]
    # The stale entity's cache was dropped: the next command reads the stored state.
    assert runner.execute(Add("b", 8)).state == 10


def test_a_reaction_run_again_for_the_same_cause_appends_nothing_twice(
    store: SQLiteEventStore,
) -> None:
    """A policy that crashed after appending but before its checkpoint runs the reaction
    again: the events carry ids derived from the cause, and the store answers the repeat with
    the first append's result."""
    before = Runner(store, counter_decider)
    before.load("a")  # a worker that cached the stream before the first run
    first = Runner(store, counter_decider).execute(Add("a", 3), cause="event-1")
    # The same reaction again, decided on the state from before the first run.
    again = before.execute_batch([(Add("a", 3), 0, 0)], cause="event-1")
    [repeat] = again
    assert not isinstance(repeat, StoreError)
    assert repeat.event_ids == first.event_ids
    assert [e.event_id for e in store.read_stream(COUNTERS("a"))] == list(first.event_ids)
    # A different cause is a different reaction.
    other = Runner(store, counter_decider).execute(Add("a", 3), cause="event-2")
    assert other.event_ids != first.event_ids and other.version == 2


def test_a_handled_command_is_logged_at_info_and_not_built_below_it() -> None:
    """The runner builds its log line only when info is let through (a fresh interpreter:
    the configuration must be the first)."""
    code = textwrap.dedent("""
        import json, sys, tempfile
        from pathlib import Path
        from hub.runtime.logs import configure_logging
        configure_logging(sys.argv[1])
        from events.runner import Runner
        from tests.events.test_runner import Add, counter_decider, open_store
        store = open_store(Path(tempfile.mkdtemp()) / "s.sqlite3")
        Runner(store, counter_decider).execute(Add("a", 2))
        store.close()
    """)
    for level, logged in (("info", True), ("warning", False)):
        done = subprocess.run([sys.executable, "-c", code, level], capture_output=True,
                              text=True, timeout=60, check=True)  # fmt: skip
        lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
        handled = [line for line in lines if line["event"] == "counter.command_handled"]
        assert bool(handled) is logged, done.stderr
        if logged:
            assert handled[0]["counter_id"] == "a" and handled[0]["version"] == 1
