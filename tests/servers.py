"""Real servers the tests start on 127.0.0.1 and stop after: a Redis server (Debian's
`redis-server`, installed by scripts/test). Without the program the tests that need it are
skipped with the reason, unless HUB_REQUIRE_SERVERS=1 (set by scripts/test, so CI fails
instead of skipping)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _missing(program: str) -> None:
    message = f"{program} not installed: run the suite with ./scripts/test"
    if os.environ.get("HUB_REQUIRE_SERVERS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of its own for the session (no persistence), as a redis:// URL."""
    program = shutil.which("redis-server")
    if program is None:
        _missing("redis-server")
    folder: Path = tmp_path_factory.mktemp("redis")
    port = _free_port()
    server = subprocess.Popen(
        [str(program), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)
