"""Secrets the channels need (JPush master secrets, screen tokens), kept out of config/.

A secret named `jpush/sf-app` is read from the environment variable `HUB_SECRET_JPUSH_SF_APP`
if set, else from the secrets file (JSON, mode 0600, beside the database). For accounts that
talk to the local sandboxes, and for the hub's own screen tokens, a missing secret is
generated and stored on first use. Values are never logged.

In the distributed runtime every machine must see the same generated secrets (a screen's
token made on one web node must open it on the next; a WeChat callback key made by a worker
must decrypt on the web node the platform calls): they are kept in a schema of the shared
database (`shared`), made once by whichever process asks first. The secrets an operator
provides stay in the environment or the file, copied to each machine like hub.yaml.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from channels.local_db import Place, open_local_db, write_transaction
from events.integrity import AuditKey

AUDIT_KEY = "audit/key"  # HUB_SECRET_AUDIT_KEY


def env_name(name: str) -> str:
    """The environment variable that overrides secret `name`."""
    return "HUB_SECRET_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


_SHARED_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class SecretStore:
    """Named secrets: environment first, then the file (then the shared store, when there is
    one); generated on request."""

    def __init__(self, path: Path, shared: Place | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._shared = open_local_db(shared, _SHARED_SCHEMA) if shared is not None else None

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def get(
        self, name: str, generate: bool = False, size: int = 24, local: bool = False
    ) -> str | None:
        """The secret, or None (a new random one of `size` bytes when `generate`). A `local`
        secret is never kept in the shared database (the audit key must not be in the
        database it protects): the environment or this machine's file."""
        value = os.environ.get(env_name(name))
        if value:
            return value
        stored = self._read()  # a whole file: it is only ever replaced by a rename
        if name in stored:
            return stored[name]
        if self._shared is not None and not local:
            return self._shared_get(name, generate, size)
        if not generate:
            return None
        with self._lock, self._across_processes():
            stored = self._read()  # again: another process may have made it meanwhile
            if name not in stored:
                stored[name] = secrets.token_urlsafe(size)
                self._write(stored)
            return stored[name]

    def _shared_get(self, name: str, generate: bool, size: int) -> str | None:
        assert self._shared is not None
        db = self._shared
        with self._lock:
            row = db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
            if row is not None or not generate:
                return str(row[0]) if row is not None else None
            with write_transaction(db):  # two machines at once: the first one's stays
                db.execute("INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           (name, secrets.token_urlsafe(size)))  # fmt: skip
                row = db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
            return str(row[0])

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()

    @contextmanager
    def _across_processes(self) -> Iterator[None]:
        """One writer at a time among the processes of this machine (workers started together
        each generate the sandboxes' secrets: without this one's secret replaced another's)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _write(self, data: dict[str, str]) -> None:
        handle, temporary = tempfile.mkstemp(prefix=self.path.name + ".",
                                             dir=self.path.parent)  # fmt: skip
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
        os.replace(temporary, self.path)


def audit_key(secrets: SecretStore) -> AuditKey:
    """The key that seals the log and signs its checkpoints: from the environment
    (`HUB_SECRET_AUDIT_KEY`) or this machine's secrets file, made there on first use, never in
    the database. Machines writing one shared log need the same key: copy the secrets file, or
    set the variable, on each."""
    secret = secrets.get(AUDIT_KEY, generate=True, size=32, local=True)
    assert secret is not None
    return AuditKey(secret)
