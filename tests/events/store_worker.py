"""A separate process that appends to a store: used by the multi-process and crash tests.

python -m tests.events.store_worker race STORE N        # try to append versions 1..N to "hot"
python -m tests.events.store_worker batches STORE R    # append 50-event batches forever

STORE is a location (`sqlite:///path` or `postgresql://…`), R names the round's streams.
"""

from __future__ import annotations

import sys

from events.store import ConcurrencyConflict
from events.stores import open_store
from hub.runtime.logs import configure_logging
from tests.events.sample_events import noted, registry

BATCH = 50


def race(location: str, versions: int) -> None:
    store = open_store(location, registry)
    won = 0
    for version in range(versions):
        try:
            store.append("hot", [noted(f"pid-won-{version}")], version)
            won += 1
        except ConcurrencyConflict:
            pass
    print(won, flush=True)
    store.close()


def batches(location: str, round_: str) -> None:
    store = open_store(location, registry)
    i = 0
    print("ready", flush=True)
    while True:
        store.append(f"batch-{round_}-{i}", [noted(f"{i}", n) for n in range(BATCH)], 0)
        i += 1


if __name__ == "__main__":
    configure_logging("warning")
    if sys.argv[1] == "race":
        race(sys.argv[2], int(sys.argv[3]))
    else:
        batches(sys.argv[2], sys.argv[3])
