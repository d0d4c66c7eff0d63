"""Secrets the channels need (JPush master secrets, screen tokens), kept out of config/.

A secret named `jpush/sf-app` is read from the environment variable `HUB_SECRET_JPUSH_SF_APP`
if set, else from the secrets file (JSON, mode 0600, beside the database). For accounts that
talk to the local sandboxes, and for the hub's own screen tokens, a missing secret is
generated and stored on first use. Values are never logged.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
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
        with self._lock:
            stored = self._read()
            if name in stored or not generate:
                return stored.get(name)
            stored[name] = secrets.token_urlsafe(size)
            self._write(stored)
            return stored[name]

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
        os.replace(temporary, self.path)
