"""The live delivery board's one reader per process: when the ledger's projection commits
(hub/delivery/ledger_signal.py; from another machine, through Redis in the distributed
runtime), it reads the rows changed since the last commit it saw, once, and hands each open
board the rows its filter and its user may see; boards never query the store on their own (a
hundred open boards cost one read per change). Reads are at least `MIN_GAP_S` apart however
fast the ledger changes, and happen every `FALLBACK_S` even when nobody said so: a change made
by another process of an embedded hub, or a word lost while Redis restarted, shows late, not
never. Commits are numbered in commit order, so no change is skipped whatever its event time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi.concurrency import run_in_threadpool

from hub.delivery.ledger_signal import LedgerSignal
from hub.delivery.operations import DeliveryService

MIN_GAP_S = 0.25
FALLBACK_S = 2.0
READ_LIMIT = 5000
Rows = list[dict[str, Any]]
# Follows another source of word (Redis): calls its argument whenever a commit is heard of,
# and once each time it (re)connects; runs until cancelled.
Remote = Callable[[Callable[[], None]], Coroutine[Any, Any, None]]


@dataclass(eq=False)
class Subscriber:
    """One open board: which rows it wants, and where they go."""

    wants: Callable[[dict[str, Any]], bool]
    queue: asyncio.Queue[Rows] = field(default_factory=lambda: asyncio.Queue(maxsize=100))


class BoardFeed:
    """Broadcasts ledger changes to every open board of this process."""

    def __init__(
        self, deliveries: DeliveryService, signal: LedgerSignal, remote: Remote | None = None
    ) -> None:
        self.deliveries = deliveries
        self.signal = signal
        self.remote = remote
        self.subscribers: set[Subscriber] = set()
        self.reads = 0  # how many times the ledger was read (the tests count it)
        self._task: asyncio.Task[None] | None = None
        self._since = 0

    async def subscribe(
        self, wants: Callable[[dict[str, Any]], bool], since: int | None
    ) -> Subscriber:
        """A board joins; rows changed after commit `since` (the newest when its page was
        made) come first."""
        subscriber = Subscriber(wants)
        self.subscribers.add(subscriber)
        if self._task is None or self._task.done():  # no await between the check and the start
            self._task = asyncio.create_task(self._follow())
        missed = await run_in_threadpool(self._read, since) if since is not None else []
        subscriber.queue.put_nowait([r for r in missed if wants(r)])
        return subscriber

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def _read(self, since: int) -> Rows:
        """Rows changed after commit `since`, whole commits only (a read cut short by the
        limit leaves its last commit for the next read, unless that commit is all it has)."""
        rows = self.deliveries.changed_since(since, READ_LIMIT)
        if len(rows) == READ_LIMIT and rows[0]["change"] != rows[-1]["change"]:
            last = rows[-1]["change"]
            rows = [r for r in rows if r["change"] != last]
        return rows

    async def _follow(self) -> None:
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()

        def wake() -> None:
            woken.set()

        def heard(_: int) -> None:  # on the committing thread
            loop.call_soon_threadsafe(woken.set)

        self.signal.listen(heard)
        remote = asyncio.create_task(self.remote(wake)) if self.remote else None
        try:
            self._since = await run_in_threadpool(self.deliveries.latest_change)
            while self.subscribers:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), FALLBACK_S)
                told = woken.is_set()
                woken.clear()
                self.reads += 1
                rows = await run_in_threadpool(self._read, self._since)
                if rows:
                    self._since = rows[-1]["change"]
                    self._hand_out(rows)
                elif not told:  # the ledger rebuilt: its numbers start again
                    self._since = min(self._since, await run_in_threadpool(
                        self.deliveries.latest_change))  # fmt: skip
                await asyncio.sleep(MIN_GAP_S)
        finally:
            self.signal.stop_listening(heard)
            if remote is not None:
                remote.cancel()

    def _hand_out(self, rows: Rows) -> None:
        for subscriber in list(self.subscribers):
            mine = [r for r in rows if subscriber.wants(r)]
            if mine:
                with contextlib.suppress(asyncio.QueueFull):  # a stuck board skips a change
                    subscriber.queue.put_nowait(mine)
