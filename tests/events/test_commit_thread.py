"""The thread that commits for asyncio callers: each wake-up runs the work once, in order; a
failing run does not stop it; closing runs what was woken first and refuses later wake-ups;
a store dropped without closing lets its thread end. And through a real store: tasks' appends
queued before `close` are committed, later ones refused."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from pathlib import Path

import pytest

from events.commit_thread import CommitThread
from events.sqlite_store import SQLiteEventStore
from events.store import StoreError
from tests.events.sample_events import noted, registry


class Worker:
    def __init__(self, fail_on: int = -1) -> None:
        self.runs = 0
        self.fail_on = fail_on
        self.gate = threading.Event()
        self.gate.set()

    def work(self) -> None:
        self.gate.wait()
        self.runs += 1
        if self.runs == self.fail_on:
            raise RuntimeError("a failing commit")


def test_each_wake_up_runs_the_work_once_and_a_failure_does_not_stop_the_thread() -> None:
    worker = Worker(fail_on=2)
    thread = CommitThread(worker.work)
    worker.gate.clear()  # the first run waits: the wake-ups queue behind it
    for _ in range(5):
        thread.wake()
    worker.gate.set()
    thread.close()  # runs what was woken before it
    assert worker.runs == 5
    with pytest.raises(RuntimeError):
        thread.wake()
    thread.close()  # twice is harmless


def test_a_store_dropped_without_closing_lets_its_thread_end() -> None:
    worker = Worker()
    thread = CommitThread(worker.work, name="dropped-store-commit")
    thread.wake()
    deadline = time.monotonic() + 5
    while worker.runs == 0:  # it ran, and the thread waits for the next wake-up
        assert time.monotonic() < deadline
        time.sleep(0.001)
    del worker
    gc.collect()
    deadline = time.monotonic() + 5
    while any(t.name == "dropped-store-commit" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the commit thread outlived its store"
        time.sleep(0.01)


@pytest.mark.parametrize("handed_over", [True, False])
def test_appends_handed_to_the_thread_before_close_are_committed_the_rest_refused(
    tmp_path: Path, handed_over: bool
) -> None:
    """Tasks queue their appends in one round of the loop; the commit is handed to the thread
    in the next. Closed after that, the store commits them all; closed in between, it
    answers each with the closed store's refusal (none is left waiting). Later appends are
    refused."""
    store = SQLiteEventStore(tmp_path / "events.sqlite3", registry, durable=False)

    async def appends() -> list[object]:
        queued = [asyncio.ensure_future(store.append_async(f"s-{i}", [noted(str(i))], 0))
                  for i in range(20)]  # fmt: skip
        await asyncio.sleep(0)  # every task queues its append
        if handed_over:
            await asyncio.sleep(0)  # the commit is handed to the thread
        store.close()
        outcomes = await asyncio.wait_for(asyncio.gather(*queued, return_exceptions=True), 10)
        with pytest.raises(StoreError):
            await store.append_async("late", [noted("late")], 0)
        return outcomes

    outcomes = asyncio.run(appends())
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    if handed_over:
        assert not refused
    else:
        assert len(refused) == 20 and all(isinstance(o, StoreError) for o in refused)
    reopened = SQLiteEventStore(tmp_path / "events.sqlite3", registry)
    try:
        assert reopened.head_position() == (20 if handed_over else 0)
    finally:
        reopened.close()
