"""The EventStore contract, run against every implementation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from events.postgresql_store import PostgreSQLEventStore
from events.recorder import Column, Table
from events.sqlite_store import SQLiteEventStore
from events.store import (
    AppendResult,
    ConcurrencyConflict,
    EventIdReused,
    EventStore,
    StoreError,
    StreamRange,
)
from tests.events.sample_events import Noted, noted, registry

Factory = Callable[[pytest.FixtureRequest, Path], EventStore]
FACTORIES: dict[str, Factory] = {
    "sqlite-durable": lambda r, p: SQLiteEventStore(p / "e.db", registry, durable=True),
    "sqlite-normal": lambda r, p: SQLiteEventStore(p / "e.db", registry, durable=False),
    "postgresql": lambda r, p: PostgreSQLEventStore(r.getfixturevalue("pg_url"), registry),
}


@pytest.fixture(params=sorted(FACTORIES))
def es(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    store = FACTORIES[request.param](request, tmp_path)
    yield store
    store.close()


def test_append_and_read_back_in_order(es: EventStore) -> None:
    result = es.append("s-1", [noted("a"), noted("b")], expected_version=0)
    assert (result.first_version, result.last_version) == (1, 2)
    es.append("s-1", [noted("c")], expected_version=2)
    events = es.read_stream("s-1")
    assert [e.payload.text for e in events] == ["a", "b", "c"]
    assert [e.stream_version for e in events] == [1, 2, 3]
    assert isinstance(events[0].payload, Noted)
    assert events[0].actor.user_id == "tester"
    assert events[0].occurred_at.tzinfo is not None
    assert es.stream_version("s-1") == 3
    assert es.stream_version("missing") == 0


def test_read_stream_range(es: EventStore) -> None:
    es.append("s", [noted(str(i)) for i in range(5)], 0)
    assert [e.stream_version for e in es.read_stream("s", 2, 4)] == [2, 3, 4]


def test_wrong_expected_version_is_a_conflict_and_writes_nothing(es: EventStore) -> None:
    es.append("s", [noted("a")], 0)
    with pytest.raises(ConcurrencyConflict) as info:
        es.append("s", [noted("b")], 0)
    assert (info.value.expected, info.value.actual) == (0, 1)
    with pytest.raises(ConcurrencyConflict):
        es.append("s", [noted("b")], 5)
    assert [e.payload.text for e in es.read_stream("s")] == ["a"]


def test_reappending_same_event_ids_is_a_no_op(es: EventStore) -> None:
    batch = [noted("a"), noted("b")]
    first = es.append("s", batch, 0)
    again = es.append("s", batch, 0)  # a retry after a lost acknowledgement
    assert again.replayed and not first.replayed
    assert again.positions == first.positions
    assert len(es.read_stream("s")) == 2
    assert es.head_position() == 2


def test_partly_reused_event_ids_are_refused(es: EventStore) -> None:
    a = noted("a")
    es.append("s", [a], 0)
    with pytest.raises(EventIdReused):
        es.append("s", [a, noted("b")], 1)
    with pytest.raises(EventIdReused):
        es.append("other", [a], 0)
    same = noted("x")
    with pytest.raises(EventIdReused):
        es.append("t", [same, same], 0)
    assert es.head_position() == 1


def test_empty_append_and_negative_version_are_errors(es: EventStore) -> None:
    with pytest.raises(StoreError):
        es.append("s", [], 0)
    with pytest.raises(StoreError):
        es.append("s", [noted("a")], -1)


def test_read_all_after_position_in_global_order(es: EventStore) -> None:
    es.append("a", [noted("a1")], 0)
    es.append("b", [noted("b1"), noted("b2")], 0)
    es.append("a", [noted("a2")], 1)
    everything = es.read_all(0)
    assert [e.payload.text for e in everything] == ["a1", "b1", "b2", "a2"]
    assert [e.global_position for e in everything] == [1, 2, 3, 4]
    assert [e.payload.text for e in es.read_all(2, limit=1)] == ["b2"]
    assert [e.payload.text for e in es.iter_all(1, batch_size=2)] == ["b1", "b2", "a2"]
    assert es.count_streams() == 2
    assert es.count_streams("a") == 1


@pytest.mark.parametrize("implementation", ["store's own", "contract default"])
def test_read_prefix_filters_streams_and_says_how_far_it_read(
    es: EventStore, implementation: str
) -> None:
    read = es.read_prefix if implementation == "store's own" else (
        lambda *args: EventStore.read_prefix(es, *args)
    )  # fmt: skip
    es.append("article-1", [noted("a1")], 0)  # position 1
    es.append("delivery-1", [noted("d1"), noted("d2")], 0)  # 2, 3
    es.append("articles", [noted("not-an-article")], 0)  # 4: shares the letters, not "-"
    es.append("article-2", [noted("a2")], 0)  # 5
    es.append("delivery-2", [noted("d3")], 0)  # 6

    def texts(events: list) -> list[str]:
        return [e.payload.text for e in events]

    events, covered = read("article-", 0, 10)
    assert (texts(events), covered) == (["a1", "a2"], 6)  # the whole log was read
    events, covered = read("article-", 0, 1)
    assert (texts(events), covered) == (["a1"], 1)  # full batch: covered up to its last
    events, covered = read("article-", 1, 1)
    assert (texts(events), covered) == (["a2"], 5)
    assert read("article-", 5, 10) == ([], 6)  # nothing new of its kind, yet it moves on
    assert read("article-", 6, 10) == ([], 6)
    assert texts(read("delivery-", 0, 10)[0]) == ["d1", "d2", "d3"]
    assert texts(read("", 3, 10)[0]) == ["not-an-article", "a2", "d3"]
    assert read("nothing-", 0, 10) == ([], 6)


@pytest.mark.parametrize("implementation", ["store's own", "contract default"])
def test_streams_split_into_ranges_and_read_stream_after_stream(
    es: EventStore, implementation: str
) -> None:
    own = implementation == "store's own"

    def split(prefix: str, parts: int) -> list[StreamRange]:
        return (
            es.split_streams(prefix, parts) if own else EventStore.split_streams(es, prefix, parts)
        )

    def payloads(prefix: str = "", within: StreamRange | None = None) -> list[tuple[str, str]]:
        it = (
            es.iter_payloads(prefix, within=within, batch_size=7)
            if own
            else EventStore.iter_payloads(es, prefix, within=within, batch_size=7)
        )
        return [(stream, payload.text) for stream, payload in it]

    streams = [f"article-{i:x}{j}" for i in range(40) for j in "7f"] + ["x", "é", "delivery-1"]
    for n, stream in enumerate(streams):
        es.append(stream, [noted(f"{stream}/1"), noted(f"{stream}/2")], 0)
        if n % 3 == 0:  # later events of earlier streams, interleaved with other streams
            es.append(
                streams[n // 2],
                [noted(f"{streams[n // 2]}/late{n}")],
                es.stream_version(streams[n // 2]),
            )
    everything = payloads()
    assert len(everything) == es.head_position()
    order = [stream for stream, _ in everything]
    runs = [s for i, s in enumerate(order) if i == 0 or order[i - 1] != s]
    assert runs == sorted(set(order)), "stream after stream, in id order, each stream once"
    for stream in runs:  # each stream's events in its own order
        assert [t for s, t in everything if s == stream] == [
            e.payload.text for e in es.read_stream(stream)
        ]
    articles = payloads("article-")
    assert articles == [x for x in everything if x[0].startswith("article-")]
    for prefix, whole in (("", everything), ("article-", articles)):
        for parts in (1, 2, 3, 5):
            ranges = split(prefix, parts)
            assert len(ranges) == parts
            shares = [payloads(prefix, r) for r in ranges]
            assert [x for share in shares for x in share] == whole, "disjoint, in order, whole"
            longest = max(es.stream_version(s) for s in runs)
            assert max(map(len, shares)) - min(map(len, shares)) <= longest + 1, "balanced"
            if own:  # the store computes the split the contract describes
                assert ranges == EventStore.split_streams(es, prefix, parts)
    few = split("delivery-", 3)  # fewer streams than parts: the last ranges are empty
    assert [len(payloads("delivery-", r)) for r in few] == [2, 0, 0]
    with pytest.raises(StoreError):
        split("", 0)


SEEN = Table("seen", (Column("position", "int", key=True), Column("text")))


def test_checkpoint_commits_with_the_subscribers_writes(es: EventStore) -> None:
    es.append("s", [noted("a"), noted("b")], 0)
    with es.subscriber_transaction("proj") as tx:
        tx.create(SEEN)
        for event in es.read_all(tx.position):
            tx.upsert(SEEN, [SEEN.row(position=event.global_position, text=event.payload.text)])
            tx.advance(event.global_position)
    assert es.checkpoint("proj") == 2
    assert es.rows(SEEN, {}, columns=("text",), order_by=("position",)) == [("a",), ("b",)]


def test_failed_subscriber_transaction_keeps_neither_writes_nor_checkpoint(es: EventStore) -> None:
    es.append("s", [noted("a")], 0)
    with es.subscriber_transaction("proj") as tx:
        tx.create(SEEN)
    with pytest.raises(RuntimeError), es.subscriber_transaction("proj") as tx:
        tx.upsert(SEEN, [SEEN.row(position=1, text="a")])
        tx.advance(1)
        raise RuntimeError("projection crashed")
    assert es.checkpoint("proj") == 0
    assert es.rows(SEEN, {}) == []


def test_after_commit_actions_run_once_committed_and_never_after_a_rollback(
    es: EventStore,
) -> None:
    """What a subscriber tells others (the board: "the ledger changed") it tells only once
    another connection can read it, and never for writes that were rolled back."""
    es.append("s", [noted("a")], 0)
    with es.subscriber_transaction("proj") as tx:
        tx.create(SEEN)
    seen: list[list[tuple[object, ...]]] = []

    def told() -> None:  # reads through the store, outside the transaction
        seen.append(es.rows(SEEN, {}, ("text",)))

    with es.subscriber_transaction("proj") as tx:
        tx.upsert(SEEN, [SEEN.row(position=1, text="a")])
        tx.after_commit(told)
        tx.after_commit(lambda: 1 / 0)  # a listener's fault is logged, not the writer's
        tx.after_commit(told)
        assert seen == []
    assert seen == [[("a",)], [("a",)]]
    with pytest.raises(RuntimeError), es.subscriber_transaction("proj") as tx:
        tx.upsert(SEEN, [SEEN.row(position=2, text="b")])
        tx.after_commit(told)
        raise RuntimeError("projection crashed")
    assert len(seen) == 2


def test_checkpoint_never_moves_back(es: EventStore) -> None:
    with pytest.raises(StoreError), es.subscriber_transaction("p") as tx:
        tx.advance(5)
        tx.advance(3)


def test_concurrent_threads_each_get_their_own_stream_versions(es: EventStore) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                es.append(f"w-{n}", [noted(f"{n}-{i}")], i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert es.head_position() == 200
    for n in range(8):
        assert [e.stream_version for e in es.read_stream(f"w-{n}")] == list(range(1, 26))
    assert [e.global_position for e in es.read_all(0, 1000)] == list(range(1, 201))


def test_concurrent_appends_to_one_stream_exactly_one_wins_each_version(es: EventStore) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            es.append("hot", [noted(str(n))], 0)
            outcomes.append("won")
        except ConcurrencyConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    assert es.stream_version("hot") == 1


def test_asyncio_tasks_are_group_committed(es: EventStore) -> None:
    async def main() -> list[int]:
        results = await asyncio.gather(
            *(es.append_async(f"t-{i}", [noted(str(i))], 0) for i in range(20))
        )
        return sorted(r.positions[0] for r in results)

    assert asyncio.run(main()) == list(range(1, 21))


def test_closed_store_refuses_appends(tmp_path: Path) -> None:
    store = SQLiteEventStore(tmp_path / "c.db", registry)
    store.close()
    with pytest.raises(StoreError):
        store.append("s", [noted("a")], 0)


def test_append_many_checks_each_append_on_its_own(es: EventStore) -> None:
    es.append("taken", [noted("first")], 0)
    repeat = [noted("again")]
    es.append("repeat", repeat, 0)
    appends = [(f"m-{i}", [noted(str(i))], 0) for i in range(1200)]  # more than one batch
    appends.insert(7, ("taken", [noted("late")], 0))
    appends.insert(9, ("repeat", repeat, 0))
    outcomes = es.append_many(appends)
    assert len(outcomes) == 1202
    assert isinstance(outcomes[7], ConcurrencyConflict)
    assert not isinstance(outcomes[9], StoreError)  # a repeat answers with the first result
    assert sum(not isinstance(o, StoreError) for o in outcomes) == 1201
    assert [e.payload.text for e in es.read_stream("taken")] == ["first"]
    assert es.stream_version("m-1199") == 1 and es.stream_version("repeat") == 1
    assert es.append_many([]) == []
    # In one batch: a version skipped, two appends racing for one new stream, a good one.
    skip, first, second, good = es.append_many([
        ("taken", [noted("skip")], 5), ("fresh", [noted("x")], 0), ("fresh", [noted("y")], 0),
        ("good", [noted("z"), noted("z2")], 0)])  # fmt: skip
    assert isinstance(skip, ConcurrencyConflict) and isinstance(second, ConcurrencyConflict)
    assert isinstance(first, AppendResult) and isinstance(good, AppendResult)
    assert good.positions == (first.positions[0] + 1, first.positions[0] + 2)
    assert [e.global_position for e in es.read_all(0, 5000)] == list(range(1, 1206))


def test_append_many_alongside_concurrent_appenders(es: EventStore) -> None:
    def single(n: int) -> None:
        for i in range(50):
            es.append(f"t{n}-{i}", [noted("x")], 0)

    threads = [threading.Thread(target=single, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    outcomes = es.append_many([(f"b-{i}", [noted("y")], 0) for i in range(600)])
    for thread in threads:
        thread.join()
    assert not any(isinstance(o, StoreError) for o in outcomes)
    assert es.count_streams("b-") == 600 and es.count_streams("t") == 200


def test_large_payloads_read_back_exactly_however_they_are_read(es: EventStore) -> None:
    texts = [f"{n}:" + "长" * 20_000 for n in range(40)]  # more than any store keeps decoded
    for n, text in enumerate(texts):
        es.append(f"big-{n}", [noted(text), noted("small")], 0)
    for _ in range(2):  # the second read may be served from what the first decoded
        assert [e.payload.text for e in es.read_all(0, 1000) if e.stream_version == 1] == texts
        assert [es.read_stream(f"big-{n}")[0].payload.text for n in range(40)] == texts
        events, _ = es.read_prefix("big-3", 0, 1000)
        read = [e.payload.text for e in events if e.stream_version == 1]
        assert read == [texts[3], *texts[30:40]]
