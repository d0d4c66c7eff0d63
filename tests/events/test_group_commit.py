"""Group commit in the SQLite store: asyncio tasks and threads share durable transactions."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from events.sqlite_store import SQLiteEventStore
from events.store import ConcurrencyConflict, StoreError
from tests.events.sample_events import noted, registry


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteEventStore]:
    es = SQLiteEventStore(tmp_path / "g.db", registry, durable=True)
    yield es
    es.close()


def count_commits(store: SQLiteEventStore) -> list[str]:
    """Record the writer connection's COMMIT statements (one per durable transaction)."""
    seen: list[str] = []
    store._writer.set_trace_callback(
        lambda sql: seen.append(sql) if sql.strip().upper() == "COMMIT" else None
    )
    return seen


def test_tasks_ready_together_share_one_commit(store: SQLiteEventStore) -> None:
    commits = count_commits(store)

    async def main() -> None:
        await asyncio.gather(*(store.append_async(f"s-{i}", [noted(str(i))], 0) for i in range(50)))

    asyncio.run(main())
    assert len(commits) == 1
    assert store.head_position() == 50


def test_tasks_in_rounds_commit_once_per_round(store: SQLiteEventStore) -> None:
    commits = count_commits(store)

    async def writer(n: int) -> None:
        for version in range(10):
            await store.append_async(f"w-{n}", [noted(str(version))], version)

    async def main() -> None:
        await asyncio.gather(*(writer(n) for n in range(8)))

    asyncio.run(main())
    assert store.head_position() == 80
    assert len(commits) <= 12  # ten rounds of eight appends, not eighty transactions
    for n in range(8):
        assert [e.payload.text for e in store.read_stream(f"w-{n}")] == [str(v) for v in range(10)]


def test_tasks_racing_for_one_version_exactly_one_wins(store: SQLiteEventStore) -> None:
    async def main() -> list[object]:
        return await asyncio.gather(
            *(store.append_async("hot", [noted(str(i))], 0) for i in range(8)),
            return_exceptions=True,
        )

    outcomes = asyncio.run(main())
    conflicts = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    assert len(conflicts) == 7
    assert store.stream_version("hot") == 1


def test_threads_and_tasks_together(store: SQLiteEventStore) -> None:
    def thread_writer(n: int) -> None:
        for version in range(20):
            store.append(f"t-{n}", [noted("x")], version)

    async def task_writer(n: int) -> None:
        for version in range(20):
            await store.append_async(f"a-{n}", [noted("y")], version)

    async def tasks() -> None:
        await asyncio.gather(*(task_writer(n) for n in range(4)))

    threads = [threading.Thread(target=thread_writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    asyncio.run(tasks())
    for thread in threads:
        thread.join()
    assert store.head_position() == 160
    assert all(store.stream_version(f"{kind}-{n}") == 20 for kind in "ta" for n in range(4))


def test_a_cancelled_waiter_does_not_undo_or_block_the_append(store: SQLiteEventStore) -> None:
    async def main() -> None:
        waiting = asyncio.ensure_future(store.append_async("c", [noted("kept")], 0))
        others = [
            asyncio.ensure_future(store.append_async(f"o-{i}", [noted("o")], 0)) for i in range(3)
        ]
        await asyncio.sleep(0)  # queued; the commit starts at the end of this round
        waiting.cancel()
        await asyncio.gather(*others)
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(main())
    assert [e.payload.text for e in store.read_stream("c")] == ["kept"]
    assert store.head_position() == 4


def test_bad_async_appends_are_refused_before_queueing(store: SQLiteEventStore) -> None:
    async def main() -> None:
        with pytest.raises(StoreError):
            await store.append_async("s", [], 0)
        with pytest.raises(StoreError):
            await store.append_async("s", [noted("a")], -1)

    asyncio.run(main())
    store.close()

    async def closed() -> None:
        await store.append_async("s", [noted("a")], 0)

    with pytest.raises(StoreError):
        asyncio.run(closed())
