"""Both token stores keep one contract (the embedded runtime's SQLite file, the distributed
runtime's Redis on a real server): a token per account, a guarded drop, one fetch at a time
across threads; and WeChat clients of two "machines" sharing a Redis store fetch one token."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from channels.tokens import CachedToken, TokenStore
from channels.tokens_redis import RedisTokenStore
from channels.wechat.api import WeChatApi
from hub.runtime.server import BackgroundServer
from sandboxes.wechat import WeChatSandbox
from tests.channels.test_wechat_sandbox import APPID, SECRET


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        yield TokenStore(tmp_path / "tokens.sqlite3")
        return
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    prefix = f"test:{time.monotonic_ns()}:"
    yield RedisTokenStore(client, prefix=prefix)
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)
    client.close()


def test_a_token_per_account(store: Any) -> None:
    assert store.get("a") is None
    store.put("a", CachedToken("t1", 2_000_000_000.5))
    store.put("b", CachedToken("t2", 2_000_000_100.0))
    assert store.get("a") == CachedToken("t1", 2_000_000_000.5)
    store.put("a", CachedToken("t3", 2_000_000_200.0))
    assert store.get("a") == CachedToken("t3", 2_000_000_200.0)
    store.forget("b")
    assert store.get("b") is None


def test_drop_only_the_token_the_caller_saw(store: Any) -> None:
    store.put("a", CachedToken("new", 2_000_000_000.0))
    store.drop("a", "old")  # another worker already replaced it
    assert store.get("a") == CachedToken("new", 2_000_000_000.0)
    store.drop("a", "new")
    assert store.get("a") is None


def test_one_fetch_at_a_time(store: Any) -> None:
    inside, most = [0], [0]
    lock = threading.Lock()

    def fetch() -> None:
        with store.refreshing("a"):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.02)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_two_machines_share_one_wechat_token_through_redis(redis_url: str) -> None:
    sandbox = WeChatSandbox()
    sandbox.add_account(APPID, SECRET)
    server = BackgroundServer(sandbox.app()).start()
    try:
        prefix = f"test:{time.monotonic_ns()}:"
        machines = [
            WeChatApi(server.url, APPID, SECRET,
                      RedisTokenStore(redis.Redis.from_url(redis_url), prefix=prefix))
            for _ in range(2)
        ]  # fmt: skip
        tokens = [machines[n % 2].token() for n in range(6)]
        assert len(set(tokens)) == 1
        assert len(sandbox.accounts[APPID].stable) == 1  # fetched once for both
        # One machine finds the token refused: both move to the new one, fetched once.
        sandbox.stable_token(APPID, SECRET, force_refresh=True)
        assert machines[0].call("/cgi-bin/draft/count", method="GET")["total_count"] == 0
        assert machines[1].token() == machines[0].token() != tokens[0]
    finally:
        server.stop()
