"""The event store contract. Implementations: `sqlite_store` (embedded); PostgreSQL later.

The contract is what the rest of the hub may rely on:
- `append` is atomic per call, checks the expected stream version, and is idempotent by
  event id (re-appending the same ids returns the original result and writes nothing);
- `read_stream` and `read_all` return decoded events in stream / global order;
- subscribers keep a checkpoint in the same database and advance it in the same
  transaction as their own read-model writes (`subscriber_transaction`).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from events.envelope import Event, NewEvent, RecordedEvent
from events.error_codes import ErrorCode

if TYPE_CHECKING:
    from events.recorder import Dialect, Table


class StreamRange(NamedTuple):
    """The stream ids from `first` (inclusive) up to `stop` (exclusive; None: no end), in the
    order of their code points (which is also the byte order of their UTF-8)."""

    first: str = ""
    stop: str | None = None

    def holds(self, stream_id: str) -> bool:
        """Whether the stream lies in this range."""
        return self.first <= stream_id and (self.stop is None or stream_id < self.stop)


EMPTY_RANGE = StreamRange("", "")


def prefix_range(prefix: str) -> StreamRange:
    """The range of the stream ids that start with `prefix`."""
    if not prefix:
        return StreamRange()
    return StreamRange(prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1))


def split_offsets(total: int, parts: int) -> list[int]:
    """Where ranges 2.. of `parts` begin, as indexes of events in (stream id, version) order:
    each range then holds about total/parts events."""
    return [-(-total * i // parts) for i in range(1, parts)]


def ranges_from_stops(stops: Sequence[str | None], parts: int) -> list[StreamRange]:
    """The ranges that stop before each of `stops` (None: past the end), then the last one.
    A stream lies wholly in one range; ranges after one that runs to the end are empty."""
    ranges: list[StreamRange] = []
    first: str | None = ""
    for stop in [*stops, *[None] * (parts - len(stops))]:
        ranges.append(StreamRange(first, stop) if first is not None else EMPTY_RANGE)
        first = stop
    return ranges


def split_counts(counts: Sequence[tuple[str, int]], parts: int) -> list[StreamRange]:
    """`parts` contiguous ranges over streams given in id order with their event counts: a
    range stops before the first stream that begins at or past the event where the next
    range should begin (a stream belongs to the range it begins in)."""
    offsets = split_offsets(sum(n for _, n in counts), parts)
    stops: list[str | None] = []
    seen = 0
    for stream, n in counts:
        while len(stops) < len(offsets) and offsets[len(stops)] <= seen:
            stops.append(stream)
        seen += n
    return ranges_from_stops(stops, parts)


class StoreError(Exception):
    """A storage failure with a stable code."""

    code: ErrorCode = ErrorCode.STORE_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreCorrupt(StoreError):
    """The store's file is not a sound database: the hub refuses to start on it."""

    code = ErrorCode.STORE_CORRUPT


class StoreBusy(StoreError):
    """Another process holds the store's write lock longer than the hub waits."""

    code = ErrorCode.STORE_BUSY

    def __init__(self, message: str = "另一进程正在写入数据库，请稍后重试") -> None:
        super().__init__(message)


class ConcurrencyConflict(StoreError):
    """The stream was not at the expected version: somebody else appended first."""

    code = ErrorCode.STREAM_VERSION_CONFLICT

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id} is at version {actual}, the append expected {expected}"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class EventIdReused(StoreError):
    """Some, but not all, event ids of an append are stored already (or elsewhere)."""

    code = ErrorCode.EVENT_ID_REUSED


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append landed. `replayed` is true when it was an idempotent repeat."""

    stream_id: str
    first_version: int
    last_version: int
    positions: tuple[int, ...]
    replayed: bool = False


class SubscriberTransaction(Protocol):
    """A subscriber's unit of work: its read-model writes and its checkpoint commit together.

    Read models write through the recorder contract (events/recorder.py: `create`, `upsert`,
    `insert_new`, `update`, `delete`, `rows` over declared tables), which each store implements
    in its database's dialect; `execute`/`query` run SQL of that dialect directly (only the
    per-database modules do: full text search)."""

    dialect: Dialect

    def create(self, *tables: Table) -> bool: ...

    def drop(self, *tables: Table) -> None: ...

    def upsert(
        self, table: Table, rows: Iterable[Sequence[Any]], *, keep: Sequence[str] = ()
    ) -> None: ...

    def insert_new(self, table: Table, rows: Iterable[Sequence[Any]]) -> None: ...

    def update(self, table: Table, where: Mapping[str, Any], values: Mapping[str, Any]) -> None: ...

    def delete(self, table: Table, where: Mapping[str, Any]) -> None: ...

    def rows(
        self,
        table: Table,
        where: Mapping[str, Any],
        columns: Sequence[str] | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[tuple[Any, ...]]: ...

    def tally(
        self,
        table: Table,
        where: Mapping[str, Any],
        by: Sequence[str] = (),
        latest: str | None = None,
    ) -> list[tuple[Any, ...]]: ...

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

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction has committed (never if it rolls back): telling
        others what changed, only once they can read it."""
        ...

    def reset(self) -> None:
        """Set the checkpoint back to 0 (for a rebuild)."""
        ...


class EventStore(ABC):
    """Append-only event store with per-stream optimistic concurrency."""

    dialect: Dialect  # the SQL its read models speak (events/recorder.py)

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
        import asyncio  # here: a command that never awaits does not load it

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

    def split_streams(self, stream_prefix: str, parts: int) -> list[StreamRange]:
        """`parts` contiguous ranges of the streams whose id starts with `stream_prefix`, each
        holding about as many events as the others, for workers replaying one range each. A
        stream lies wholly in one range; computed once, so every worker sees the same split."""
        if parts < 1:
            raise StoreError("parts must be at least 1")
        counts: dict[str, int] = {}
        for event in self.iter_all():
            if event.stream_id.startswith(stream_prefix):
                counts[event.stream_id] = counts.get(event.stream_id, 0) + 1
        return split_counts(sorted(counts.items()), parts)

    def iter_payloads(
        self, stream_prefix: str = "", *, within: StreamRange | None = None, batch_size: int = 2000
    ) -> Iterator[tuple[str, Event]]:
        """(stream id, payload) of every event of the streams whose id starts with
        `stream_prefix` (and lies `within` a range), stream after stream in id order, each
        stream's events in order: for folds that need no envelope (replays, audits)."""
        streams: dict[str, list[Event]] = {}
        for event in self.iter_all(batch_size=batch_size):
            stream = event.stream_id
            if stream.startswith(stream_prefix) and (within is None or within.holds(stream)):
                streams.setdefault(stream, []).append(event.payload)
        for stream in sorted(streams):
            for payload in streams[stream]:
                yield stream, payload

    @abstractmethod
    def head_position(self) -> int:
        """The global position of the newest event (0 when empty)."""

    def wait_for_append(self, after_position: int, timeout: float) -> bool:
        """Wait until an event after `after_position` is stored, by this process or another,
        or `timeout` seconds pass; whether one was. A worker sleeps on this between rounds,
        so it wakes as soon as a user's command appends. Stores that can be told (in
        process, or by the database) override `_nap` to wake early."""
        deadline = time.monotonic() + timeout
        while self.head_position() <= after_position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._nap(min(remaining, 0.1))
        return True

    def _nap(self, seconds: float) -> None:
        """Sleep between two looks at the head (woken early by an append, where possible)."""
        time.sleep(seconds)

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

    def rows(
        self,
        table: Table,
        where: Mapping[str, Any],
        columns: Sequence[str] | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows of a read model's table by conditions (events/recorder.py), outside any
        subscriber transaction."""
        raise NotImplementedError(f"{type(self).__name__} keeps no read models")

    def tally(
        self,
        table: Table,
        where: Mapping[str, Any],
        by: Sequence[str] = (),
        latest: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """(*by, count, max(latest)) per group of a read model's rows that meet `where`."""
        raise NotImplementedError(f"{type(self).__name__} keeps no read models")

    @abstractmethod
    def close(self) -> None:
        """Release connections and threads."""

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
