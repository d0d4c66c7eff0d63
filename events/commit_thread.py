"""The thread that commits a store's appends for asyncio callers (they have no thread of their
own to lead a group commit with).

What a one-worker `ThreadPoolExecutor` did, without its bookkeeping: a submit made a future
(with its condition variable), a work item and a semaphore check, and the worker settled the
future and released a semaphore after each batch — for a result nobody read. Here a wake-up
is one item on a queue. The loop and this thread take turns on every group commit, so what
either spends on the hand-over lengthens every cycle.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from queue import SimpleQueue

from events.log import get_logger

log = get_logger(__name__)


class CommitThread:
    """Runs `work` (a store's method) once per `wake()`, in order, on one thread; `close()`
    runs what was woken before it and stops the thread. `wake()` after `close()` raises
    RuntimeError. The thread holds its store weakly: a store dropped unclosed stops it."""

    def __init__(self, work: Callable[[], None], name: str = "store-commit") -> None:
        self._work = weakref.WeakMethod(work)
        self._woken: SimpleQueue[bool] = SimpleQueue()
        weakref.finalize(work.__self__, self._woken.put, False)  # type: ignore[attr-defined]
        self._lock = threading.Lock()  # a wake-up is queued before the close, or refused
        self._closed = False
        # A daemon: a process that exits without closing its store must not hang on it
        # (an unfinished SQLite or PostgreSQL transaction is simply not committed).
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the commit thread is closed")
            self._woken.put(True)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._woken.put(False)
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def _run(self) -> None:
        while self._woken.get():
            work = self._work()
            if work is None:
                return
            try:
                work()
            except BaseException:  # the commit answers its callers; the thread must go on
                log.exception("store.commit_thread_failed")
            del work  # parked, the thread must not keep its store alive
