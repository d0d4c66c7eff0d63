"""A client of the distributed runtime's Redis (it connects on first use)."""

from __future__ import annotations

from typing import Any


def redis_client(url: str, timeout: float = 5.0) -> Any:
    """A client whose every call gives up after `timeout` seconds (Redis is fast state, never
    worth a long wait: each user falls back without it)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
