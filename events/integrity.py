"""Tamper evidence for the event log: hash chains, per-event seals and signed checkpoints.

The scheme, for one stored event at global position p in stream s at version v:

    digest      = SHA-256 over the event's stored fields, each length-prefixed: event id,
                  stream id, version, type, schema version, time, actor id, actor role,
                  correlation id, causation id, payload (the JSON text as stored), and how
                  the actor was authenticated (when recorded)
    stream_hash = SHA-256(stream_hash of version v-1 of s (32 zero bytes for v = 1) || digest)
    chain_hash  = SHA-256(chain_hash at p-1 (zero bytes for p = 1) || p as 8 bytes || stream_hash)
    mac         = BLAKE2b-256 keyed with the audit MAC key, over chain_hash

The writer computes all three when it appends (under the store's write lock, so each event
links to the one committed before it) and stores them beside the event. Changing any field
breaks `stream_hash`; removing, inserting or reordering events breaks the chains; whoever
recomputes the hashes after a change cannot recompute the `mac`s without the key, which is
not in the database (the secrets file or the environment). A checkpoint (`Seal`) signs the
chain head (position, chain_hash, time) with the Ed25519 key derived from the same secret;
its public key lets an auditor verify a log exported from the hub (`hub audit --export`) on
another machine, without the key and without the database: every chain, and every signed
checkpoint against the chain it heads.

This module needs only the standard library (and `cryptography` for the signatures): an
export bundle carries a copy of it as its verifier (`python verify.py bundle.zip`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ZERO = bytes(32)

# The stored fields a digest covers, in order (a row of the store's encoder has them so).
FIELDS = ("event_id", "stream_id", "stream_version", "type", "schema_version", "occurred_at",
          "actor_id", "actor_role", "correlation_id", "causation_id", "payload", "via")  # fmt: skip
_PAYLOAD = FIELDS.index("payload")


# The length prefix of a field of n bytes (n + 1, 4 bytes big-endian, then 0x01), made once
# for the lengths most fields have (ids, names, times, short payloads).
_PREFIXED = 1024
_PREFIX = [(n + 1).to_bytes(4, "big") + b"\x01" for n in range(_PREFIXED)]
_NONE = b"\x00\x00\x00\x01\x00"


def digest(fields: Sequence[Any], payload: bytes | None = None) -> bytes:
    """The content digest of one event's stored fields (in `FIELDS` order; `via`, how the
    actor was authenticated, only when it was recorded); `payload`: the payload's text
    already as UTF-8 (encoding a long Chinese text again costs more than hashing it)."""
    values = fields[: len(FIELDS)]
    if values[-1] is None:
        values = values[:-1]
    # Each field: its length + 1 (4 bytes), then 0x00 for None, or 0x01 and its UTF-8 text;
    # joined and hashed in one call (a call per piece cost more than copying the payload).
    parts: list[bytes] = []
    append = parts.append
    for i, value in enumerate(values):
        if value is None:
            append(_NONE)
            continue
        if i == _PAYLOAD and payload is not None:
            data = payload
        elif value.__class__ is str:
            data = value.encode()
        elif isinstance(value, bytes):
            data = value
        else:
            data = str(value).encode()
        size = len(data)
        append(_PREFIX[size] if size < _PREFIXED else (size + 1).to_bytes(4, "big") + b"\x01")
        append(data)
    return hashlib.sha256(b"".join(parts)).digest()


# The same prefixes as text (one character per byte) and, for the small ints a version or
# schema version is, the prefix and the digits: `digest_encoded` builds a row's fields and
# their prefixes as one string and encodes it once.
_PREFIX_TEXT = [prefix.decode("latin-1") for prefix in _PREFIX]
_NONE_TEXT = _NONE.decode("latin-1")
_INT_TEXT = [_PREFIX_TEXT[len(str(n))] + str(n) for n in range(_PREFIXED)]


def digest_encoded(row: Sequence[Any], payload: bytes) -> bytes:
    """`digest` of a row as the store's encoder makes it (every field text but the version
    and schema version, small ints, and the causation id and `via`, which may be None; the
    payload given as UTF-8), for the usual row in one string: appending computes one for
    every event, and the generic loop cost three times the hash.

    The string holds the fields and their length prefixes, each prefix byte a character
    (latin-1). When all of it is ASCII, every field's length in characters is its length in
    UTF-8 and its UTF-8 is its ASCII, so the string's bytes are `digest`'s bytes. Anything
    else (a non-ASCII field, a length whose prefix has a byte above 127, a field of another
    type or of 1 KB or more) takes the generic way."""
    try:
        p = _PREFIX_TEXT
        a, b, c, d, e, f, g, h, i, j, _, via = row
        text = (f"{p[len(a)]}{a}{p[len(b)]}{b}{_INT_TEXT[c]}{p[len(d)]}{d}{_INT_TEXT[e]}"
                f"{p[len(f)]}{f}{p[len(g)]}{g}{p[len(h)]}{h}{p[len(i)]}{i}"
                f"{_NONE_TEXT if j is None else p[len(j)] + j}")  # fmt: skip
        after = "" if via is None else p[len(via)] + via
    except (TypeError, IndexError, ValueError):
        return digest(row, payload)
    if not (text.isascii() and after.isascii() and c > 0 < e):  # (a negative index counts back)
        return digest(row, payload)
    size = len(payload)
    prefix = _PREFIX[size] if size < _PREFIXED else (size + 1).to_bytes(4, "big") + b"\x01"
    return hashlib.sha256(b"".join((text.encode(), prefix, payload, after.encode()))).digest()


def stream_link(previous: bytes, content: bytes) -> bytes:
    return hashlib.sha256(previous + content).digest()


def chain_link(previous: bytes, position: int, stream_hash: bytes) -> bytes:
    return hashlib.sha256(previous + position.to_bytes(8, "big") + stream_hash).digest()


class AuditKey:
    """The audit secret: the MAC key of every event and the Ed25519 key of the checkpoints
    (both derived from one secret string kept outside the database)."""

    def __init__(self, secret: str) -> None:
        material = secret.encode("utf-8")
        self._mac = hashlib.sha256(b"hub-event-mac\x00" + material).digest()
        self._seed = hashlib.sha256(b"hub-checkpoint-signing\x00" + material).digest()
        self._signer: Any = None
        # Keyed once: a copy of the keyed state costs less than keying a new one.
        self._keyed = hashlib.blake2b(key=self._mac, digest_size=32)

    def mac(self, chain_hash: bytes) -> bytes:
        keyed = self._keyed.copy()
        keyed.update(chain_hash)
        return keyed.digest()

    def _private(self) -> Any:
        if self._signer is None:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            self._signer = Ed25519PrivateKey.from_private_bytes(self._seed)
        return self._signer

    @property
    def public_key(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return bytes(self._private().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, message: bytes) -> bytes:
        return bytes(self._private().sign(message))


def fingerprint(public_key: bytes) -> str:
    """A short name of a public key, to compare it with the one handed to an auditor."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class Seal:
    """A signed checkpoint: the chain head at `position` as its writer saw it at `sealed_at`."""

    position: int
    chain_hash: bytes
    sealed_at: str
    key: str  # the signer's public key fingerprint
    signature: bytes

    def message(self) -> bytes:
        return seal_message(self.position, self.chain_hash, self.sealed_at)

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "chain_hash": self.chain_hash.hex(),
                "sealed_at": self.sealed_at, "key": self.key,
                "signature": self.signature.hex()}  # fmt: skip


def seal_message(position: int, chain_hash: bytes, sealed_at: str) -> bytes:
    return b"hub-seal\x00" + position.to_bytes(8, "big") + chain_hash + sealed_at.encode()


def make_seal(key: AuditKey, position: int, chain_hash: bytes, sealed_at: str) -> Seal:
    signature = key.sign(seal_message(position, chain_hash, sealed_at))
    return Seal(position, chain_hash, sealed_at, fingerprint(key.public_key), signature)


def signature_holds(public_key: bytes, seal: Seal) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(seal.signature, seal.message())
    except (InvalidSignature, ValueError):
        return False
    return True


# -- the writer's side --------------------------------------------------------------------


class Chainer:
    """Links the events a store appends: it computes their hashes from the chain head and
    each stream's last hash, and remembers the last hashes of the streams it wrote (an
    append to a stream this process wrote last needs no read of it)."""

    def __init__(self, key: AuditKey | None = None, remembered: int = 65_536) -> None:
        self.key = key
        # stream -> (version, stream_hash), the most recently written last
        self._tips: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._remembered = remembered

    def tip(self, stream_id: str) -> tuple[int, bytes] | None:
        return self._tips.get(stream_id)

    def previous(
        self, stream_id: str, expected: int, batch: dict[str, tuple[int, bytes]]
    ) -> bytes | None:
        """The stream hash an append at `expected` links after, when known without a read:
        zero bytes for a new stream, else the stream's last hash as this process wrote it —
        in the batch being committed (`batch`) or before — if that is at `expected`."""
        if expected == 0:
            return ZERO
        tip = batch.get(stream_id) or self._tips.get(stream_id)
        return tip[1] if tip is not None and tip[0] == expected else None

    def remember(self, tips: dict[str, tuple[int, bytes]]) -> None:
        """The streams' last hashes after a commit (only committed events are remembered)."""
        remembered = self._tips
        for stream, tip in tips.items():
            remembered[stream] = tip
            remembered.move_to_end(stream)
        # The least recently written go first (`popitem(last=False)` is O(1); deleting a
        # plain dict's first key scans the slots its earlier deletions left: 17 µs a commit
        # once past the limit).
        while len(remembered) > self._remembered:
            remembered.popitem(last=False)

    def link(
        self, rows: Sequence[Sequence[Any]], digests: Sequence[bytes], previous: bytes,
        head: tuple[int, bytes], into: list[Any],
    ) -> tuple[bytes, tuple[int, bytes]]:  # fmt: skip
        """Number one request's rows (the `FIELDS`, versions set) after `head` and link them:
        each row's fields are appended to `into` followed by its stream_hash, chain_hash,
        mac and global position (the insert's parameters, flat); `digests`: the rows'
        content digests. Returns the stream's new last hash and the new head."""
        position, chain = head
        key = self.key
        for row, content in zip(rows, digests, strict=True):
            position += 1
            previous = stream_link(previous, content)
            chain = chain_link(chain, position, previous)
            into += row
            into += (previous, chain, key.mac(chain) if key is not None else None, position)
        return previous, (position, chain)


# -- verifying ----------------------------------------------------------------------------


@dataclass
class Finding:
    """One thing about the stored log that does not verify."""

    position: int  # global position of the event (0: not about one event)
    code: str
    message: str
    event_id: str = ""
    stream_id: str = ""


@dataclass
class IntegrityReport:
    events: int = 0
    streams: int = 0
    seals: int = 0
    head: int = 0
    sealed_up_to: int = 0
    macs_checked: bool = False
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        located = [f for f in self.findings if f.position]
        return min(located, key=lambda f: f.position) if located else (
            self.findings[0] if self.findings else None)  # fmt: skip

    def add(self, finding: Finding, limit: int = 200) -> None:
        if len(self.findings) < limit:
            self.findings.append(finding)


def _hash(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return bytes.fromhex(value)
    return bytes(value)


def verify_streams(rows: Iterable[Sequence[Any]], report: IntegrityReport) -> None:
    """Check each stream's versions and hash chain. `rows` in (stream, version) order, each:
    the `FIELDS`, then global position and stream_hash."""
    stream, version, previous = None, 0, ZERO
    n = len(FIELDS)
    for row in rows:
        if row[1] != stream:
            stream, version, previous = row[1], 0, ZERO
            report.streams += 1
        position, stored = int(row[n]), _hash(row[n + 1])
        version += 1
        if int(row[2]) != version:
            report.add(Finding(position, "STREAM_GAP",
                               f"流 {stream} 的第 {version} 个事件缺失（下一个是第 {row[2]} 个）：事件被删除",
                               str(row[0]), str(stream)))  # fmt: skip
            version = int(row[2])
        expected = stream_link(previous, digest(row))
        if stored is None:
            report.add(Finding(position, "UNSEALED", "事件没有完整性哈希（写入时未经事件库）",
                               str(row[0]), str(stream)))  # fmt: skip
        elif stored != expected:
            report.add(Finding(position, "CONTENT_CHANGED",
                               "事件内容与其哈希不符：内容、操作人、时间或类型被改写",
                               str(row[0]), str(stream)))  # fmt: skip
        previous = stored if stored is not None else expected


def verify_chain(
    rows: Iterable[Sequence[Any]], seals: Sequence[Seal], report: IntegrityReport,
    key: AuditKey | None = None, public_key: bytes | None = None,
) -> None:  # fmt: skip
    """Check the global order: rows (position, event id, stream id, stream_hash, chain_hash,
    mac) in position order; each seal against the chain at its position (its signature with
    `public_key`); each mac with `key`, when given."""
    by_position = {s.position: s for s in seals}
    if public_key is not None:
        for seal in seals:
            if fingerprint(public_key) != seal.key or not signature_holds(public_key, seal):
                report.add(Finding(seal.position, "SEAL_FORGED",
                                   f"第 {seal.position} 号检查点的签名不成立（检查点被伪造或改写）"))  # fmt: skip
    report.seals = len(seals)
    report.macs_checked = key is not None
    expected_position, chain = 0, ZERO
    for position, event_id, stream_id, stream_hash, stored_chain, mac in rows:
        position = int(position)
        expected_position += 1
        report.events += 1
        report.head = position
        if position != expected_position:
            report.add(Finding(position, "POSITION_GAP",
                               f"全局序号 {expected_position}–{position - 1} 的事件缺失：事件被删除",
                               str(event_id), str(stream_id)))  # fmt: skip
            expected_position = position
        link = _hash(stream_hash)
        stored = _hash(stored_chain)
        expected = chain_link(chain, position, link) if link is not None else None
        if stored is None or expected is None:
            chain = stored or ZERO
            continue  # an event without hashes is reported by `verify_streams`
        if stored != expected:
            report.add(Finding(position, "CHAIN_BROKEN",
                               "事件与前一个事件的链接不符：其前的事件被删除、插入或调换了顺序",
                               str(event_id), str(stream_id)))  # fmt: skip
        if key is not None and (mac is None or not hmac.compare_digest(_hash(mac) or b"",
                                                                      key.mac(stored))):  # fmt: skip
            report.add(Finding(position, "SEAL_MISSING" if mac is None else "MAC_MISMATCH",
                               "事件的封印不符：事件被改写、插入或重排后重算了哈希" if mac is not None
                               else "事件没有封印（不是由持有审计密钥的进程写入的）",
                               str(event_id), str(stream_id)))  # fmt: skip
        checkpoint = by_position.get(position)
        if checkpoint is not None:
            if checkpoint.chain_hash != stored:
                report.add(Finding(position, "CHECKPOINT_MISMATCH",
                                   f"签名检查点（{checkpoint.sealed_at}）记录的链头与现存事件不符："
                                   "此前的事件被改写、删除、插入或重排",
                                   str(event_id), str(stream_id)))  # fmt: skip
            report.sealed_up_to = max(report.sealed_up_to, position)
        chain = stored
    beyond = [s for s in seals if s.position > report.head]
    if beyond:
        report.add(Finding(0, "TRUNCATED",
                           f"签名检查点记录到第 {beyond[-1].position} 个事件，现存只到第 {report.head} 个：末尾的事件被删除"))  # fmt: skip


# -- export bundles -----------------------------------------------------------------------

BUNDLE_EVENTS = "events.jsonl"
BUNDLE_SEALS = "seals.json"
BUNDLE_VERIFIER = "verify.py"


def bundle_rows(path: Path) -> tuple[dict[str, Any], list[Seal], Iterator[list[Any]]]:
    """An export bundle's header (public key, head), its seals, and its event rows: the
    `FIELDS`, then global position, stream_hash, chain_hash (hex)."""
    archive = zipfile.ZipFile(path)
    header = json.loads(archive.read(BUNDLE_SEALS))
    seals = [Seal(int(s["position"]), bytes.fromhex(s["chain_hash"]), s["sealed_at"], s["key"],
                  bytes.fromhex(s["signature"])) for s in header["seals"]]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        with archive.open(BUNDLE_EVENTS) as lines:
            for line in lines:
                yield json.loads(line)

    return header, seals, rows()


def verify_bundle(path: Path, public_key: bytes | None = None) -> IntegrityReport:
    """Verify an export bundle on its own: its streams, its chain and its signed checkpoints
    (with `public_key`, else the key the bundle names — compare its fingerprint with the one
    the hub's operator gave you)."""
    header, seals, _ = bundle_rows(path)
    key = public_key or bytes.fromhex(header["public_key"])
    report = IntegrityReport()
    n = len(FIELDS)
    _, _, rows = bundle_rows(path)
    streams = sorted(((r[1], int(r[2]), r) for r in rows), key=lambda t: (t[0], t[1]))
    verify_streams((r for _, _, r in streams), report)
    _, _, rows = bundle_rows(path)
    verify_chain(((r[n], r[0], r[1], r[n + 1], r[n + 2], None) for r in rows), seals, report,
                 public_key=key)  # fmt: skip
    if header.get("head") is not None and int(header["head"]) != report.head:
        report.add(Finding(0, "TRUNCATED",
                           f"导出包声明 {header['head']} 个事件，实有 {report.head} 个"))  # fmt: skip
    return report


def describe(report: IntegrityReport) -> list[str]:
    lines = [f"事件 {report.events} 个，流 {report.streams} 个，签名检查点 {report.seals} 个"
             f"（签到第 {report.sealed_up_to} 个事件）"]  # fmt: skip
    first = report.first
    if first is not None:
        where = (
            f"第 {first.position} 个事件（{first.event_id}，流 {first.stream_id}）"
            if first.position
            else "事件库"
        )
        lines.append(f"第一个不成立的记录：{where}：{first.message}")
    for finding in report.findings:
        lines.append(f"  {finding.position or '-'}  {finding.code}  {finding.message}")
    return lines


def main(argv: Sequence[str]) -> int:
    """`python verify.py bundle.zip [public-key-hex]`: verify an export bundle offline."""
    if not argv:
        print("usage: python verify.py bundle.zip [public-key-hex]", file=sys.stderr)
        return 2
    public = bytes.fromhex(argv[1]) if len(argv) > 1 else None
    report = verify_bundle(Path(argv[0]), public)
    header, _, _ = bundle_rows(Path(argv[0]))
    print(f"公钥指纹 {fingerprint(public or bytes.fromhex(header['public_key']))}")
    print("\n".join(describe(report)))
    print("完整性核验通过" if report.ok else f"完整性核验未通过：{len(report.findings)} 个问题")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
