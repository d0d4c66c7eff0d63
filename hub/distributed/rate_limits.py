"""Per-account rate limits shared by every delivery worker, in Redis: the engine's token bucket
(`hub.delivery.engine.RateLimiter`) with its state in one hash per account, updated by one
script (atomic, on the server's clock), so an account's calls stay within its limit across a
handover of its partition and whichever worker asks. If Redis does not answer, the worker
falls back to a bucket of its own (an account has one owner at a time: the limit holds)."""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError

from events.log import get_logger
from hub.delivery.engine import RateLimiter

log = get_logger(__name__)

# KEYS[1] the account's bucket; ARGV rate, burst. Returns the tokens left ×1000, or -1 (none).
_TAKE = """
local now = redis.call('TIME')
local clock = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'n', 't')
local n, t = tonumber(state[1]) or burst, tonumber(state[2]) or clock
n = math.min(burst, n + math.max(clock - t, 0) * rate)
local taken = n >= 1
if taken then n = n - 1 end
redis.call('HSET', KEYS[1], 'n', tostring(n), 't', tostring(clock))
redis.call('EXPIRE', KEYS[1], 3600)
if taken then return math.floor(n * 1000) end
return -1
"""


class RedisRateLimiter(RateLimiter):
    """`RateLimiter` whose buckets live in Redis (see the module's docstring)."""

    def __init__(self, client: Any, prefix: str, rate: float = 50.0, burst: float = 50.0) -> None:
        super().__init__(rate=rate, burst=burst)
        self.client = client
        self.prefix = prefix
        self._take = client.register_script(_TAKE)

    def take(self, account: str, clock: float) -> bool:
        try:
            left = int(self._take(keys=[f"{self.prefix}:rate:{account}"],
                                  args=[repr(self.rate), repr(self.burst)]))  # fmt: skip
        except RedisError as exc:
            log.warning("rate_limit.redis_failed", account=account, error=str(exc))
            return super().take(account, clock)
        self.tokens[account] = (max(left, 0) / 1000, clock)  # what health() shows
        return left >= 0
