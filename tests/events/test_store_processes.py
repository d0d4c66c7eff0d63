"""The store across real processes, on both databases: competing writers and a writer
killed mid-append."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from events.stores import open_store
from tests.events.sample_events import registry
from tests.events.store_worker import BATCH

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the processes' shared store lives."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'shared.db'}"


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.events.store_worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_competing_processes_exactly_one_wins_each_version(location: str) -> None:
    open_store(location, registry).close()  # create the schema before the race
    versions = 60
    workers = [_spawn("race", location, str(versions)) for _ in range(4)]
    wins = [int(w.communicate(timeout=120)[0].strip()) for w in workers]
    assert all(w.returncode == 0 for w in workers)
    assert sum(wins) == versions  # every version won by exactly one process, the rest conflicted
    store = open_store(location, registry)
    events = store.read_stream("hot")
    assert [e.stream_version for e in events] == list(range(1, versions + 1))
    store.close()


def test_sigkill_mid_append_leaves_no_partial_batch(location: str) -> None:
    for round_ in range(3):
        worker = _spawn("batches", location, str(round_))
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(0.3 + 0.2 * round_)  # let it commit a good number of batches
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        store = open_store(location, registry)
        counts: dict[str, list[int]] = {}
        positions = []
        for event in store.iter_all():
            counts.setdefault(event.stream_id, []).append(event.stream_version)
            positions.append(event.global_position)
        store.close()
        assert any(s.startswith(f"batch-{round_}-") for s in counts), "nothing committed"
        for stream, versions in counts.items():
            assert versions == list(range(1, BATCH + 1)), f"{stream} has a partial batch"
        assert positions == list(range(1, len(positions) + 1))  # gapless, in order
