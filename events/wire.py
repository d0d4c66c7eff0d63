"""The wire form of a stored event, as a message on an event bus (Kafka).

A message's value is the whole envelope as one JSON object, the shape of
`RecordedEvent.as_dict()` with the payload exactly as it was stored (so a consumer of another
system reads it as plain JSON); its key is the stream id, so one stream's events keep their
order on one partition. The relay builds values from stored rows without decoding their
payloads, and appends a field `sig`, its signature (hub/distributed/signing.py); a consumer
decodes each payload in the schema of its own code (upcasting it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from events.envelope import Actor, RecordedEvent
from events.registry import EventRegistry

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def message_value(row: Sequence[Any]) -> bytes:
    """The message of a stored row (the columns of `sql_store.COLUMNS`, payload as text)."""
    envelope = _dumps({
        "event_id": row[0], "stream_id": row[1], "stream_version": row[2],
        "global_position": row[3], "type": row[4], "schema_version": row[5],
        "occurred_at": row[6], "actor": {"user_id": row[7], "role": row[8]},
        "correlation_id": row[9], "causation_id": row[10],
    })  # fmt: skip
    return f'{envelope[:-1]},"payload":{row[11]}}}'.encode()


def from_message(value: bytes | str, registry: EventRegistry) -> RecordedEvent:
    """The event a message carries (raises ValueError on a message that is not one)."""
    try:
        data = json.loads(value)
        actor = data["actor"]
        return RecordedEvent(
            str(data["event_id"]),
            str(data["stream_id"]),
            int(data["stream_version"]),
            int(data["global_position"]),
            str(data["type"]),
            int(data["schema_version"]),
            datetime.fromisoformat(data["occurred_at"]),
            Actor(str(actor["user_id"]), str(actor["role"])),
            str(data["correlation_id"]),
            data["causation_id"],
            registry.decode_data(data["type"], int(data["schema_version"]), data["payload"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not an event message: {exc!r}") from exc
