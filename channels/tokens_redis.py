"""Channel access tokens in Redis, shared by workers on several machines (the distributed
runtime); the same contract as the embedded runtime's SQLite `TokenStore` (channels/tokens.py).

Each account's token is a hash `<prefix><account>` {value, expires_at}, kept an hour past its
expiry (so health views can say "expired"). Replacing is guarded: `drop` deletes only the value
the caller saw (a Lua compare-and-delete), and one worker at a time fetches a new token under
a Redis lock (redis-py's `Lock`: SET NX PX with a random owner token, released by a script),
which expires by itself if its holder dies. Tokens are secrets: the Redis server must be on a
protected network with a password or ACL, as for any shared session store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from channels.tokens import CachedToken

KEEP_AFTER_EXPIRY_S = 3600
LOCK_TIMEOUT_S = 30.0  # a fetch takes one API call; a dead holder's lock lapses after this
_DROP_IF_SAME = """
if redis.call('HGET', KEYS[1], 'value') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisTokenStore:
    """Tokens by account id in Redis (`client`: a `redis.Redis`)."""

    def __init__(self, client: Any, prefix: str = "hub:token:") -> None:
        self.client = client
        self.prefix = prefix
        self._drop = client.register_script(_DROP_IF_SAME)

    def _key(self, account: str) -> str:
        return self.prefix + account

    def get(self, account: str) -> CachedToken | None:
        value, expires_at = self.client.hmget(self._key(account), "value", "expires_at")
        if value is None or expires_at is None:
            return None
        return CachedToken(_text(value), float(expires_at))

    def put(self, account: str, token: CachedToken) -> None:
        key = self._key(account)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"value": token.value, "expires_at": repr(token.expires_at)})
            pipe.expireat(key, int(token.expires_at) + KEEP_AFTER_EXPIRY_S)
            pipe.execute()

    def drop(self, account: str, value: str) -> None:
        """Forget the account's token if it is still `value`."""
        self._drop(keys=[self._key(account)], args=[value])

    def forget(self, account: str) -> None:
        self.client.delete(self._key(account))

    @contextmanager
    def refreshing(self, account: str) -> Iterator[None]:
        """Held while one worker (of any machine) fetches the account's token."""
        lock = self.client.lock(f"{self.prefix}lock:{account}", timeout=LOCK_TIMEOUT_S,
                                blocking_timeout=LOCK_TIMEOUT_S + 5)  # fmt: skip
        with lock:
            yield


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
