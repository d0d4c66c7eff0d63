"""Fixtures of the hub's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Hub


@pytest.fixture
def cli(config_dir: Path, tmp_path: Path) -> Hub:
    """The `hub` command line on a fresh configuration, each command a real subprocess."""
    return Hub(config_dir, tmp_path)
