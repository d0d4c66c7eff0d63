"""The store across real processes: competing writers and a writer killed mid-append."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from events.sqlite_store import SQLiteEventStore
from tests.events.sample_events import registry
from tests.events.store_worker import BATCH

ROOT = Path(__file__).resolve().parents[2]


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.events.store_worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_competing_processes_exactly_one_wins_each_version(tmp_path: Path) -> None:
    path = str(tmp_path / "race.db")
    SQLiteEventStore(path, registry).close()  # create the schema before the race
    versions = 60
    workers = [_spawn("race", path, str(versions)) for _ in range(4)]
    wins = [int(w.communicate(timeout=120)[0].strip()) for w in workers]
    assert all(w.returncode == 0 for w in workers)
    assert sum(wins) == versions  # every version won by exactly one process, the rest conflicted
    store = SQLiteEventStore(path, registry)
    events = store.read_stream("hot")
    assert [e.stream_version for e in events] == list(range(1, versions + 1))
    store.close()


def test_sigkill_mid_append_leaves_no_partial_batch(tmp_path: Path) -> None:
    path = str(tmp_path / "crash.db")
    for round_ in range(3):
        worker = _spawn("batches", path)
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(0.3 + 0.2 * round_)  # let it commit a good number of batches
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        store = SQLiteEventStore(path, registry)
        counts = store.query(
            "SELECT stream_id, COUNT(*), MAX(stream_version) FROM events GROUP BY stream_id"
        )
        positions = [
            row[0]
            for row in store.query("SELECT global_position FROM events ORDER BY global_position")
        ]
        store.close()
        assert counts, "the worker committed nothing before it was killed"
        for stream, count, last in counts:
            assert count == BATCH and last == BATCH, f"{stream} has a partial batch: {count}"
        assert positions == list(range(1, len(positions) + 1))
        # The next round appends to the same streams again from version 0: they exist, so it
        # must start above them; move them aside to keep each round's batches complete.
        store = SQLiteEventStore(path, registry)
        with store.subscriber_transaction("cleanup") as tx:
            tx.execute("UPDATE events SET stream_id = stream_id || ? ", (f"-r{round_}",))
        store.close()
