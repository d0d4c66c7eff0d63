"""Word that the delivery ledger changed, for the live board: the ledger projection numbers
each of its commits (`change`, one more than the last: its transactions run one at a time,
so the numbers follow the commit order) and, once a commit is readable, tells the listeners
its number. A board reads the rows whose number is above the last it saw, so it misses no
change however late an event's own time is.

In one process the listeners are the process's boards; in the distributed runtime a listener
also publishes the number on Redis (hub/distributed/ledger_channel.py), so every web node's
board hears of what any worker folded."""

from __future__ import annotations

import threading
from collections.abc import Callable

from events.log import get_logger

log = get_logger(__name__)

Listener = Callable[[int], None]


class LedgerSignal:
    """The listeners of the ledger's commits (called on the committing thread: keep them short)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def listen(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def stop_listening(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def changed(self, change: int) -> None:
        """The ledger's commit number `change` can be read now."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                log.exception("ledger.listener_failed", change=change)
