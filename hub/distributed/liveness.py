"""Which workers are alive, in Redis: each delivery worker renews a key of its own every
second (`ttl` 3 s). A worker whose key expired has stopped, or is cut off from Redis; in the
second case it stops calling channels by itself before its key can expire (`current`), so
whoever takes its attempts over never races it (a fence kept by the worker itself).

Redis holds nothing here that the store cannot do without: after a Redis restart every worker
renews its key within a second, and until then nobody is taken for dead too early, only later
(an attempt then waits for its lease to lapse, as in the embedded runtime)."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from redis.exceptions import RedisError

from events.log import get_logger

log = get_logger(__name__)


class Liveness:
    """This worker's heartbeat, and the others' (see the module's docstring)."""

    def __init__(self, client: Any, prefix: str, worker: str, ttl: float = 3.0) -> None:
        self.client = client
        self.prefix = prefix
        self.worker = worker
        self.ttl = ttl
        self._renewed = float("-inf")  # monotonic time of the last renewal Redis confirmed

    def _key(self, worker: str) -> str:
        return f"{self.prefix}:alive:{worker}"

    def beat(self) -> bool:
        """Renew this worker's key; whether Redis took it."""
        started = time.monotonic()
        try:
            self.client.set(self._key(self.worker), "1", px=int(self.ttl * 1000))
        except RedisError as exc:
            log.warning("liveness.renew_failed", worker=self.worker, error=str(exc))
            return False
        self._renewed = started
        return True

    def current(self) -> bool:
        """Whether this worker can be sure the others still count it alive (its last renewal
        is younger than half the key's life)."""
        return time.monotonic() - self._renewed < self.ttl / 2

    def alive(self, worker: str) -> bool:
        """Whether `worker` renewed its key lately (unknown while Redis is down: alive)."""
        try:
            return bool(self.client.exists(self._key(worker)))
        except RedisError:
            return True

    def keep_beating(self, stop: threading.Event) -> threading.Thread:
        """Renew the key every `ttl / 6` seconds until `stop` is set (then remove it)."""

        def loop() -> None:
            while not stop.is_set():
                self.beat()
                stop.wait(self.ttl / 6)
            with contextlib.suppress(RedisError):
                self.client.delete(self._key(self.worker))

        thread = threading.Thread(target=loop, name="liveness", daemon=True)
        thread.start()
        return thread
