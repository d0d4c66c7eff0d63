"""The event store contract. Implementations: `sqlite_store` (embedded); PostgreSQL later.

The contract is what the rest of the hub may rely on:
- `append` is atomic per call, checks the expected stream version, and is idempotent by
  event id (re-appending the same ids returns the original result and writes nothing);
- `read_stream` and `read_all` return decoded events in stream / global order;
- subscribers keep a checkpoint in the same database and advance it in the same
  transaction as their own read-model writes (`subscriber_transaction`).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from events.envelope import Event, NewEvent, RecordedEvent


def stream_part(stream_id: str, parts: int) -> int:
    """The partition of a stream among `parts` (from its last two characters: the random
    end of an id). Stores compute the same in their query language (`STREAM_PART_SQL`)."""
    second = ord(stream_id[-2]) if len(stream_id) > 1 else 0
    return (ord(stream_id[-1]) + 31 * second) % parts


# `stream_part` in SQL (SQLite and PostgreSQL both have unicode()/ascii-like functions).
STREAM_PART_SQL = (
    "((unicode(substr(stream_id, -1)) + 31 * COALESCE(unicode(substr(stream_id, -2, 1)), 0)) % ?)"
)


class StoreError(Exception):
    """A storage failure with a stable code."""

    code = "STORE_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConcurrencyConflict(StoreError):
    """The stream was not at the expected version: somebody else appended first."""

    code = "STREAM_VERSION_CONFLICT"

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id} is at version {actual}, the append expected {expected}"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class EventIdReused(StoreError):
    """Some, but not all, event ids of an append are stored already (or elsewhere)."""

    code = "EVENT_ID_REUSED"


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append landed. `replayed` is true when it was an idempotent repeat."""

    stream_id: str
    first_version: int
    last_version: int
    positions: tuple[int, ...]
    replayed: bool = False


class SubscriberTransaction(Protocol):
    """A subscriber's unit of work: its read-model writes and its checkpoint commit together."""

    @property
    def position(self) -> int:
        """The checkpoint (global position of the last event handled)."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one read-model statement (`?` placeholders)."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one read-model statement for many rows."""
        ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read inside the transaction (sees its own uncommitted writes)."""
        ...

    def advance(self, position: int) -> None:
        """Move the checkpoint forward; it is stored when the transaction commits."""
        ...

    def reset(self) -> None:
        """Set the checkpoint back to 0 (for a rebuild)."""
        ...


class EventStore(ABC):
    """Append-only event store with per-stream optimistic concurrency."""

    @abstractmethod
    def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> AppendResult:
        """Append `events` atomically if the stream is at `expected_version` (0: new stream)."""

    def append_many(
        self, appends: Sequence[tuple[str, Sequence[NewEvent], int]]
    ) -> list[AppendResult | StoreError]:
        """Several independent appends (stream, events, expected version), each checked and
        atomic on its own as if made by concurrent callers; the result or the error of each,
        in order. Stores commit them together where they can."""
        outcomes: list[AppendResult | StoreError] = []
        for stream_id, events, expected in appends:
            try:
                outcomes.append(self.append(stream_id, events, expected))
            except StoreError as exc:
                outcomes.append(exc)
        return outcomes

    async def append_async(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> AppendResult:
        """`append` for asyncio callers; concurrent tasks are group-committed like threads."""
        return await asyncio.to_thread(self.append, stream_id, events, expected_version)

    @abstractmethod
    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[RecordedEvent]:
        """Events of one stream with `from_version <= version <= to_version`, in order."""

    @abstractmethod
    def stream_version(self, stream_id: str) -> int:
        """The stream's current version (0 when it does not exist)."""

    @abstractmethod
    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Up to `limit` events with a global position greater than `after_position`."""

    def read_prefix(
        self, stream_prefix: str, after_position: int = 0, limit: int = 1000
    ) -> tuple[list[RecordedEvent], int]:
        """Up to `limit` events after `after_position` of the streams whose id starts with
        `stream_prefix`, and the position the read covered: no event of those streams is
        missing up to it, so a subscriber of only those streams may checkpoint there even
        when nothing matched. Stores filter before decoding where they can."""
        found: list[RecordedEvent] = []
        covered = after_position
        while len(found) < limit:
            batch = self.read_all(covered, limit)
            for event in batch:
                if event.stream_id.startswith(stream_prefix):
                    found.append(event)
                    if len(found) == limit:
                        return found, event.global_position
                covered = event.global_position
            if len(batch) < limit:
                break
        return found, covered

    def iter_all(self, after_position: int = 0, batch_size: int = 1000) -> Iterator[RecordedEvent]:
        """Every event after `after_position`, read in batches."""
        while True:
            batch = self.read_all(after_position, batch_size)
            if not batch:
                return
            yield from batch
            after_position = batch[-1].global_position

    def iter_payloads(
        self, stream_prefix: str = "", *, part: int = 0, parts: int = 1, batch_size: int = 2000
    ) -> Iterator[tuple[str, Event]]:
        """(stream id, payload) of every event in global order, for folds that need no
        envelope (replays, audits). With `parts` > 1, only the streams of partition `part`:
        the partitions split the streams between workers, each stream wholly in one."""
        if not 0 <= part < parts:
            raise StoreError("part must be in [0, parts)")
        for event in self.iter_all(batch_size=batch_size):
            stream = event.stream_id
            if stream.startswith(stream_prefix) and (
                parts == 1 or stream_part(stream, parts) == part
            ):
                yield stream, event.payload

    @abstractmethod
    def head_position(self) -> int:
        """The global position of the newest event (0 when empty)."""

    @abstractmethod
    def count_streams(self, prefix: str = "") -> int:
        """How many streams exist (whose id starts with `prefix`)."""

    @abstractmethod
    def checkpoint(self, subscriber: str) -> int:
        """The subscriber's stored checkpoint (0 when it never ran)."""

    @abstractmethod
    def subscriber_transaction(
        self, subscriber: str
    ) -> AbstractContextManager[SubscriberTransaction]:
        """Open a unit of work for `subscriber`; it commits on normal exit, rolls back on error."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read read-model tables outside any subscriber transaction."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and threads."""

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
