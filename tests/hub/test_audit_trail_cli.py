"""`hub audit` on a log changed behind the hub's back — a stored title rewritten, the approver
of a stage changed, a return deleted — reports it, names the first event that does not verify
and exits 1; `hub audit --export` writes a bundle `hub audit --verify` (and the bundle's own
verifier) checks without the database; bad bundles and keys are refused without a traceback."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import Hub, cli_approved

pytestmark = pytest.mark.slow


def files(database: Path) -> list[Path]:
    return [p for p in (database, Path(f"{database}-wal")) if p.exists()]


def tampered(database: Path, change: Callable[[sqlite3.Connection], None]) -> None:
    """Change the stored log as someone with the file would: triggers dropped first."""
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("DROP TRIGGER IF EXISTS events_no_update")
    db.execute("DROP TRIGGER IF EXISTS events_no_delete")
    change(db)
    db.close()


def position_of(db: sqlite3.Connection, kind: str, article: str, holding: str) -> int:
    return int(db.execute("SELECT global_position FROM events WHERE type = ? AND stream_id = ? "
                          "AND payload LIKE ?", (kind, f"article-{article}", f"%{holding}%"))
               .fetchone()[0])  # fmt: skip


def test_tampering_is_named_by_hub_audit(cli: Hub, tmp_path: Path) -> None:
    approved = cli_approved(cli)
    returned = cli.create()
    cli.ok("article", "submit", returned, "--as", "zhangwei")
    cli.ok("review", "return", returned, "--reason", "请补充依据", "--as", "liting")
    last = cli.create()  # after the return: the return is not the newest event
    clean = cli.ok("audit")
    assert clean["integrity"]["ok"] and clean["integrity"]["seals"] >= 1
    database = Path(cli.ok("init")["database"])
    kept = tmp_path / "kept"
    kept.mkdir()
    for f in files(database):
        shutil.copy(f, kept / f.name)

    def title(db: sqlite3.Connection) -> None:
        db.execute("UPDATE events SET payload = replace(payload, '自查', '抽查') WHERE type = "
                   "'ArticleCreated' AND stream_id = ?", (f"article-{approved}",))  # fmt: skip

    def approver(db: sqlite3.Connection) -> None:
        db.execute("UPDATE events SET payload = replace(payload, '\"wangqiang\"', '\"liting\"'),"
                   " actor_id = 'liting' WHERE type = 'StageApproved' AND stream_id = ? "
                   "AND payload LIKE '%wangqiang%'", (f"article-{approved}",))  # fmt: skip

    def return_deleted(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM events WHERE type = 'ArticleReturned'")

    def newest_deleted(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM events WHERE type = 'ArticleCreated' AND stream_id = ?",
                   (f"article-{last}",))  # fmt: skip

    cases = (
        (title, "ArticleCreated", approved, "", "CONTENT_CHANGED"),
        (approver, "StageApproved", approved, "wangqiang", "CONTENT_CHANGED"),
        (return_deleted, "ArticleReturned", returned, "", "POSITION_GAP"),
        (newest_deleted, "ArticleCreated", last, "", "TRUNCATED"),
    )
    for change, kind, article, holding, code in cases:
        for f in files(database):
            f.unlink()
        for f in kept.iterdir():
            shutil.copy(f, database.parent / f.name)
        db = sqlite3.connect(database)
        position = position_of(db, kind, article, holding)
        db.close()
        tampered(database, change)
        done = cli.run("audit")
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        # A deleted event is named by the one after it (its position is gone); the newest
        # one by the signed checkpoint and the read models that saw it.
        named = {"POSITION_GAP": position + 1, "TRUNCATED": 0}.get(code, position)
        said = f"第 {named} 个事件" if named else "事件库：签名检查点记录到"
        assert f"第一个不成立的记录：{said}" in done.stdout, done.stdout
        report = json.loads(cli.run("audit", "--json").stdout)
        assert report["integrity"]["first"]["code"] == code
        assert report["integrity"]["first"]["position"] == named


def test_an_export_verifies_without_the_database(cli: Hub, tmp_path: Path) -> None:
    cli_approved(cli)
    bundle = tmp_path / "audit.zip"
    exported = cli.ok("audit", "--export", str(bundle))["export"]
    assert exported["events"] >= 8 and exported["seals"] >= 1
    key = cli.ok("audit")["integrity"]["key"]
    assert exported["fingerprint"] == key
    # Verified with the hub's database gone.
    Path(cli.ok("init")["database"]).unlink()
    checked = cli.ok("audit", "--verify", str(bundle))
    assert checked["ok"] and checked["events"] == exported["events"]
    # Not a bundle, a wrong key: refused, no traceback.
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    for args in (("--verify", str(junk)), ("--verify", str(bundle), "--public-key", "zz"),
                 ("--verify", str(tmp_path / "missing.zip"))):  # fmt: skip
        done = cli.run("audit", *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    other = "11" * 32
    done = cli.run("audit", "--verify", str(bundle), "--public-key", other)
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr
