"""`hub backup` while the hub writes, then `hub restore --to`: every file checked, the restored
log verifies (chains, signed checkpoints), and its read models equal a rebuild from its events.
Bad backups and a used target are refused without a traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from events.sqlite_store import SQLiteEventStore
from events.subscriptions import catch_up
from hub.projections import all_projections
from hub.runtime.embedded import EmbeddedHub
from tests.distributed.test_projection_workers import copy_events, snapshot
from tests.helpers import ROOT, approved

pytestmark = pytest.mark.slow


def hub_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", *args, "--json"], cwd=ROOT,
                          env={**os.environ, "HUB_CONFIG": str(config)}, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_a_backup_taken_during_writes_restores_and_equals_a_rebuild(
    config_dir: Path, tmp_path: Path
) -> None:
    written: list[str] = []
    stop = threading.Event()
    with EmbeddedHub.open(config_dir) as hub:
        hub.media.put(b"%PDF-1.7\n% backup\n%%EOF", "附件.pdf")

        def write() -> None:
            while not stop.is_set():
                written.append(approved(hub, title=f"关于第{len(written) + 1}批自查工作的通知"))

        writer = threading.Thread(target=write)
        writer.start()
        try:
            while len(written) < 3:
                stop.wait(0.05)
            done = hub_cli(config_dir, "backup", str(tmp_path / "hub-backup.tar.gz"))
            during = len(written)
        finally:
            stop.set()
            writer.join(60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert during >= 3  # taken while lifecycles were being written
        backup = json.loads(done.stdout)
        assert backup["media"] >= 1 and backup["events"] > 0
    restored = tmp_path / "restored"
    done = hub_cli(config_dir, "restore", str(tmp_path / "hub-backup.tar.gz"), "--to",
                   str(restored))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout)
    assert answer["ok"] and answer["events"] == backup["events"]
    assert any((restored / "media").rglob("*.pdf"))
    # The restored read models are exactly what its events make. The backup is one consistent
    # snapshot of the file, in which the read models may lag the newest events (a command's
    # events commit before its read models fold them); opened, the hub folds the rest, as
    # here, and then they equal a rebuild.
    store = SQLiteEventStore(restored / "hub.sqlite3")
    fresh = SQLiteEventStore(tmp_path / "fresh.sqlite3")
    copy_events(store, fresh)
    directory = EmbeddedHub.open(config_dir).config.directory
    for projection in all_projections(store, directory):
        catch_up(store, projection)
    for projection in all_projections(fresh, directory):
        catch_up(fresh, projection)
    assert snapshot(store) == snapshot(fresh)
    assert len(snapshot(store)["article_list"]) >= 3
    store.close()
    fresh.close()
    # A used target, a damaged backup, not a backup: refused.
    used = hub_cli(config_dir, "restore", str(tmp_path / "hub-backup.tar.gz"), "--to",
                   str(restored))  # fmt: skip
    assert json.loads(used.stdout)["error"]["code"] == "RESTORE_TARGET_NOT_EMPTY"
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(tmp_path / "hub-backup.tar.gz") as source, \
            tarfile.open(damaged, "w:gz") as out:  # fmt: skip
        for member in source.getmembers():
            data = source.extractfile(member)
            if member.name == "logins.sqlite3" and data is not None:
                body = bytearray(data.read())
                body[200] ^= 0xFF
                member.size = len(body)
                out.addfile(member, io.BytesIO(bytes(body)))
            else:
                out.addfile(member, data)
    refused = hub_cli(config_dir, "restore", str(damaged), "--to", str(tmp_path / "r2"))
    assert json.loads(refused.stdout)["error"]["code"] == "BACKUP_INVALID", refused.stdout
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a backup")
    refused = hub_cli(config_dir, "restore", str(junk), "--to", str(tmp_path / "r3"))
    assert json.loads(refused.stdout)["error"]["code"] == "BACKUP_INVALID"
    assert "Traceback" not in refused.stderr
