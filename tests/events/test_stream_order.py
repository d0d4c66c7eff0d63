"""Events from a bus, applied in each stream's order and at most once, beside the global order
(`catch_up`), on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.envelope import RecordedEvent
from events.recorder import Column, Table
from events.store import EventStore, SubscriberTransaction
from events.stores import open_store
from events.stream_order import apply_in_stream_order
from events.subscriptions import catch_up, rebuild
from tests.events.sample_events import noted, registry
from tests.servers import both_databases  # noqa: F401  (the `database` fixture: both)

SEEN = Table(
    "seen",
    (Column("stream_id", key=True), Column("version", "int", key=True),
     Column("times", "int", required=True)),
)  # fmt: skip


class Counting:
    """Counts how often each event was applied, and checks each stream's order."""

    name = "counting"
    stream_prefix = "s-"

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(SEEN)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(SEEN)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        before = tx.rows(SEEN, {"stream_id": event.stream_id}, ("version", "times"))
        done = {int(v): int(t) for v, t in before}
        assert max(done, default=0) == event.stream_version - 1, "out of its stream's order"
        tx.upsert(
            SEEN, [(event.stream_id, event.stream_version, 1 + done.get(event.stream_version, 0))]
        )


def seen(store: EventStore) -> dict[tuple[str, int], int]:
    return {
        (s, int(v)): int(t) for s, v, t in store.rows(SEEN, {}, ("stream_id", "version", "times"))
    }


@pytest.fixture
def store(database: str) -> Iterator[EventStore]:
    s = open_store(database, registry)
    yield s
    s.close()


def stored(store: EventStore, streams: int = 3, per_stream: int = 4) -> list[RecordedEvent]:
    for v in range(per_stream):
        for n in range(streams):
            store.append(f"s-{n}", [noted(f"{n}/{v}")], v)
    store.append("other", [noted("not mine")], 0)
    return store.read_all(0, 1000)


def test_repeats_are_ignored_and_gaps_filled_from_the_store(store: EventStore) -> None:
    events = stored(store)
    by = {(e.stream_id, e.stream_version): e for e in events}
    sub = Counting()
    first = apply_in_stream_order(store, sub, [by["s-0", 1], by["s-1", 1], by["s-0", 1]])
    assert (first.applied, first.repeats, first.filled) == (2, 1, 0)
    # s-0 jumps to version 3: versions 2 is read from the store first.
    later = apply_in_stream_order(
        store, sub, [by["s-0", 3], by["s-0", 2], by["s-1", 1], by["other", 1]]
    )
    assert (later.applied, later.repeats, later.filled) == (1, 2, 1)
    assert seen(store) == {("s-0", 1): 1, ("s-0", 2): 1, ("s-0", 3): 1, ("s-1", 1): 1}
    # The global order then applies the rest, and nothing twice.
    catch_up(store, sub)
    assert seen(store) == {(f"s-{n}", v): 1 for n in range(3) for v in range(1, 5)}
    # The bus repeats everything, late: nothing changes.
    again = apply_in_stream_order(store, sub, events)
    assert again.applied == 0 and seen(store) == {
        (f"s-{n}", v): 1 for n in range(3) for v in range(1, 5)
    }


def test_after_the_global_order_the_bus_applies_only_what_is_new(store: EventStore) -> None:
    events = stored(store, per_stream=2)
    sub = Counting()
    catch_up(store, sub)
    store.append("s-0", [noted("new")], 2)
    newest = store.read_all(events[-1].global_position, 10)
    outcome = apply_in_stream_order(store, sub, [*events, *newest])
    assert (outcome.applied, outcome.filled) == (1, 0)
    assert seen(store)[("s-0", 3)] == 1
    rebuild(store, sub)  # forgets the tracked versions with the read model
    assert set(seen(store).values()) == {1} and len(seen(store)) == 7


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_delivery_of_the_bus_ends_with_each_event_applied_once(
    store: EventStore, data: st.DataObject
) -> None:
    """The bus delivers each stream's events in order, but may drop some, repeat runs of them
    (a consumer restarted from an older offset) and interleave streams anyhow; a catch-up of
    the global order may run in between. In the end every event is applied exactly once."""
    sub = Counting()
    head = store.head_position()
    for n in range(3):
        for _ in range(3):
            store.append(f"s-{n}", [noted("x")], store.stream_version(f"s-{n}"))
    events = [e for e in store.read_all(head, 1000)]
    queues = {s: [e for e in events if e.stream_id == s] for s in {e.stream_id for e in events}}
    delivered: list[RecordedEvent] = []
    cursor = dict.fromkeys(queues, 0)
    while any(cursor[s] < len(q) for s, q in queues.items()):
        stream = data.draw(st.sampled_from(sorted(s for s in queues if cursor[s] < len(queues[s]))))
        action = data.draw(st.sampled_from(["send", "send", "drop", "repeat"]))
        if action == "repeat" and cursor[stream]:
            delivered.extend(
                queues[stream][data.draw(st.integers(0, cursor[stream] - 1)) : cursor[stream]]
            )
        elif action == "drop":
            cursor[stream] += 1
        else:
            delivered.append(queues[stream][cursor[stream]])
            cursor[stream] += 1
    cut = data.draw(st.integers(0, len(delivered)))
    apply_in_stream_order(store, sub, delivered[:cut])
    if data.draw(st.booleans()):
        catch_up(store, sub)
    apply_in_stream_order(store, sub, delivered[cut:])
    catch_up(store, sub)  # what the bus lost at the end of a stream, the global order brings
    counts = seen(store)
    assert len(counts) == store.head_position() and set(counts.values()) == {1}
