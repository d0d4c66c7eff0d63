"""Online backup and restore of an embedded hub.

`backup` copies, while the hub runs: the event store with its read models (SQLite's online
backup: one consistent snapshot, writers go on meanwhile), the logins and the channels' small
stores the same way, and then the media store (files are immutable and named by their content;
copied after the store's snapshot, every file an event of the snapshot refers to is there). A
manifest records the head of the log, its chain hash, the audit public key and each file's
SHA-256. Not in a backup: the secrets file (the audit key must not travel with the log it
protects; keep it apart) and the sites' pages (`hub sites render` makes them again).

`restore` unpacks a backup into a new folder, checks every file against the manifest, then
verifies the restored log's hash chains and signed checkpoints (the public key of the
manifest) and that it reaches the manifest's head.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from events.audit_trail import verify_store
from events.integrity import Finding, IntegrityReport, fingerprint
from events.sqlite_store import SQLiteEventStore
from events.stores import is_postgresql, sqlite_path
from hub.setup.config import HubConfig
from workflows.errors import DomainError

MANIFEST = "manifest.json"
STORE = "hub.sqlite3"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _snapshot(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def small_stores(config: HubConfig) -> dict[str, Path]:
    """The SQLite files of the logins and channels, by their name in a backup."""
    channels = config.channels_root
    found = {"logins.sqlite3": config.path("logins_file")}
    for name in ("app-feed.sqlite3", "screens.sqlite3", "tokens.sqlite3"):
        found[f"channels/{name}"] = channels / name
    return {name: path for name, path in found.items() if path.exists()}


def backup(
    config: HubConfig, public_key: bytes, out: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:  # fmt: skip
    """Write a backup of the running embedded hub to `out` (a .tar.gz); what it holds."""
    if is_postgresql(config.database):
        raise DomainError("BACKUP_UNSUPPORTED", "PostgreSQL 事件库请用 pg_dump / pg_basebackup 备份"
                                                "（见 README“备份与恢复”）")  # fmt: skip
    database = sqlite_path(config.database, config.root.parent)
    with tempfile.TemporaryDirectory(prefix="hub-backup-", dir=out.parent) as work:
        folder = Path(work)
        progress("事件库")
        _snapshot(database, folder / STORE)
        head = sqlite3.connect(folder / STORE).execute(
            "SELECT global_position, chain_hash FROM events ORDER BY global_position DESC LIMIT 1"
        ).fetchone()  # fmt: skip
        files: dict[str, str] = {STORE: _sha256(folder / STORE)}
        for name, path in small_stores(config).items():
            progress(name)
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            _snapshot(path, folder / name)
            files[name] = _sha256(folder / name)
        manifest: dict[str, Any] = {
            "format": 1, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "head": int(head[0]) if head else 0,
            "chain_hash": bytes(head[1]).hex() if head and head[1] is not None else None,
            "public_key": public_key.hex(), "key": fingerprint(public_key), "files": files,
        }  # fmt: skip
        progress("媒体文件")
        media = sorted(p for p in config.media_root.rglob("*") if p.is_file()) \
            if config.media_root.exists() else []  # fmt: skip
        with tarfile.open(out, "w:gz") as archive:
            for name in files:
                archive.add(folder / name, arcname=name)
            for path in media:
                name = f"media/{path.relative_to(config.media_root)}"
                files[name] = _sha256(path)
                archive.add(path, arcname=name)
            (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
            archive.add(folder / MANIFEST, arcname=MANIFEST)
    return {"path": str(out), "events": manifest["head"], "files": len(files),
            "media": len(media), "bytes": out.stat().st_size, "key": manifest["key"]}  # fmt: skip


def restore(bundle: Path, to: Path) -> tuple[dict[str, Any], IntegrityReport]:
    """Unpack `bundle` into the new folder `to`, check its files and verify its log."""
    if to.exists() and any(to.iterdir()):
        raise DomainError(
            "RESTORE_TARGET_NOT_EMPTY", f"恢复目标 {to} 已存在且不为空：请指定一个新目录"
        )
    to.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(bundle, "r:*") as archive:
            archive.extractall(to, filter="data")  # no absolute paths, links out, devices
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DomainError("BACKUP_INVALID", f"不是有效的备份文件：{bundle}（{exc}）") from None
    try:
        manifest = json.loads((to / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, str] = manifest["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise DomainError("BACKUP_INVALID", f"备份缺少清单或清单无效：{exc}") from None
    damaged = [name for name, digest in files.items()
               if not (to / name).is_file() or _sha256(to / name) != digest]  # fmt: skip
    if damaged:
        raise DomainError("BACKUP_INVALID", f"备份中的文件缺失或已损坏：{'、'.join(damaged[:5])}")
    store = SQLiteEventStore(to / STORE)
    try:
        report = verify_store(store, None, public_key=bytes.fromhex(manifest["public_key"]))
    finally:
        store.close()
    if report.head != manifest["head"]:
        report.add(Finding(0, "TRUNCATED", f"备份清单记录到第 {manifest['head']} 个事件，"
                                           f"恢复出的事件库只到第 {report.head} 个"))  # fmt: skip
    return manifest, report
