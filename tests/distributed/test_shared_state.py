"""What the processes share in Redis: liveness, the accounts' rate limits, word of the
delivery ledger's commits (a real Redis server, restarted; a Redis that does not answer)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis

from hub.distributed.ledger_channel import LedgerPublisher, ledger_follower
from hub.distributed.liveness import Liveness
from hub.distributed.rate_limits import RedisRateLimiter
from tests.servers import RedisServer

pytestmark = pytest.mark.slow


def test_an_accounts_rate_limit_holds_across_workers(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    first = RedisRateLimiter(client, "rl1", rate=0.5, burst=3)
    second = RedisRateLimiter(client, "rl1", rate=0.5, burst=3)  # another worker
    taken = [first.take("app:a", 0), second.take("app:a", 0), first.take("app:a", 0)]
    assert taken == [True, True, True]
    assert not second.take("app:a", 0) and not first.take("app:a", 0)
    assert first.take("app:b", 0), "each account has its own bucket"
    time.sleep(2.2)  # half a token a second: one more
    assert second.take("app:a", 0) and not first.take("app:a", 0)


def test_without_redis_a_worker_limits_on_its_own() -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    limiter = RedisRateLimiter(dead, "rl2", rate=0.001, burst=2)
    assert [limiter.take("app:a", 0.0) for _ in range(3)] == [True, True, False]


def test_liveness_expires_and_a_worker_cut_off_stops_itself(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    mine = Liveness(client, "lv", "w1", ttl=1.0)
    other = Liveness(client, "lv", "w2", ttl=1.0)
    assert mine.beat() and mine.current()
    assert other.alive("w1") and not other.alive("w9")
    time.sleep(0.6)
    assert not mine.current(), "half its key's life without renewal: it must not call"
    time.sleep(0.6)
    assert not other.alive("w1"), "the key expired: the others take its attempts over"
    cut_off = Liveness(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2),
                       "lv", "w3")  # fmt: skip
    assert not cut_off.beat() and not cut_off.current()
    assert cut_off.alive("w1"), "unknown while Redis is down: nobody is taken for dead"


@pytest.mark.usefixtures("redis_url")
def test_every_web_node_hears_of_the_ledgers_commits_and_after_a_redis_restart(
    request: pytest.FixtureRequest,
) -> None:
    """A board wakes when any process publishes a ledger commit (well before its fallback
    read), and once when it reconnects after Redis came back (to read what it missed)."""

    async def scenario() -> list[str]:
        heard: list[str] = []
        woken = asyncio.Event()

        def wake() -> None:
            heard.append("wake")
            woken.set()

        async def next_wake(within: float) -> None:
            await asyncio.wait_for(woken.wait(), within)
            woken.clear()

        follower = asyncio.create_task(ledger_follower(redis_url, "lc")(wake))
        publisher = LedgerPublisher(redis.Redis.from_url(redis_url, socket_timeout=2), "lc")
        try:
            await next_wake(5)  # connected: read once
            publisher(7)
            await next_wake(1)
            heard.append("published")
            await asyncio.to_thread(server.restart)
            await next_wake(15)  # reconnected: read what was missed
            heard.append("reconnected")
            publisher(8)  # the publisher's own connection recovers too
            await next_wake(3)
        finally:
            follower.cancel()
            publisher.close()
        return heard

    server: RedisServer = request.getfixturevalue("redis")
    redis_url = server.url
    assert asyncio.run(scenario()) == ["wake", "wake", "published", "wake", "reconnected", "wake"]


def test_a_ledger_publisher_never_holds_up_a_commit_when_redis_is_down() -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=2, socket_timeout=2)
    publisher = LedgerPublisher(dead, "lc2")
    started = time.monotonic()
    for change in range(1, 1001):
        publisher(change)
    assert time.monotonic() - started < 0.1
    publisher.close()
