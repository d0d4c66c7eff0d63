"""What only the PostgreSQL store must prove: a subscriber following the global order never
skips a transaction that commits late, and the database location selects the store."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from events.postgresql_store import (
    _APPEND_LOCK,
    _LOCKS,
    PostgreSQLEventStore,
    native_placeholders,
)
from events.store import StoreBusy, StoreError
from events.stores import open_store
from tests.events.sample_events import noted, registry


class HeldStore(PostgreSQLEventStore):
    """A node whose next append stops inside its transaction, after its events got their
    positions and before it commits, until the test lets it go."""

    hold_before_commit = True

    def __init__(self, url: str) -> None:
        super().__init__(url, registry)
        self.numbered = threading.Event()
        self.release = threading.Event()

    def _before_commit(self) -> None:
        self.numbered.set()
        assert self.release.wait(30)


def test_a_reader_never_jumps_past_a_transaction_that_commits_late(pg_url: str) -> None:
    slow = HeldStore(pg_url)  # two nodes: separate connections, as two processes would have
    fast = PostgreSQLEventStore(pg_url, registry)
    reader = PostgreSQLEventStore(pg_url, registry)
    try:
        held = threading.Thread(target=slow.append, args=("slow", [noted("first")], 0))
        held.start()
        assert slow.numbered.wait(10)  # its transaction is open and numbered
        done = threading.Event()

        def append_fast() -> None:
            fast.append("fast", [noted("second")], 0)
            done.set()

        racing = threading.Thread(target=append_fast)
        racing.start()
        # While the slow transaction is open, the fast one cannot commit ahead of it, and a
        # reader sees nothing: no position that it could checkpoint past the held one.
        seen: list[int] = []
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            events, covered = reader.read_prefix("", 0)
            seen += [e.global_position for e in events]
            assert covered == 0 and not seen
            time.sleep(0.05)
        assert not done.is_set()
        slow.release.set()
        held.join(10)
        racing.join(10)
        assert done.is_set()
        events, covered = reader.read_prefix("", 0)
        assert [(e.stream_id, e.global_position) for e in events] == [("slow", 1), ("fast", 2)]
        assert covered == 2
    finally:
        slow.release.set()
        for store in (slow, fast, reader):
            store.close()


def test_a_follower_reading_during_concurrent_appends_sees_every_event(pg_url: str) -> None:
    """Eight threads on two nodes append while a subscriber follows with checkpoints: what it
    read, in order, is exactly what was stored (nothing skipped, nothing twice)."""
    nodes = [PostgreSQLEventStore(pg_url, registry) for _ in range(2)]
    follower = PostgreSQLEventStore(pg_url, registry)
    stop = threading.Event()
    read: list[int] = []

    def follow() -> None:
        checkpoint = 0
        while True:
            last = stop.is_set()
            events, covered = follower.read_prefix("", checkpoint, 50)
            read.extend(e.global_position for e in events)
            checkpoint = covered
            if last and not events:
                return

    def write(node: PostgreSQLEventStore, n: int) -> None:
        for i in range(40):
            node.append(f"w{n}-{i}", [noted(str(i)), noted(str(i))], 0)

    reader = threading.Thread(target=follow)
    reader.start()
    writers = [threading.Thread(target=write, args=(nodes[n % 2], n)) for n in range(8)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    stop.set()
    reader.join(30)
    assert read == list(range(1, 8 * 40 * 2 + 1))
    for store in (*nodes, follower):
        store.close()


def test_wait_for_append_wakes_on_another_nodes_append(pg_url: str) -> None:
    waiting = PostgreSQLEventStore(pg_url, registry)
    writer = PostgreSQLEventStore(pg_url, registry)
    try:
        waiting.wait_for_append(0, 0.01)  # starts listening
        timer = threading.Timer(0.3, writer.append, args=("s", [noted("x")], 0))
        started = time.monotonic()
        timer.start()
        assert waiting.wait_for_append(0, 10)
        assert time.monotonic() - started < 2
        assert not waiting.wait_for_append(1, 0.2)
    finally:
        waiting.close()
        writer.close()


def test_the_location_selects_the_database(pg_url: str, tmp_path: Any) -> None:
    store = open_store(pg_url, registry)
    assert isinstance(store, PostgreSQLEventStore)
    store.close()
    lite = open_store(f"sqlite:///{tmp_path / 'x.sqlite3'}", registry)
    assert (tmp_path / "x.sqlite3").exists()
    lite.close()
    for bad in ("mysql://h/db", "sqlite://host/x.db", "sqlite:///"):
        with pytest.raises(StoreError):
            open_store(bad, registry)
    with pytest.raises(StoreError) as info:
        open_store("postgresql://nobody:secret-pw@127.0.0.1:1/none", registry)
    assert "secret-pw" not in info.value.message


def test_a_lock_held_too_long_answers_busy_and_the_store_goes_on(pg_url: str) -> None:
    """Another node stuck inside its append (its transaction holds the lock): an append here
    waits `busy_timeout`, answers StoreBusy (STORE_BUSY), and works once the lock is free."""
    store = PostgreSQLEventStore(pg_url, registry, busy_timeout=0.3)
    stuck = psycopg.connect(pg_url, autocommit=True)
    try:
        stuck.execute("BEGIN")
        stuck.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCKS, _APPEND_LOCK))
        started = time.monotonic()
        with pytest.raises(StoreBusy):
            store.append("s", [noted("x")], 0)
        assert 0.25 < time.monotonic() - started < 5
        stuck.execute("ROLLBACK")
        assert store.append("s", [noted("x")], 0).positions == (1,)
    finally:
        stuck.close()
        store.close()


def test_statements_reach_the_server_with_numbered_placeholders() -> None:
    """psycopg re-parses a statement of more than 50 parameters on every execution; the
    store converts its `%s` statements once into PostgreSQL's own `$n` form."""
    assert native_placeholders("SELECT %s, %s") == "SELECT $1, $2"
    assert (
        native_placeholders("a LIKE 'x%%' AND b = %s OR c = '%%s' AND d = %s")
        == "a LIKE 'x%' AND b = $1 OR c = '%s' AND d = $2"
    )
    assert native_placeholders("SELECT 1") == "SELECT 1"


def test_a_batch_of_many_parameters_appends_and_reads_back(pg_url: str) -> None:
    store = open_store(pg_url, registry)
    try:
        # 40 appends in one batch: an insert of 40 rows of 12 values and 80 guards.
        results = store.append_many([(f"s{i}", [noted(f"e{i}")], 0) for i in range(40)])
        assert sorted(r.positions[0] for r in results if not isinstance(r, StoreError)) == list(
            range(1, 41)
        )
        assert [e.payload.text for e in store.read_all(0, 100)] == [f"e{i}" for i in range(40)]
    finally:
        store.close()


def test_bulk_reads_follow_the_index_on_a_table_just_filled(pg_url: str) -> None:
    """Before autovacuum has analysed a table just filled, the planner took a page of a bulk
    read for a few rows and sorted all the rows after it, for every page (quadratic). The
    reads of `iter_payloads` and `split_streams` walk the index instead."""
    store = PostgreSQLEventStore(pg_url, registry)
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE events SET (autovacuum_enabled = false)")
        store.append_many([(f"article-{i:05}", [noted("a"), noted("b")], 0) for i in range(3000)])
        page = (
            "EXPLAIN SELECT stream_id, stream_version, type, schema_version, payload "
            "FROM events WHERE (stream_id, stream_version) > (%s, %s) AND stream_id < %s "
            "ORDER BY stream_id, stream_version LIMIT %s"
        )
        plan = "\n".join(
            row[0] for row in store._read_in_order(page, ("article-", 0, "article.", 2000))
        )
        assert "Sort" not in plan, plan
        assert [r.first for r in store.split_streams("article-", 2)][1] == "article-01500"
        streams = [stream for stream, _ in store.iter_payloads("article-", batch_size=700)]
        assert len(streams) == 6000 and streams == sorted(streams)
    finally:
        store.close()
