"""Who may use the web interface and the API: passwords, login sessions and API tokens.

Passwords are hashed with Argon2id (memory-hard; argon2-cffi's defaults, re-hashed when the
parameters change). Sessions and API tokens are random bearer secrets of which only a
SHA-256 digest is stored, so a copy of the store lets nobody in (an SQLite file; in the
distributed runtime a schema of the shared database, so a session opened on one web node is
good on every other: channels/local_db.py). Each session carries its own
CSRF token. Every password check is counted *before* it runs, in one write transaction, so
parallel guesses cannot outrun the count: at most `MAX_FAILURES` failed checks per user name
and `MAX_ADDRESS_FAILURES` per client address within `LOCKOUT`; past that the name (known or
not, so the answer never says whether a user exists) is refused without checking anything.

How a person proved who they are is recorded per session (`via`): a unified identity
provider (统一身份认证, OIDC) plugs in as another way to open a session for a known user.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from channels.local_db import Place, columns_of, open_local_db, write_transaction
from events.log import get_logger
from workflows.errors import DomainError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

log = get_logger(__name__)

MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 30
LOCKOUT = timedelta(minutes=15)
SESSION_IDLE = timedelta(minutes=30)
SESSION_MAX = timedelta(hours=10)
MIN_PASSWORD = 10
MIN_STRENGTH = 3  # zxcvbn's score (0-4): 3 resists an offline guessing attack of 10^8 tries
TOKEN_LIFETIME = timedelta(days=90)
TOKEN_PREFIX = "hubt_"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS passwords (
        user_id TEXT PRIMARY KEY, hash TEXT NOT NULL, changed_at TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0, locked_until TEXT)""",
    """CREATE TABLE IF NOT EXISTS sessions (
        digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, csrf TEXT NOT NULL, via TEXT NOT NULL,
        created_at TEXT NOT NULL, seen_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id)",
    # One row per password check that has not (yet) succeeded: scope 'user' or 'addr'.
    """CREATE TABLE IF NOT EXISTS login_attempts (
        id INTEGER PRIMARY KEY, scope TEXT NOT NULL, key TEXT NOT NULL, at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS login_attempts_key ON login_attempts (scope, key, at)",
    """CREATE TABLE IF NOT EXISTS api_tokens (
        digest TEXT PRIMARY KEY, token_id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
        name TEXT NOT NULL, created_at TEXT NOT NULL, used_at TEXT, revoked_at TEXT)""",
)
# Columns added after the first release (an older file gains them when opened).
_ADDED_COLUMNS = (("api_tokens", "expires_at", "TEXT"),)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Session:
    """A logged-in browser: the session's user and its CSRF token."""

    user_id: str
    csrf: str
    via: str
    token: str = ""  # the cookie value; only known right after login


@dataclass(frozen=True)
class ApiToken:
    token_id: str
    user_id: str
    name: str
    created_at: str
    used_at: str | None
    revoked_at: str | None
    expires_at: str | None = None


class LoginStore:
    """Credentials, sessions and API tokens of the hub's users (thread-safe)."""

    def __init__(self, place: Place, hasher: PasswordHasher | None = None) -> None:
        self._db = open_local_db(place, _SCHEMA)
        for table, column, kind in _ADDED_COLUMNS:
            # Looked for inside the write transaction: processes starting together (web nodes,
            # workers sharing one database) add it once.
            with write_transaction(self._db):
                if column not in columns_of(self._db, table):
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._lock = threading.Lock()
        self._hasher = hasher

    @functools.cached_property
    def hasher(self) -> PasswordHasher:
        """Argon2id, loaded by the first command that hashes or verifies a password."""
        if self._hasher is not None:
            return self._hasher
        from argon2 import PasswordHasher

        return PasswordHasher()

    @functools.cached_property
    def _dummy(self) -> str:
        """Verified against when the user is unknown, so both answers take as long."""
        return self.hasher.hash(secrets.token_hex(16))

    # -- passwords -----------------------------------------------------------------------

    def set_password(self, user_id: str, password: str, user_inputs: tuple[str, ...] = ()) -> None:
        """Set (or replace) a user's password; ends the user's sessions and API tokens."""
        require_strong(password, (user_id, *user_inputs))
        hashed = self.hasher.hash(password)
        with self._lock, write_transaction(self._db):
            self._db.execute(
                "INSERT INTO passwords (user_id, hash, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, "
                "changed_at = excluded.changed_at",
                (user_id, hashed, _now().isoformat()),
            )
            self._db.execute(
                "DELETE FROM login_attempts WHERE scope = 'user' AND key = ?", (user_id,)
            )
            self._db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            self._db.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                (_now().isoformat(), user_id),
            )
        log.info("login.password_set", user_id=user_id)

    def has_password(self, user_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM passwords WHERE user_id = ?", (user_id,)
            ).fetchone()
        return row is not None

    def verify(
        self, user_id: str, password: str, now: datetime | None = None, address: str = ""
    ) -> bool:
        """Check a password; raises LOGIN_LOCKED while the name or the address is locked out.

        The attempt is counted as a failure before Argon2 runs and uncounted only if the
        password was right, so no number of parallel requests checks more than the limit."""
        now = now or _now()
        attempts = self._reserve(user_id, address, now)
        with self._lock:
            row = self._db.execute(
                "SELECT hash FROM passwords WHERE user_id = ?", (user_id,)
            ).fetchone()
        hashed = row[0] if row else self._dummy
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            log.warning("login.failed", user_id=user_id, address=address)
            return False
        if row is None:
            return False  # the dummy hash of an unknown user never matches anyway
        with self._lock, write_transaction(self._db):
            self._db.execute(
                f"DELETE FROM login_attempts WHERE id IN ({','.join('?' * len(attempts))})",
                attempts,
            )
            if self.hasher.check_needs_rehash(hashed):
                self._db.execute(
                    "UPDATE passwords SET hash = ? WHERE user_id = ?",
                    (self.hasher.hash(password), user_id),
                )
        return True

    def _reserve(self, user_id: str, address: str, now: datetime) -> list[int]:
        """Count this attempt for the name and the address, or refuse it if either is over
        its limit within the lockout window (one transaction: check and count together)."""
        since = (now - LOCKOUT).isoformat()
        keys = [("user", user_id[:128], MAX_FAILURES)]
        if address:
            keys.append(("addr", address[:64], MAX_ADDRESS_FAILURES))
        with self._lock, write_transaction(self._db):
            self._db.execute("DELETE FROM login_attempts WHERE at < ?", (since,))
            for scope, key, limit in keys:
                (count,) = self._db.execute(
                    "SELECT COUNT(*) FROM login_attempts WHERE scope = ? AND key = ? AND at >= ?",
                    (scope, key, since),
                ).fetchone()
                if count >= limit:
                    log.warning("login.locked", user_id=user_id, address=address, scope=scope)
                    raise DomainError(
                        "LOGIN_LOCKED", "连续输错密码次数过多，已临时锁定，请 15 分钟后再试"
                    )
            return [
                int(
                    self._db.execute(
                        "INSERT INTO login_attempts (scope, key, at) VALUES (?, ?, ?) RETURNING id",
                        (scope, key, now.isoformat()),
                    ).fetchone()[0]
                )
                for scope, key, _ in keys
            ]

    def unlock(self, user_id: str) -> None:
        """Forget the failed attempts of a user name (an administrator's `hub passwd`)."""
        with self._lock, write_transaction(self._db):
            self._db.execute(
                "DELETE FROM login_attempts WHERE scope = 'user' AND key = ?", (user_id,)
            )

    # -- sessions ------------------------------------------------------------------------

    def open_session(self, user_id: str, via: str = "password") -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        stamp = _now().isoformat()
        with self._lock, write_transaction(self._db):
            self._db.execute(
                "INSERT INTO sessions (digest, user_id, csrf, via, created_at, seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (_digest(token), user_id, csrf, via, stamp, stamp),
            )
        log.info("login.session_opened", user_id=user_id, via=via)
        return Session(user_id, csrf, via, token)

    def session(self, token: str, now: datetime | None = None) -> Session | None:
        """The live session of a cookie value (its idle timer restarts), or None."""
        if not token:
            return None
        now = now or _now()
        digest = _digest(token)
        with self._lock:
            row = self._db.execute(
                "SELECT user_id, csrf, via, created_at, seen_at FROM sessions WHERE digest = ?",
                (digest,),
            ).fetchone()
        if row is None:
            return None
        user_id, csrf, via, created, seen = row
        if (
            now - datetime.fromisoformat(seen) > SESSION_IDLE
            or now - datetime.fromisoformat(created) > SESSION_MAX
        ):
            self.close_session(token)
            return None
        self._touch("UPDATE sessions SET seen_at = ? WHERE digest = ?", digest, seen, now)
        return Session(user_id, csrf, via)

    def _touch(self, sql: str, digest: str, last: str | None, now: datetime) -> None:
        """Record a use of a session or token, at most once a minute (reads stay reads)."""
        if last is None or now - datetime.fromisoformat(last) > timedelta(minutes=1):
            with self._lock, write_transaction(self._db):
                self._db.execute(sql, (now.isoformat(), digest))

    def close_session(self, token: str) -> None:
        with self._lock, write_transaction(self._db):
            self._db.execute("DELETE FROM sessions WHERE digest = ?", (_digest(token),))

    # -- API tokens ----------------------------------------------------------------------

    def create_token(
        self, user_id: str, name: str, lifetime: timedelta = TOKEN_LIFETIME
    ) -> tuple[ApiToken, str]:
        """A new API token that expires after `lifetime` (and with a password change); the
        secret is returned once and never stored."""
        if not timedelta(minutes=1) <= lifetime <= timedelta(days=366):
            raise DomainError("TOKEN_LIFETIME_INVALID", "令牌有效期须在 1 分钟到 366 天之间")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = _now()
        token = ApiToken(secrets.token_hex(6), user_id, name.strip() or "api", now.isoformat(),
                         None, None, (now + lifetime).isoformat())  # fmt: skip
        with self._lock, write_transaction(self._db):
            self._db.execute(
                "INSERT INTO api_tokens (digest, token_id, user_id, name, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (_digest(secret), token.token_id, user_id, token.name, token.created_at,
                 token.expires_at),
            )  # fmt: skip
        log.info("login.token_created", user_id=user_id, token_id=token.token_id)
        return token, secret

    def token_user(self, secret: str, now: datetime | None = None) -> str | None:
        """The user of a live (unrevoked, unexpired) API token, or None."""
        owner = self.token_owner(secret, now)
        return owner[0] if owner is not None else None

    def token_owner(self, secret: str, now: datetime | None = None) -> tuple[str, str] | None:
        """The user and the id of a live (unrevoked, unexpired) API token, or None."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        now = now or _now()
        digest = _digest(secret)
        with self._lock:
            row = self._db.execute(
                "SELECT user_id, used_at, created_at, expires_at, token_id "
                "FROM api_tokens WHERE digest = ? AND revoked_at IS NULL",
                (digest,),
            ).fetchone()
        if row is None:
            return None
        created, expires = row[2], row[3]
        ends = (
            datetime.fromisoformat(expires)
            if expires  # tokens made before expiry was recorded live the default lifetime
            else datetime.fromisoformat(created) + TOKEN_LIFETIME
        )
        if now >= ends:
            return None
        self._touch("UPDATE api_tokens SET used_at = ? WHERE digest = ?", digest, row[1], _now())
        return str(row[0]), str(row[4])

    def tokens(self, user_id: str | None = None) -> list[ApiToken]:
        sql = (
            "SELECT token_id, user_id, name, created_at, used_at, revoked_at, expires_at "
            "FROM api_tokens"
        )
        params: tuple[str, ...] = ()
        if user_id:
            sql, params = sql + " WHERE user_id = ?", (user_id,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created_at", params).fetchall()
        return [ApiToken(*row) for row in rows]

    def revoke_token(self, token_id: str, user_id: str | None = None) -> None:
        sql = "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL"
        params: tuple[str, ...] = (_now().isoformat(), token_id)
        if user_id:
            sql, params = sql + " AND user_id = ?", (*params, user_id)
        with self._lock, write_transaction(self._db):
            changed = self._db.execute(sql, params).rowcount
        if not changed:
            raise DomainError("TOKEN_NOT_FOUND", f"没有可吊销的令牌 {token_id}")
        log.info("login.token_revoked", token_id=token_id)

    def close(self) -> None:
        self._db.close()


def require_strong(password: str, user_inputs: tuple[str, ...] = ()) -> None:
    """Refuse short, common or patterned passwords (zxcvbn: dictionaries of common passwords,
    names and words, keyboard walks, repeats, sequences, dates; the user's own name counts)."""
    if len(password) < MIN_PASSWORD:
        raise DomainError("PASSWORD_TOO_SHORT", f"密码至少 {MIN_PASSWORD} 个字符")
    if len(password) > 256:
        raise DomainError("PASSWORD_TOO_LONG", "密码最多 256 个字符")
    from zxcvbn import zxcvbn  # its dictionaries load in 50 ms: only when a password is set

    verdict = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
    if verdict["score"] < MIN_STRENGTH:
        raise DomainError(
            "PASSWORD_TOO_WEAK",
            "密码过于简单（常见密码、重复或连续字符、键盘顺序、日期或含用户名），"
            "请使用更长且不易猜测的密码，例如几个不相关的词加数字",
        )
