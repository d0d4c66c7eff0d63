"""The stored log checked against its own hash chains, seals and signed checkpoints
(events/integrity.py), and exported as a bundle an auditor verifies elsewhere."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from events.integrity import (
    BUNDLE_EVENTS,
    BUNDLE_SEALS,
    BUNDLE_VERIFIER,
    FIELDS,
    AuditKey,
    Finding,
    IntegrityReport,
    fingerprint,
    verify_chain,
    verify_streams,
)
from events.sql_store import SQLEventStore


def verify_store(
    store: SQLEventStore, key: AuditKey | None, public_key: bytes | None = None
) -> IntegrityReport:
    """Every stream's chain, the global chain, each event's seal (with `key`) and every signed
    checkpoint (its signature with the key's public key, or `public_key`); read models that
    have seen events the log no longer holds."""
    report = IntegrityReport()
    verify_streams(store.rows_by_stream(), report)
    public = key.public_key if key is not None else public_key
    verify_chain(store.rows_by_position(), store.seals(), report, key=key, public_key=public)
    mark = store.dialect.placeholder
    ahead = store.query(f"SELECT subscriber, position FROM checkpoints WHERE position > {mark} "
                        "ORDER BY position DESC", (report.head,))  # fmt: skip
    if ahead:
        subscriber, position = ahead[0]
        report.add(Finding(0, "TRUNCATED", f"读模型 {subscriber} 已处理到第 {position} 个事件，"
                                           f"事件库现存只到第 {report.head} 个：末尾的事件被删除"))  # fmt: skip
    return report


README = """审计导出包（政府网站集约化平台 发布中枢）

events.jsonl  全部事件，按全局顺序，每行：{fields}、全局序号、流哈希、链哈希（十六进制）
seals.json    签名检查点（Ed25519）与签名公钥
verify.py     核验程序（Python 3.11+，签名核验需要 cryptography 包）

核验：python verify.py 本文件.zip [公钥十六进制]
请先把 seals.json 中公钥的指纹（{fingerprint}）与平台管理员另行提供的指纹比对。
"""


def export_bundle(store: SQLEventStore, key: AuditKey, path: Path) -> dict[str, object]:
    """Seal the head, then write the bundle: every event with its hashes, the signed
    checkpoints, the public key and the verifier. Returns what it holds."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    store.seal(now)
    seals = store.seals()
    head = 0
    events = 0
    public = key.public_key
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(BUNDLE_EVENTS, "w") as out:
            n = len(FIELDS)
            for row in store.export_rows():
                values = [*row[:n], int(row[n]),
                          *(bytes(h).hex() if h is not None else None for h in row[n + 1:])]  # fmt: skip
                out.write(json.dumps(values, ensure_ascii=False).encode("utf-8") + b"\n")
                head, events = int(row[n]), events + 1
        header = {"public_key": public.hex(), "fingerprint": fingerprint(public), "head": head,
                  "exported_at": now, "seals": [s.as_json() for s in seals]}  # fmt: skip
        archive.writestr(BUNDLE_SEALS, json.dumps(header, ensure_ascii=False, indent=1))
        archive.writestr(BUNDLE_VERIFIER, Path(__file__).with_name("integrity.py").read_text())
        archive.writestr("README.txt", README.format(fields="、".join(FIELDS),
                                                    fingerprint=fingerprint(public)))  # fmt: skip
    return {"path": str(path), "events": events, "head": head, "seals": len(seals),
            "fingerprint": fingerprint(public)}  # fmt: skip
