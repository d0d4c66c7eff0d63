"""UUIDv7 ids: right version and variant, strictly increasing within a process."""

from __future__ import annotations

import time
import uuid

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


def test_an_id_is_the_canonical_text_of_a_uuid7_of_now() -> None:
    """`new_id` formats the fields itself: the text must be what `uuid.UUID` would print."""
    for _ in range(2_000):
        text = new_id()
        value = uuid.UUID(text)
        assert str(value) == text
        assert value.version == 7 and value.variant == uuid.RFC_4122
        assert abs((value.int >> 80) - time.time() * 1000) < 5_000
