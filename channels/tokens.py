"""Channel access tokens shared by every worker on the machine — WeChat's (fetched through
`stable_token`), Weibo's (from the account holder's authorisation), and open circuits
(`circuit:<account>`) — in one SQLite file (tokens are secrets: the file is made readable by
its owner only). Workers on several machines share them in Redis instead (tokens_redis.py).
A WeChat token is refreshed 5 minutes before it expires — when the platform itself rotates a
stable token — by one worker at a time (a lock file per account), so a fleet makes one fetch.

research/channel-protocols.md 1.2: the classic `/cgi-bin/token` invalidates the previous token
(which breaks several processes sharing one account); `stable_token` returns the same token
while it is valid, and only `force_refresh` (20 a day) replaces it early.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import NamedTuple, Protocol

REFRESH_EARLY_S = 300.0


class CachedToken(NamedTuple):
    value: str
    expires_at: float  # epoch seconds


class Tokens(Protocol):
    """What the channels need of a token store (SQLite here, Redis in tokens_redis.py)."""

    def get(self, account: str) -> CachedToken | None: ...
    def put(self, account: str, token: CachedToken) -> None: ...
    def drop(self, account: str, value: str) -> None: ...
    def forget(self, account: str) -> None: ...
    def refreshing(self, account: str) -> AbstractContextManager[None]: ...


class TokenStore:
    """Tokens by account id, in `path` (created on first use, mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS tokens (account TEXT PRIMARY KEY, token TEXT NOT NULL,"
                " expires_at REAL NOT NULL)"
            )
        os.chmod(path, 0o600)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def get(self, account: str) -> CachedToken | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT token, expires_at FROM tokens WHERE account = ?", (account,)
            ).fetchone()
        return CachedToken(row[0], float(row[1])) if row else None

    def put(self, account: str, token: CachedToken) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO tokens VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET "
                "token = excluded.token, expires_at = excluded.expires_at",
                (account, token.value, token.expires_at),
            )

    def drop(self, account: str, value: str) -> None:
        """Forget the account's token if it is still `value` (another worker may have
        replaced it already)."""
        with self._connect() as conn:
            conn.execute("DELETE FROM tokens WHERE account = ? AND token = ?", (account, value))

    def forget(self, account: str) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM tokens WHERE account = ?", (account,))

    @contextmanager
    def refreshing(self, account: str) -> Iterator[None]:
        """Held while one worker fetches the account's token: threads and processes wait."""
        with self._locks_lock:
            lock = self._locks.setdefault(account, threading.Lock())
        lock_file = self.path.with_name(f"{self.path.name}.{account}.lock")
        with lock, lock_file.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
