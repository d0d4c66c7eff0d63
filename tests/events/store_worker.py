"""A separate process that appends to a store: used by the multi-process and crash tests.

python -m tests.events.store_worker race DB N      # try to append versions 1..N to "hot"
python -m tests.events.store_worker batches DB      # append 50-event batches forever
"""

from __future__ import annotations

import sys

from events.sqlite_store import SQLiteEventStore
from events.store import ConcurrencyConflict
from hub.runtime.logs import configure_logging
from tests.events.sample_events import noted, registry

BATCH = 50


def race(path: str, versions: int) -> None:
    store = SQLiteEventStore(path, registry)
    won = 0
    for version in range(versions):
        try:
            store.append("hot", [noted(f"pid-won-{version}")], version)
            won += 1
        except ConcurrencyConflict:
            pass
    print(won, flush=True)
    store.close()


def batches(path: str) -> None:
    store = SQLiteEventStore(path, registry)
    i = 0
    print("ready", flush=True)
    while True:
        store.append(f"batch-{i}", [noted(f"{i}", n) for n in range(BATCH)], 0)
        i += 1


if __name__ == "__main__":
    configure_logging("warning")
    if sys.argv[1] == "race":
        race(sys.argv[2], int(sys.argv[3]))
    else:
        batches(sys.argv[2])
