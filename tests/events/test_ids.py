"""UUIDv7 ids: right version and variant, strictly increasing within a process."""

from __future__ import annotations

import time

from events.ids import new_id, uuid7


def test_version_variant_and_timestamp() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == "specified in RFC 4122"
    ms = value.int >> 80
    assert abs(ms - time.time() * 1000) < 5_000


def test_ids_increase_even_within_one_millisecond() -> None:
    ids = [new_id() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
