"""Real servers the tests start on 127.0.0.1 and stop after: a Redis server (Debian's
`redis-server`) and a PostgreSQL server (Debian's `postgresql`), both installed by
scripts/test. Without the program the tests that need it are skipped with the reason, unless
HUB_REQUIRE_SERVERS=1 (set by scripts/test, so CI fails instead of skipping).

`postgres_server` is also what `python -m bench.lifecycle --store postgresql` starts."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server's programs (Debian keeps them per version)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)  # fmt: skip
    if found:
        return found[-1].parent
    program = shutil.which("pg_ctl")
    return Path(program).parent if program else None


@contextmanager
def postgres_server(*, durable: bool = False) -> Iterator[str]:
    """A PostgreSQL server of its own in a fresh folder, as the URL of its `postgres`
    database; stopped and removed after. `durable=False` turns off fsync (tests); the
    benchmark runs with the defaults (fsync=on, synchronous_commit=on)."""
    programs = postgres_bin()
    if programs is None:
        _missing("postgresql")
        raise AssertionError  # unreachable: _missing fails or skips
    # The server refuses to run as root: as root, it runs as the `postgres` user, in a folder
    # that user owns (pytest's own temporary folders are private to root).
    folder = Path(tempfile.mkdtemp(prefix="hub-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        folder.chmod(0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"
    subprocess.run([*as_user, str(programs / "initdb"), "-D", str(data), "-U", "postgres",
                    "-A", "trust", "-E", "UTF8", "--no-sync"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-l",
                    str(folder / "server.log"), "-w", "-t", "60", "-o", options, "start"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "-w", "stop"], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Create an empty database on the server; its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The session's PostgreSQL server (its `postgres` database)."""
    with postgres_server() as url:
        yield url


_databases = itertools.count(1)


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """An empty database of its own for one test."""
    return fresh_database(postgres_url, f"t{next(_databases)}")


@pytest.fixture(name="database", params=["sqlite", "postgresql"])
def both_databases(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The `database` fixture for modules whose tests run on both databases (import it)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "hub.sqlite3")
