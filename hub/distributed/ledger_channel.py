"""The delivery ledger's commits heard on every web node: whoever folds the ledger (a
delivery worker, a projection worker, a web node retrying a delivery) publishes each
commit's number on the Redis channel `<prefix>:ledger` (hub/delivery/ledger_signal.py), and
each web node's board follows the channel (hub/web/board.py) and reads the rows changed.

Redis holds nothing here: a number published while a web node is cut off is lost, and the
board reads what it missed when it reconnects (and every few seconds in any case). Publishing
never holds up a commit: a thread of its own sends the newest number, and drops it while
Redis does not answer."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from redis.exceptions import RedisError

from events.log import get_logger
from hub.delivery.ledger_signal import LedgerSignal

log = get_logger(__name__)

RECONNECT_S = 1.0


def ledger_channel(prefix: str) -> str:
    return f"{prefix}:ledger"


class LedgerPublisher:
    """A listener of the ledger's signal that publishes its numbers on Redis."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.channel = ledger_channel(prefix)
        self._newest = 0
        self._sent = 0
        self._pending = threading.Event()
        self._closed = False
        self._down = False
        self._thread = threading.Thread(target=self._send, name="ledger-publisher", daemon=True)
        self._thread.start()

    def __call__(self, change: int) -> None:
        self._newest = max(self._newest, change)
        self._pending.set()

    def _send(self) -> None:
        while not self._closed:
            self._pending.wait()
            self._pending.clear()
            change = self._newest
            if self._closed or change == self._sent:
                continue
            try:
                self.client.publish(self.channel, str(change))
            except RedisError as exc:
                if not self._down:
                    log.warning("ledger.publish_failed", error=str(exc))
                self._down = True
                continue
            self._down = False
            self._sent = change

    def close(self) -> None:
        self._closed = True
        self._pending.set()
        self._thread.join(timeout=5)


def ledger_follower(
    url: str, prefix: str
) -> Callable[[Callable[[], None]], Coroutine[Any, Any, None]]:
    """A board's remote source (hub/web/board.py `Remote`): wakes the board on every number
    published, and once after each (re)connection so it reads what it missed meanwhile."""
    channel = ledger_channel(prefix)

    async def follow(wake: Callable[[], None]) -> None:
        import redis.asyncio

        down = False
        while True:
            client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=5)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(channel)
                    if down:
                        log.info("ledger.follow_resumed")
                    down = False
                    wake()
                    while True:
                        message = await pubsub.get_message(timeout=5.0)
                        if message is not None:
                            wake()
            except (RedisError, OSError) as exc:
                if not down:
                    log.warning("ledger.follow_failed", error=str(exc))
                down = True
            finally:
                await client.aclose()
            await asyncio.sleep(RECONNECT_S)

    return follow


def publish_ledger(projections: Sequence[Any], client: Any, prefix: str) -> LedgerPublisher:
    """Publish the commits of the ledger projection among `projections` on Redis."""
    publisher = LedgerPublisher(client, prefix)
    for projection in projections:
        signal = getattr(projection, "signal", None)
        if isinstance(signal, LedgerSignal):
            signal.listen(publisher)
    return publisher
