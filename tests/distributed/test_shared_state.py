"""What delivery workers share in Redis: liveness, and the accounts' rate limits (a real Redis
server; a Redis that does not answer)."""

from __future__ import annotations

import time

import pytest
import redis

from hub.distributed.liveness import Liveness
from hub.distributed.rate_limits import RedisRateLimiter

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
