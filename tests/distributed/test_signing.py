"""The relay's signature on bus messages: one JSON object still, and nothing altered,
truncated, re-signed with another key or left unsigned verifies (property-based)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from events.sqlite_store import SQLiteEventStore
from hub.distributed.signing import Signer, bus_key

SIGNER = Signer(b"\x01" * 32)
texts = st.text(max_size=200)


def envelope(title: str) -> bytes:
    return json.dumps({"event_id": "e1", "payload": {"title": title}},
                      ensure_ascii=False, separators=(",", ":")).encode()  # fmt: skip


@given(texts)
def test_a_signed_value_is_the_same_json_with_a_sig_field_and_verifies(title: str) -> None:
    signed = SIGNER.signed(envelope(title))
    data = json.loads(signed)
    assert data["payload"] == {"title": title} and len(data["sig"]) == 64
    assert SIGNER.verifies(signed)


@given(texts, st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_any_changed_byte_fails(title: str, where: int, flip: int) -> None:
    signed = bytearray(SIGNER.signed(envelope(title)))
    signed[where % len(signed)] ^= flip
    assert not SIGNER.verifies(bytes(signed))


@given(texts, st.integers(min_value=1, max_value=100))
def test_unsigned_truncated_or_another_keys_values_fail(title: str, cut: int) -> None:
    value = envelope(title)
    assert not SIGNER.verifies(value)
    assert not SIGNER.verifies(SIGNER.signed(value)[:-cut])
    assert not SIGNER.verifies(Signer(b"\x02" * 32).signed(value))
    assert not SIGNER.verifies(b"")


def test_every_process_gets_the_one_key_kept_in_the_store(tmp_path: Path) -> None:
    first = SQLiteEventStore(tmp_path / "e.sqlite3")
    second = SQLiteEventStore(tmp_path / "e.sqlite3")  # another process's connection
    try:
        key = bus_key(first)
        assert len(key) == 32 and bus_key(second) == key and bus_key(first) == key
    finally:
        first.close()
        second.close()
    other = SQLiteEventStore(tmp_path / "other.sqlite3")
    try:
        assert bus_key(other) != key  # another hub, another key
    finally:
        other.close()
