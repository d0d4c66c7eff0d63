"""Shared fixtures: fresh stores, a copy of the demo configuration, an embedded hub."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from events.sqlite_store import SQLiteEventStore
from hub.logs import configure_logging
from hub.runtime import EmbeddedHub

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"

configure_logging("warning")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteEventStore]:
    s = SQLiteEventStore(tmp_path / "events.sqlite3")
    yield s
    s.close()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the demo configuration whose database lives in tmp_path."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    (target / "hub.yaml").write_text(
        f"database: {tmp_path / 'hub.sqlite3'}\ndurable: true\nlog_level: warning\n",
        encoding="utf-8",
    )
    return target


@pytest.fixture
def hub(config_dir: Path) -> Iterator[EmbeddedHub]:
    h = EmbeddedHub.open(config_dir)
    yield h
    h.close()
