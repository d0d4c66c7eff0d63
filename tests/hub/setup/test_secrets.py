"""The secrets file shared by the processes of one machine (the workers of the distributed
runtime start together and each generates the sandboxes' secrets)."""

from __future__ import annotations

import json
import multiprocessing
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from channels.local_db import Place
from hub.setup.secrets import SecretStore


def _generate(path: str, n: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = SecretStore(Path(path))
    shared = store.get("screen/hall", generate=True)
    for k in range(20):
        store.get(f"wechat/p{n}-{k}", generate=True)
    queue.put(shared)


def test_processes_generating_at_once_agree_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_generate, args=(str(path), n, queue)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    seen = {queue.get(timeout=5) for _ in workers}
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert seen == {stored["screen/hall"]}, "every process uses the one secret stored"
    assert all(f"wechat/p{n}-{k}" in stored for n in range(6) for k in range(20))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [
        p.name
        for p in tmp_path.iterdir()
        if p.name.startswith("secrets.json.") and not p.name.endswith(".lock")
    ] == []  # no temporary file left behind


def test_machines_of_the_distributed_runtime_share_generated_secrets(
    place: Callable[[str], Place], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two machines, each with its own secrets file, one shared store: a secret generated on
    one is the one the other reads; what the operator put in a machine's file or environment
    comes first; without `generate` nothing is made."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "secrets.json").write_text(json.dumps({"jpush/sf-app": "from-the-file"}))
    first = SecretStore(tmp_path / "a" / "secrets.json", shared=place("secrets"))
    second = SecretStore(tmp_path / "b" / "secrets.json", shared=place("secrets"))
    try:
        token = first.get("screen/hall", generate=True)
        assert token and second.get("screen/hall", generate=True) == token
        assert second.get("screen/lobby") is None and first.get("screen/lobby") is None
        assert second.get("jpush/sf-app", generate=True) == "from-the-file"
        monkeypatch.setenv("HUB_SECRET_SCREEN_HALL", "from-the-environment")
        assert first.get("screen/hall") == "from-the-environment"
        assert not (tmp_path / "a" / "secrets.json").exists(), "generated: in the shared store"
    finally:
        first.close()
        second.close()
