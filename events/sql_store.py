"""What the SQL event stores share: group commit of concurrent appenders, the decoding of
stored rows, and the subscriber transaction's checkpoint bookkeeping.

Group commit: appenders queue their requests; whichever caller finds no commit under way
becomes the leader, writes every queued request in one transaction (`_commit`, each request
checked on its own) and pays for one durable commit on behalf of all.

Asyncio callers (`append_async`) join the same queue without a thread each: the first task to
queue while nothing commits defers the commit to the end of the event loop's current round
(`call_soon`), so every task that is ready in that round queues first and one commit covers
them all; a single committer thread writes the batch while the loop goes on, and hands the
results back to the loop in one callback.

A stored row has the columns of `COLUMNS`, in that order, in every database.
"""

from __future__ import annotations

import gc
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from events.commit_thread import CommitThread
from events.envelope import Actor, Event, NewEvent, RecordedEvent, authenticated_via
from events.integrity import (
    FIELDS,
    ZERO,
    AuditKey,
    Chainer,
    Seal,
    chain_link,
    digest_encoded,
    make_seal,
    stream_link,
)
from events.integrity import digest as content_digest
from events.log import get_logger
from events.recorder import Dialect, Reading, Recording
from events.registry import EventRegistry, default_registry
from events.store import (
    AppendResult,
    EventStore,
    StoreError,
    StreamRange,
    prefix_range,
    ranges_from_stops,
    split_offsets,
)

if TYPE_CHECKING:
    import asyncio

log = get_logger(__name__)
Reader = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

COLUMNS = (
    "event_id, stream_id, stream_version, global_position, type, schema_version, "
    "occurred_at, actor_id, actor_role, correlation_id, causation_id, payload"
)

_LARGE_PAYLOAD = 16_384  # characters of JSON from which a decoded payload is worth keeping
_LARGE_KEPT = 32

_MAX_BATCH = 512
_PAGE = 5000  # rows per page of the integrity reads
_FIELDS = ", ".join(FIELDS)
_SEAL_COLUMNS = "position, chain_hash, sealed_at, key, signature"


def link_stored(
    read: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]],
    write: Callable[[str, list[tuple[Any, ...]]], Any],
    dialect: Dialect, chainer: Chainer,
) -> int:  # fmt: skip
    """Link every stored event of a log made before the chains (inside the upgrading
    transaction): each stream's hashes in stream order, then the chain (and macs) in global
    order, a page at a time. Returns the number of events linked."""
    mark = dialect.placeholder
    after: tuple[str, int] = ("", 0)
    stream, previous = None, ZERO
    while rows := read(f"SELECT {_FIELDS}, global_position FROM events WHERE "
                       f"(stream_id, stream_version) > ({mark}, {mark}) "
                       f"ORDER BY stream_id, stream_version LIMIT {_PAGE}", after):  # fmt: skip
        updates = []
        for row in rows:
            if row[1] != stream:
                stream, previous = row[1], ZERO
            previous = stream_link(previous, content_digest(row))
            updates.append((previous, row[len(FIELDS)]))
        write(f"UPDATE events SET stream_hash = {mark} WHERE global_position = {mark}", updates)
        after = (rows[-1][1], rows[-1][2])
    position, chain, total = 0, ZERO, 0
    while rows := read(f"SELECT global_position, stream_hash FROM events WHERE global_position > "
                       f"{mark} ORDER BY global_position LIMIT {_PAGE}", (position,)):  # fmt: skip
        links = []
        for position, stream_hash in rows:
            chain = chain_link(chain, position, bytes(stream_hash))
            mac = chainer.key.mac(chain) if chainer.key is not None else None
            links.append((chain, mac, position))
        write(f"UPDATE events SET chain_hash = {mark}, mac = {mark} WHERE global_position = {mark}",
              links)  # fmt: skip
        total += len(rows)
    return total


class _Request:
    """One append waiting to be committed by the current leader."""

    __slots__ = (
        "digests",
        "error",
        "event_ids",
        "expected",
        "finished",
        "future",
        "result",
        "rows",
        "stream_id",
        "wake",
    )

    def __init__(
        self,
        stream_id: str,
        encoded: tuple[list[list[Any]], list[bytes]],
        expected: int,
        future: asyncio.Future[None] | None = None,
    ) -> None:
        self.stream_id = stream_id
        self.rows, self.digests = encoded  # the events' `FIELDS`, and their content digests
        self.event_ids = [row[0] for row in self.rows]
        self.expected = expected
        # Threads wait on a locked lock as a one-shot signal (the waiter acquires, the leader
        # releases; much cheaper to create than a threading.Event); asyncio tasks on a future.
        self.future = future
        self.wake = threading.Lock()
        if future is None:
            self.wake.acquire()
        self.finished = False
        self.result: AppendResult | None = None
        self.error: BaseException | None = None


def _settle(requests: list[_Request]) -> None:
    """Wake the asyncio tasks of committed requests (runs in their event loop)."""
    for request in requests:
        future = request.future
        if future is not None and not future.done():
            future.set_result(None)


class CheckpointedTransaction(Recording):
    """`SubscriberTransaction` over a connection in a transaction: read-model writes through
    the recorder contract, and the checkpoint stored at the end (`_flush`)."""

    def __init__(self, conn: Any, dialect: Dialect, subscriber: str, position: int) -> None:
        self._conn = conn  # a DB-API connection whose `execute` returns its cursor
        self.dialect = dialect
        self._subscriber = subscriber
        self._position = position
        self._start = position
        self._committed: list[Callable[[], None]] = []

    @property
    def position(self) -> int:
        return self._position

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.cursor().executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def advance(self, position: int) -> None:
        if position < self._position:
            raise StoreError(f"checkpoint of {self._subscriber} cannot move back")
        self._position = position

    def after_commit(self, action: Callable[[], None]) -> None:
        self._committed.append(action)

    def _after_commit(self) -> None:
        """Run the actions waiting for the commit (one failing does not stop the others)."""
        for action in self._committed:
            try:
                action()
            except Exception:
                log.exception("store.after_commit_failed")
        self._committed.clear()

    def reset(self) -> None:
        self._position = 0
        self._start = -1

    def _flush(self) -> None:
        if self._position != self._start:
            marks = self.dialect.marks(2)
            self._conn.execute(
                f"INSERT INTO checkpoints (subscriber, position) VALUES ({marks}) "
                "ON CONFLICT (subscriber) DO UPDATE SET position = excluded.position",
                (self._subscriber, self._position),
            )


class SQLEventStore(Reading, EventStore):
    """An event store in a SQL database: group commit and row decoding (subclasses: the
    connections, `_commit` of a batch, and the reads)."""

    dialect: Dialect
    # Whether a bulk read (`iter_payloads`) reads its next page in a thread while the caller
    # decodes this one (worth it when a server answers meanwhile).
    read_ahead = False
    # Whether the rows carry the payload as the UTF-8 bytes pydantic wrote, bound as text by
    # the insert (SQLite: `CAST(? AS TEXT)` stores the same text without decoding it here
    # and encoding it again in the driver), or as text.
    payload_as_utf8 = False
    _writer: Any  # the connection appends and seals are written on (under `_write_lock`)
    _write_lock: threading.Lock

    def __init__(self, registry: EventRegistry | None, key: AuditKey | None = None) -> None:
        self.registry = registry or default_registry
        # Links each appended event into the hash chains (events/integrity.py); the head
        # (position, chain hash) the last batch was numbered after.
        self.chainer = Chainer(key)
        self._head: tuple[int, bytes] = (0, ZERO)
        self._head_known = False  # whether `_head` is the head after this process's commit
        self._queue_lock = threading.Lock()
        self._pending: list[_Request] = []
        self._leader_active = False
        self._closed = False
        self._large: dict[str, Event] = {}  # event id -> payload, of the newest large events
        self._large_lock = threading.Lock()
        self._committer: CommitThread | None = None  # commits for asyncio callers
        self._appended = threading.Condition()  # notified after each commit in this process

    @abstractmethod
    def _commit(self, batch: list[_Request]) -> None:
        """Write a batch in one transaction, setting each request's result or error."""

    @abstractmethod
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read statement (in the store's dialect)."""

    @abstractmethod
    def _snapshot(self) -> AbstractContextManager[Reader]:
        """A read function whose statements all see the same committed events."""

    def split_streams(self, stream_prefix: str, parts: int) -> list[StreamRange]:
        if parts < 1:
            raise StoreError("parts must be at least 1")
        span = prefix_range(stream_prefix)
        mark = self.dialect.placeholder
        where, params = self._range_where(span.first, span.stop)
        # One read transaction: the count and the split points see the same events.
        with self._snapshot() as read:
            total = read(f"SELECT count(*) FROM events WHERE {where}", params)
            stops: list[str | None] = []
            for offset in split_offsets(int(total[0][0]), parts):
                # The stream holding that event, if it begins there, else the next stream.
                rows = read(
                    f"SELECT stream_id, stream_version FROM events WHERE {where} "
                    f"ORDER BY stream_id, stream_version LIMIT 1 OFFSET {mark}",
                    (*params, offset),
                )
                if rows and rows[0][1] != 1:
                    later, later_params = self._range_where(rows[0][0], span.stop, after=True)
                    rows = read(
                        f"SELECT stream_id FROM events WHERE {later} ORDER BY stream_id LIMIT 1",
                        later_params,
                    )
                stops.append(rows[0][0] if rows else None)
        return ranges_from_stops(stops, parts)

    def _range_where(
        self, first: str, stop: str | None, *, after: bool = False
    ) -> tuple[str, list[str]]:
        """SQL condition and parameters of the stream ids in [first, stop) ((first, stop))."""
        mark = self.dialect.placeholder
        lower = f"stream_id > {mark}" if after else f"stream_id >= {mark}"
        if stop is None:
            return lower, [first]
        return f"{lower} AND stream_id < {mark}", [first, stop]

    def iter_payloads(
        self, stream_prefix: str = "", *, within: StreamRange | None = None, batch_size: int = 2000
    ) -> Iterator[tuple[str, Event]]:
        # Read through the (stream_id, stream_version) index, a page of rows at a time after
        # the last one read: a range of streams costs only its own rows (a filter on the
        # stream id would read every row of the table), and no envelope is built.
        span, within = prefix_range(stream_prefix), within or StreamRange()
        first = max(span.first, within.first)
        stops = [stop for stop in (span.stop, within.stop) if stop is not None]
        mark = self.dialect.placeholder
        # The row value alone bounds the range from below: with a second lower bound on
        # stream_id, SQLite would start every page's index scan at the range's beginning.
        where, params = "", []
        if stops:
            where, params = f" AND stream_id < {mark}", [min(stops)]
        sql = (
            "SELECT stream_id, stream_version, type, schema_version, payload FROM events "
            f"WHERE (stream_id, stream_version) > ({mark}, {mark}){where} "
            f"ORDER BY stream_id, stream_version LIMIT {mark}"
        )
        decode = self.registry.decode

        def page(after: tuple[str, int]) -> list[tuple[Any, ...]]:
            return self._read_in_order(sql, (*after, *params, batch_size))

        for rows in self._pages(page, (first, 0), batch_size):
            enabled = gc.isenabled()
            gc.disable()  # as in `_decode_batch`: the decoded objects all survive the batch
            try:
                batch = [(r[0], decode(r[2], r[3], r[4])) for r in rows]
            finally:
                if enabled:
                    gc.enable()
            yield from batch

    def read_rows(self, after_position: int = 0, limit: int = 1000) -> list[tuple[Any, ...]]:
        """Stored rows after a position, in global order, undecoded (the columns of
        `COLUMNS`, the payload as its stored JSON text): what a relay forwards as it is."""
        mark = self.dialect.placeholder
        return self._read(
            f"SELECT {COLUMNS} FROM events WHERE global_position > {mark} "
            f"ORDER BY global_position LIMIT {mark}",
            (after_position, limit),
        )

    def _read_in_order(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """`_read` of a statement whose ORDER BY an index gives (a store may insist on it)."""
        return self._read(sql, params)

    def _pages(
        self, page: Callable[[tuple[str, int]], list[tuple[Any, ...]]], after: tuple[str, int],
        size: int,
    ) -> Iterator[list[tuple[Any, ...]]]:  # fmt: skip
        """The pages `page` reads, each after the last (stream id, version) of the one
        before; with `read_ahead`, the next page is read while the caller uses this one."""
        if not self.read_ahead:
            while rows := page(after):
                yield rows
                if len(rows) < size:
                    return
                after = (rows[-1][0], rows[-1][1])
            return
        with ThreadPoolExecutor(1, thread_name_prefix="store-read-ahead") as ahead:
            coming = ahead.submit(page, after)
            while rows := coming.result():
                full = len(rows) == size
                if full:
                    coming = ahead.submit(page, (rows[-1][0], rows[-1][1]))
                yield rows
                if not full:
                    return

    # -- integrity ---------------------------------------------------------------------

    def seal(self, sealed_at: str) -> Seal | None:
        """Sign the chain head as a checkpoint (None without the audit key, on an empty log,
        or when the head is sealed already)."""
        key = self.chainer.key
        if key is None:
            return None
        head = self._read("SELECT global_position, chain_hash FROM events "
                          "ORDER BY global_position DESC LIMIT 1")  # fmt: skip
        if not head or head[0][1] is None:
            return None
        last = self._read("SELECT MAX(position) FROM seals")
        if last and last[0][0] is not None and int(last[0][0]) >= int(head[0][0]):
            return None
        seal = make_seal(key, int(head[0][0]), bytes(head[0][1]), sealed_at)
        with self._write_lock:
            self._writer.execute(
                f"INSERT INTO seals ({_SEAL_COLUMNS}) VALUES ({self.dialect.marks(5)}) "
                "ON CONFLICT (position) DO NOTHING",
                (seal.position, seal.chain_hash, seal.sealed_at, seal.key, seal.signature),
            )
        log.info("store.sealed", position=seal.position, key=seal.key)
        return seal

    def seals(self) -> list[Seal]:
        """The signed checkpoints, oldest first."""
        rows = self._read(f"SELECT {_SEAL_COLUMNS} FROM seals ORDER BY position")
        return [Seal(int(r[0]), bytes(r[1]), str(r[2]), str(r[3]), bytes(r[4])) for r in rows]

    def rows_by_stream(self) -> Iterator[tuple[Any, ...]]:
        """Every stored event in (stream, version) order: its `FIELDS`, global position and
        stream_hash (the streams' chains are checked on these)."""
        mark = self.dialect.placeholder
        sql = (f"SELECT {_FIELDS}, global_position, stream_hash FROM events "
               f"WHERE (stream_id, stream_version) > ({mark}, {mark}) "
               f"ORDER BY stream_id, stream_version LIMIT {_PAGE}")  # fmt: skip
        after: tuple[str, int] = ("", 0)
        while rows := self._read_in_order(sql, after):
            yield from rows
            after = (rows[-1][1], rows[-1][2])

    def rows_by_position(self, after: int = 0) -> Iterator[tuple[Any, ...]]:
        """Every stored event in global order: position, event id, stream id, stream_hash,
        chain_hash and mac (the global chain is checked on these)."""
        mark = self.dialect.placeholder
        sql = ("SELECT global_position, event_id, stream_id, stream_hash, chain_hash, mac "
               f"FROM events WHERE global_position > {mark} ORDER BY global_position "
               f"LIMIT {_PAGE}")  # fmt: skip
        while rows := self._read_in_order(sql, (after,)):
            yield from rows
            after = int(rows[-1][0])

    def export_rows(self) -> Iterator[tuple[Any, ...]]:
        """Every stored event in global order with its hashes: the `FIELDS`, position,
        stream_hash, chain_hash (what an export bundle holds)."""
        mark = self.dialect.placeholder
        sql = (f"SELECT {_FIELDS}, global_position, stream_hash, chain_hash FROM events "
               f"WHERE global_position > {mark} ORDER BY global_position LIMIT {_PAGE}")  # fmt: skip
        after = 0
        while rows := self._read_in_order(sql, (after,)):
            yield from rows
            after = int(rows[-1][len(FIELDS)])

    # -- appending ---------------------------------------------------------------------

    def _encode(
        self, stream_id: str, events: Sequence[NewEvent], expected: int
    ) -> tuple[list[list[Any]], list[bytes]]:
        """The rows of an append (the `FIELDS`), versions numbered after `expected`, and their
        content digests (computed here, by the caller, not by the committing leader: the
        integrity chains then cost the leader two short hashes and a seal per event)."""
        rows: list[list[Any]] = []
        digests: list[bytes] = []
        via = authenticated_via.get()
        as_utf8 = self.payload_as_utf8
        for version, event in enumerate(events, expected + 1):
            payload = event.payload
            cls = type(payload)
            utf8 = self.registry.encode_utf8(payload)
            row: list[Any] = [
                event.event_id,
                stream_id,
                version,
                cls.type_name,
                cls.schema_version,
                event.occurred_at.isoformat(),
                event.actor.user_id,
                event.actor.role,
                event.correlation_id,
                event.causation_id,
                utf8 if as_utf8 else utf8.decode("utf-8"),
                via,
            ]
            digests.append(digest_encoded(row, utf8))
            rows.append(row)
        return rows, digests

    def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> AppendResult:
        request = self._request(stream_id, events, expected_version)
        if self._enqueue([request]):
            self._lead()
        else:
            request.wake.acquire()
            if not request.finished:  # woken to lead the next batch, which includes itself
                self._lead()
        return self._answer(request)

    def append_many(
        self, appends: Sequence[tuple[str, Sequence[NewEvent], int]]
    ) -> list[AppendResult | StoreError]:
        """Queue every append at once, so they share group commits (batches of _MAX_BATCH)."""
        requests = []
        for stream_id, events, expected in appends:
            if not events or expected < 0:
                raise StoreError("each append needs events and a valid expected_version")
            requests.append(
                _Request(stream_id, self._encode(stream_id, events, expected), expected)
            )
        if not requests:
            return []
        if self._enqueue(requests):
            self._lead()
        for request in requests:
            while not request.finished:
                request.wake.acquire()  # finished, or handed the lead (it heads the queue)
                if not request.finished:
                    self._lead()
        outcomes: list[AppendResult | StoreError] = []
        for request in requests:
            if request.error is not None:
                error = request.error
                outcomes.append(error if isinstance(error, StoreError) else StoreError(str(error)))
            else:
                assert request.result is not None
                outcomes.append(request.result)
        return outcomes

    async def append_async(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> AppendResult:
        import asyncio  # here: a command that never awaits does not load it

        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        request = self._request(stream_id, events, expected_version, future)
        if self._enqueue([request]):
            # After the tasks ready in this round of the loop have queued their appends.
            loop.call_soon(self._commit_for_tasks)
        # A caller cancelled while waiting cancels only its wait: the append is committed (or
        # not) with the others, and `_settle` skips the cancelled future.
        await future
        return self._answer(request)

    def _request(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
        future: asyncio.Future[None] | None = None,
    ) -> _Request:
        """Check an append's arguments and encode it for the queue."""
        if not events:
            raise StoreError("an append needs at least one event")
        if expected_version < 0:
            raise StoreError("expected_version must be 0 (new stream) or a stream version")
        return _Request(
            stream_id, self._encode(stream_id, events, expected_version), expected_version, future
        )

    def _enqueue(self, requests: list[_Request]) -> bool:
        """Queue requests; True when the caller must see to the commit (no leader yet)."""
        with self._queue_lock:
            if self._closed:
                raise StoreError("the event store is closed")
            self._pending.extend(requests)
            lead = not self._leader_active
            if lead:
                self._leader_active = True
        return lead

    @staticmethod
    def _answer(request: _Request) -> AppendResult:
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _commit_for_tasks(self) -> None:
        """Lead from the committer thread (asyncio requests have no thread of their own)."""
        with self._queue_lock:
            committer = self._committer
            if committer is None and not self._closed:
                committer = self._committer = CommitThread(self._lead_as_committer)
        try:
            if committer is None:
                raise RuntimeError("closed before its first commit")
            committer.wake()
        except RuntimeError:  # closed meanwhile: answer whatever is still queued
            with self._queue_lock:
                batch, self._pending = self._pending, []
                self._leader_active = False
            for request in batch:
                request.error = StoreError("the event store is closed")
            self._finish(batch)

    def _lead_as_committer(self) -> None:
        self._lead(True)

    def _lead(self, committer: bool = False) -> None:
        """Commit what is queued (in batches), then hand leadership to a waiter or give it up.

        A waiting thread is woken to lead the next batch. When an asyncio request heads the
        queue, the committer thread leads: it goes on itself, or a caller's thread hands over.
        """
        while True:
            with self._queue_lock:
                batch = self._pending[:_MAX_BATCH]
                del self._pending[:_MAX_BATCH]
            try:
                self._commit(batch)
            finally:
                self._finish(batch)
                with self._queue_lock:
                    head = self._pending[0] if self._pending else None
                    if head is None:
                        self._leader_active = False
                    elif head.future is None:
                        head.wake.release()
            if head is None or head.future is None:
                return
            if not committer:
                self._commit_for_tasks()
                return

    def _finish(self, batch: list[_Request]) -> None:
        """Mark a committed batch finished and wake its callers, threads and tasks (and
        whoever waits for an append)."""
        with self._appended:
            self._appended.notify_all()
        tasks: dict[asyncio.AbstractEventLoop, list[_Request]] = {}
        for request in batch:
            request.finished = True
            if request.future is None:
                request.wake.release()
            else:
                tasks.setdefault(request.future.get_loop(), []).append(request)
        for loop, requests in tasks.items():
            try:
                loop.call_soon_threadsafe(_settle, requests)
            except RuntimeError:  # the loop was closed: nobody is waiting any more
                log.warning("store.loop_closed", requests=len(requests))

    def _nap(self, seconds: float) -> None:
        with self._appended:
            self._appended.wait(seconds)

    # -- decoding ----------------------------------------------------------------------

    def _decode(self, row: tuple[Any, ...]) -> RecordedEvent:
        return RecordedEvent(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            datetime.fromisoformat(row[6]),
            Actor(row[7], row[8]),
            row[9],
            row[10],
            self._payload(row),
        )

    def _payload(self, row: tuple[Any, ...]) -> Event:
        """Decode a payload. Large ones (a publication to thousands of targets) are read by
        every subscriber, the planner and the engine: the newest few are kept decoded
        (payloads are immutable, so sharing one is safe)."""
        data = row[11]
        if len(data) < _LARGE_PAYLOAD:
            return self.registry.decode(row[4], row[5], data)
        with self._large_lock:
            payload = self._large.get(row[0])
        if payload is None:
            payload = self.registry.decode(row[4], row[5], data)
            with self._large_lock:
                self._large[row[0]] = payload
                while len(self._large) > _LARGE_KEPT:
                    del self._large[next(iter(self._large))]
        return payload

    def _decode_batch(self, rows: list[tuple[Any, ...]]) -> list[RecordedEvent]:
        # Decoding a batch allocates many objects that all survive; collecting in the middle
        # of it only re-scans them. Pause the cyclic GC for the batch (it creates no cycles).
        # The loop is `_decode` inlined with its lookups bound to locals: replays run it for
        # every stored event.
        enabled = gc.isenabled()
        gc.disable()
        try:
            decode = self.registry.decode
            payload = self._payload
            parse_time = datetime.fromisoformat
            make = RecordedEvent
            large = _LARGE_PAYLOAD
            return [
                make(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    parse_time(r[6]),
                    Actor(r[7], r[8]),
                    r[9],
                    r[10],
                    decode(r[4], r[5], r[11]) if len(r[11]) < large else payload(r),
                )
                for r in rows
            ]
        finally:
            if enabled:
                gc.enable()
