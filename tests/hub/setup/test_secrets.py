"""The secrets file shared by the processes of one machine (the workers of the distributed
runtime start together and each generates the sandboxes' secrets)."""

from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path

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
