"""Secrets the channels need (JPush master secrets, screen tokens), kept out of config/.

A secret named `jpush/sf-app` is read from the environment variable `HUB_SECRET_JPUSH_SF_APP`
if set, else from the secrets file (JSON, mode 0600, beside the database). For accounts that
talk to the local sandboxes, and for the hub's own screen tokens, a missing secret is
generated and stored on first use. Values are never logged.
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


def env_name(name: str) -> str:
    """The environment variable that overrides secret `name`."""
    return "HUB_SECRET_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


class SecretStore:
    """Named secrets: environment first, then the file; generated on request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def get(self, name: str, generate: bool = False, size: int = 24) -> str | None:
        """The secret, or None (a new random one of `size` bytes when `generate`)."""
        value = os.environ.get(env_name(name))
        if value:
            return value
        stored = self._read()  # a whole file: it is only ever replaced by a rename
        if name in stored or not generate:
            return stored.get(name)
        with self._lock, self._across_processes():
            stored = self._read()  # again: another process may have made it meanwhile
            if name not in stored:
                stored[name] = secrets.token_urlsafe(size)
                self._write(stored)
            return stored[name]

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
