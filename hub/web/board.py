"""The live delivery board's one poller per process: it reads what changed in the ledger
every half second, once, and hands each open board the rows its filter and its user may see;
boards never query the store on their own (a hundred open boards cost one query a tick)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.concurrency import run_in_threadpool

from hub.delivery.operations import DeliveryService

TICK_S = 0.5
Rows = list[dict[str, Any]]


@dataclass(eq=False)
class Subscriber:
    """One open board: which rows it wants, and where they go."""

    wants: Callable[[dict[str, Any]], bool]
    queue: asyncio.Queue[Rows] = field(default_factory=lambda: asyncio.Queue(maxsize=100))


class BoardFeed:
    """Broadcasts ledger changes to every open board of this process."""

    def __init__(self, deliveries: DeliveryService) -> None:
        self.deliveries = deliveries
        self.subscribers: set[Subscriber] = set()
        self.polls = 0  # how many times the ledger was read (the tests count it)
        self._task: asyncio.Task[None] | None = None
        self._since = ""

    async def subscribe(self, wants: Callable[[dict[str, Any]], bool], since: str) -> Subscriber:
        """A board joins; rows changed since `since` (when its page was made) come first."""
        subscriber = Subscriber(wants)
        self.subscribers.add(subscriber)
        if self._task is None or self._task.done():  # no await between the check and the start
            self._task = asyncio.create_task(self._poll())
        missed = await run_in_threadpool(self.deliveries.changed_since, since) if since else []
        subscriber.queue.put_nowait([r for r in missed if wants(r)])
        return subscriber

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def _poll(self) -> None:
        self._since = await run_in_threadpool(self.deliveries.latest_change)
        while self.subscribers:
            await asyncio.sleep(TICK_S)
            self.polls += 1
            rows = await run_in_threadpool(self.deliveries.changed_since, self._since)
            if not rows:
                continue
            self._since = rows[-1]["updated_at"]
            for subscriber in list(self.subscribers):
                mine = [r for r in rows if subscriber.wants(r)]
                if mine:
                    with contextlib.suppress(asyncio.QueueFull):  # a stuck board skips a tick
                        subscriber.queue.put_nowait(mine)
