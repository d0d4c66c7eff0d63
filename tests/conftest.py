"""Shared fixtures: fresh stores, a copy of the demo configuration, an embedded hub."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from channels.local_db import Place, SharedPlace
from events.sqlite_store import SQLiteEventStore
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging
from tests.servers import pg_url, postgres_url, redis, redis_url  # noqa: F401  (real servers the tests start)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"

configure_logging("warning")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteEventStore]:
    s = SQLiteEventStore(tmp_path / "events.sqlite3")
    yield s
    s.close()


@pytest.fixture
def database(tmp_path: Path) -> str:
    """Where the hub of a test keeps its events: an SQLite file in tmp_path (a module that
    imports `tests.servers.both_databases` runs its tests on PostgreSQL as well)."""
    return str(tmp_path / "hub.sqlite3")


@pytest.fixture
def config_dir(tmp_path: Path, database: str) -> Path:
    """A private copy of the demo configuration whose database is `database`."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    (target / "hub.yaml").write_text(
        f"database: {database}\ndurable: true\nlog_level: warning\n", encoding="utf-8"
    )
    return target


@pytest.fixture(params=["sqlite", "postgresql"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Place]:
    """Where a small store of a test lives (channels/local_db.py), on each kind: `place(name)`
    is an SQLite file in tmp_path, or a schema of a fresh PostgreSQL database (the distributed
    runtime's); the same name is the same store."""
    if request.param == "postgresql":
        url = str(request.getfixturevalue("pg_url"))
        return lambda name: SharedPlace(url, f"hub_{name}")
    return lambda name: tmp_path / f"{name}.sqlite3"


@pytest.fixture
def hub(config_dir: Path) -> Iterator[EmbeddedHub]:
    h = EmbeddedHub.open(config_dir)
    yield h
    h.close()


@pytest.fixture
def html_validator() -> Callable[[Path], list[dict]]:
    """The Nu Html Checker (vnu.jar, fetched by scripts/test): errors in an HTML file."""
    jar = Path(os.environ.get("HUB_VNU_JAR", ROOT / ".cache/vnu/package/build/dist/vnu.jar"))
    if not jar.is_file() or shutil.which("java") is None:
        pytest.skip("vnu.jar or java missing: run the suite with ./scripts/test")

    def validate(page: Path) -> list[dict]:
        done = subprocess.run(
            ["java", "-jar", str(jar), "--errors-only", "--format", "json", str(page)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        return list(json.loads(done.stderr or done.stdout)["messages"])

    return validate
