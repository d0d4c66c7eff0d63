"""Users first: the commands users are waiting for in this process, and a gate where the
background work (the delivery engine's rounds and channel calls) waits for them to finish.

In the embedded runtime the web requests and the engine share one interpreter, and every
SQLite call releases and re-takes the GIL: with the engine's threads busy on a province
fan-out, a reviewer's click that commits takes several times its quiet cost. The engine
yields for a moment instead (bounded, so a stream of clicks never stops delivery)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

YIELD_LIMIT_S = 0.1  # the longest one yield waits


class Foreground:
    """Counts the commands in flight; `yield_to_users` waits (briefly) until there are none."""

    def __init__(self) -> None:
        self._idle = threading.Condition()
        self._running = 0

    @contextmanager
    def command(self) -> Iterator[None]:
        with self._idle:
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                if not self._running:
                    self._idle.notify_all()

    def yield_to_users(self, limit: float = YIELD_LIMIT_S) -> None:
        with self._idle:
            if self._running:
                self._idle.wait_for(lambda: not self._running, timeout=limit)

    @property
    def running(self) -> int:
        return self._running
