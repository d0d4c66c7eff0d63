"""A damaged or busy database at the entry points: `hub` commands and `hub serve` refuse with
a clear Chinese message and a code, quickly, instead of starting and answering 500."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import Hub

DAMAGES = {
    "zero bytes": lambda data: b"",
    "not a database": lambda data: b"PK\x03\x04" + b"\x00" * 4096,
    "damaged pages": lambda data: data[:4096] + b"\xff" * 8192 + data[4096 + 8192 :],
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_database_is_refused_at_start(config_dir: Path, tmp_path: Path, damage: str):
    cli = Hub(config_dir, tmp_path)
    cli.create()  # a store with content
    database = tmp_path / "hub.sqlite3"
    for extra in (".sqlite3-wal", ".sqlite3-shm"):
        (tmp_path / f"hub{extra}").unlink(missing_ok=True)
    database.write_bytes(DAMAGES[damage](database.read_bytes()))
    for args in (("article", "list"), ("serve", "--port", "0", "--no-sandboxes")):
        done = cli.run(*args)
        assert done.returncode == 1, (damage, args, done.stdout)
        assert "错误 STORE_CORRUPT（内部错误）: 数据库文件" in done.stderr, (damage, done.stderr)
        assert "Traceback" not in done.stderr and "INTERNAL" not in done.stderr


def test_a_busy_database_answers_quickly_and_clearly(config_dir: Path, tmp_path: Path) -> None:
    cli = Hub(config_dir, tmp_path)
    cli.create()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"c = sqlite3.connect({str(tmp_path / 'hub.sqlite3')!r}, isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        done = cli.run("article", "create", "--site", "gov", "--column", "notices",
                       "--title", "关于开展自查工作的通知", "--body-file", str(cli.body),
                       "--as", "zhangwei")  # fmt: skip
        assert time.monotonic() - started < 20
        assert done.returncode == 1
        assert "错误 STORE_BUSY（暂时不可用，请稍后重试）: 另一进程正在写入" in done.stderr, (
            done.stderr
        )
    finally:
        holder.kill()
        holder.wait()
    assert sqlite3.connect(tmp_path / "hub.sqlite3").execute("PRAGMA quick_check").fetchone() == (
        "ok",
    )
