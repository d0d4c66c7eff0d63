"""SQLite event store: WAL, durable commits, group commit of concurrent appenders.

Group commit: appenders queue their requests; whichever caller finds no commit under way
becomes the leader, writes every queued request in one transaction (each request behind
its own savepoint and its own version check) and pays for one fsync on behalf of all.
Writers in other processes are serialised by SQLite's own lock (BEGIN IMMEDIATE).

Asyncio callers (`append_async`) join the same queue without a thread each: the first task to
queue while nothing commits defers the commit to the end of the event loop's current round
(`call_soon`), so every task that is ready in that round queues first and one fsync covers
them all; a single committer thread writes the batch while the loop goes on, and hands the
results back to the loop in one callback.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from events.envelope import Actor, Event, NewEvent, RecordedEvent
from events.recorder import SQLITE, Recording, Table, select_sql
from events.registry import EventRegistry, default_registry
from events.store import (
    AppendResult,
    ConcurrencyConflict,
    EventIdReused,
    EventStore,
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StreamRange,
    prefix_range,
    ranges_from_stops,
    split_offsets,
)

log = structlog.get_logger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    global_position INTEGER PRIMARY KEY,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    causation_id TEXT,
    payload TEXT NOT NULL,
    UNIQUE (stream_id, stream_version)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    subscriber TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
"""

_COLUMNS = (
    "event_id, stream_id, stream_version, global_position, type, schema_version, "
    "occurred_at, actor_id, actor_role, correlation_id, causation_id, payload"
)
_INSERT_COLUMNS = (
    "event_id, stream_id, stream_version, type, schema_version, occurred_at, actor_id, "
    "actor_role, correlation_id, causation_id, payload"
)
_ROW = "(?,?,?,?,?,?,?,?,?,?,?)"
_LARGE_PAYLOAD = 16_384  # characters of JSON from which a decoded payload is worth keeping
_LARGE_KEPT = 32


@functools.cache
def _insert_sql(rows: int) -> str:
    """Insert `rows` events if the stream is at the expected version (the last two params)."""
    return (
        f"INSERT INTO events ({_INSERT_COLUMNS}) SELECT * FROM (VALUES "
        + ",".join([_ROW] * rows)
        + ") WHERE (SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = ?) = ?"
        + " RETURNING global_position"
    )


_MAX_BATCH = 512


class _Request:
    """One append waiting to be committed by the current leader."""

    __slots__ = (
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
        rows: list[list[Any]],
        expected: int,
        future: asyncio.Future[None] | None = None,
    ) -> None:
        self.stream_id = stream_id
        self.rows = rows
        self.event_ids = [row[0] for row in rows]
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


class _Transaction(Recording):
    """`SubscriberTransaction` over the writer connection."""

    def __init__(self, conn: sqlite3.Connection, subscriber: str, position: int) -> None:
        self._conn = conn
        self._subscriber = subscriber
        self._position = position
        self._start = position

    @property
    def position(self) -> int:
        return self._position

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def advance(self, position: int) -> None:
        if position < self._position:
            raise StoreError(f"checkpoint of {self._subscriber} cannot move back")
        self._position = position

    def reset(self) -> None:
        self._position = 0
        self._start = -1

    def _flush(self) -> None:
        if self._position != self._start:
            self._conn.execute(
                "INSERT INTO checkpoints (subscriber, position) VALUES (?, ?) "
                "ON CONFLICT (subscriber) DO UPDATE SET position = excluded.position",
                (self._subscriber, self._position),
            )


class SQLiteEventStore(EventStore):
    """Event store in one SQLite file (WAL; `durable` means synchronous=FULL)."""

    def __init__(
        self,
        path: str | Path,
        registry: EventRegistry | None = None,
        *,
        durable: bool = True,
        busy_timeout: float = 5.0,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.registry = registry or default_registry
        self._durable = durable
        self._busy_timeout = busy_timeout
        _check_header(self.path)
        try:
            self._writer = self._connect()
            self._writer.executescript(_SCHEMA)
            _check_integrity(self._writer, self.path)
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise StoreBusy() from exc
            raise StoreCorrupt(f"数据库文件无法打开（{exc}）：{self.path}") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreCorrupt(f"数据库文件已损坏（{exc}）：{self.path}；请从备份恢复") from exc
        self._write_lock = threading.Lock()  # one user of the writer connection at a time
        self._queue_lock = threading.Lock()
        self._pending: list[_Request] = []
        self._leader_active = False
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._closed = False
        self._large: dict[str, Event] = {}  # event id -> payload, of the newest large events
        self._large_lock = threading.Lock()
        self._committer: ThreadPoolExecutor | None = None  # commits for asyncio callers
        self._appended = threading.Condition()  # notified after each commit in this process

    # -- connections -------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if self._durable else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError("the event store is closed")
            conn = self._connect()
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._queue_lock:
                self._readers.append(conn)
        return conn

    # -- appending ---------------------------------------------------------------------

    def _encode(self, stream_id: str, events: Sequence[NewEvent]) -> list[list[Any]]:
        rows = []
        for event in events:
            payload = event.payload
            cls = type(payload)
            rows.append(
                [
                    event.event_id,
                    stream_id,
                    0,  # stream version, set when the request is applied
                    cls.type_name,
                    cls.schema_version,
                    event.occurred_at.isoformat(),
                    event.actor.user_id,
                    event.actor.role,
                    event.correlation_id,
                    event.causation_id,
                    self.registry.encode(payload),
                ]
            )
        return rows

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
            requests.append(_Request(stream_id, self._encode(stream_id, events), expected))
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
        return _Request(stream_id, self._encode(stream_id, events), expected_version, future)

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
            if self._committer is None:
                self._committer = ThreadPoolExecutor(1, thread_name_prefix="store-commit")
            committer = self._committer
        try:
            committer.submit(self._lead, True)
        except RuntimeError:  # closed meanwhile: answer whatever is still queued
            with self._queue_lock:
                batch, self._pending = self._pending, []
                self._leader_active = False
            for request in batch:
                request.error = StoreError("the event store is closed")
            self._finish(batch)

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

    def _commit(self, batch: list[_Request]) -> None:
        with self._write_lock:
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                for request in batch:
                    self._apply(conn, request)
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                failure = (
                    exc if isinstance(exc, StoreError) else StoreError(f"append failed: {exc}")
                )
                for request in batch:
                    request.result = None
                    request.error = request.error or failure
                log.error("store.commit_failed", error=str(exc), batch=len(batch))
                if not isinstance(exc, Exception):
                    raise
        log.debug("store.committed", batch=len(batch))

    def _apply(self, conn: sqlite3.Connection, request: _Request) -> None:
        """Check and insert one request inside the batch transaction.

        The happy path is one statement: the insert carries the version check in its WHERE
        clause (every SQLite call here releases and re-takes the GIL, so fewer calls keep the
        leader quick while other threads compute). A statement is atomic in SQLite: when it
        fails on a constraint, only its own rows are undone and the batch goes on. Event ids
        are looked up only when the version does not match (a retried append that already
        landed is then answered with its original result) or when the insert hits one.
        """
        version = request.expected
        params: list[Any] = []
        for row in request.rows:
            version += 1
            row[2] = version
            params.extend(row)
        params.append(request.stream_id)
        params.append(request.expected)
        try:
            # SQLite gives each row max(global_position) + 1 under the write lock, so one
            # request's positions are consecutive and insert order is commit order.
            returned = conn.execute(_insert_sql(len(request.rows)), params).fetchall()
        except sqlite3.IntegrityError:
            if not self._answer_repeat(conn, request):
                request.error = EventIdReused("an append repeats an event id")
            return
        if not returned:  # the stream is not at the expected version
            if not self._answer_repeat(conn, request):
                current = conn.execute(
                    "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = ?",
                    (request.stream_id,),
                ).fetchone()[0]
                request.error = ConcurrencyConflict(request.stream_id, request.expected, current)
            return
        first = min(row[0] for row in returned)
        request.result = AppendResult(
            request.stream_id,
            request.expected + 1,
            version,
            tuple(range(first, first + len(returned))),
        )

    def _answer_repeat(self, conn: sqlite3.Connection, request: _Request) -> bool:
        """If the request's event ids are stored, answer it (replayed or refused); else False."""
        ids = request.event_ids
        marks = ",".join("?" * len(ids))
        found = conn.execute(
            f"SELECT event_id, stream_id, stream_version, global_position FROM events "
            f"WHERE event_id IN ({marks}) ORDER BY global_position",
            ids,
        ).fetchall()
        if not found:
            return False
        if len(found) == len(ids) and all(row[1] == request.stream_id for row in found):
            request.result = AppendResult(
                request.stream_id,
                found[0][2],
                found[-1][2],
                tuple(row[3] for row in found),
                replayed=True,
            )
        else:
            request.error = EventIdReused(
                f"{len(found)} of {len(ids)} event ids are already stored"
            )
        return True

    # -- reading -----------------------------------------------------------------------

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

    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[RecordedEvent]:
        upper = to_version if to_version is not None else 1 << 62
        rows = (
            self._reader()
            .execute(
                f"SELECT {_COLUMNS} FROM events WHERE stream_id = ? "
                "AND stream_version BETWEEN ? AND ? ORDER BY stream_version",
                (stream_id, from_version, upper),
            )
            .fetchall()
        )
        return [self._decode(row) for row in rows]

    def stream_version(self, stream_id: str) -> int:
        row = (
            self._reader()
            .execute(
                "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = ?",
                (stream_id,),
            )
            .fetchone()
        )
        return int(row[0])

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        rows = (
            self._reader()
            .execute(
                f"SELECT {_COLUMNS} FROM events WHERE global_position > ? "
                "ORDER BY global_position LIMIT ?",
                (after_position, limit),
            )
            .fetchall()
        )
        return self._decode_batch(rows)

    def read_prefix(
        self, stream_prefix: str, after_position: int = 0, limit: int = 1000
    ) -> tuple[list[RecordedEvent], int]:
        reader = self._reader()
        # Positions are given in commit order (one writer), so nothing can appear below the
        # head read first: everything up to it is covered once the rows up to it are read.
        head = int(reader.execute("SELECT COALESCE(MAX(global_position), 0) FROM events")
                   .fetchone()[0])  # fmt: skip
        where = ""
        params: list[int | str] = [after_position, head]
        if stream_prefix:
            where = " AND stream_id >= ? AND stream_id < ?"
            params += [stream_prefix, _prefix_end(stream_prefix)]
        rows = reader.execute(
            f"SELECT {_COLUMNS} FROM events WHERE global_position > ? AND global_position <= ?"
            f"{where} ORDER BY global_position LIMIT ?",
            (*params, limit),
        ).fetchall()
        covered = rows[-1][3] if len(rows) == limit else max(head, after_position)
        return self._decode_batch(rows), covered

    def split_streams(self, stream_prefix: str, parts: int) -> list[StreamRange]:
        if parts < 1:
            raise StoreError("parts must be at least 1")
        span = prefix_range(stream_prefix)
        where, params = _range_where(span.first, span.stop)
        reader = self._reader()
        # One read transaction: the count and the split points see the same events.
        with _read_snapshot(reader):
            total = reader.execute(f"SELECT count(*) FROM events WHERE {where}", params)
            stops: list[str | None] = []
            for offset in split_offsets(int(total.fetchone()[0]), parts):
                # The stream holding that event, if it begins there, else the next stream.
                row = reader.execute(
                    f"SELECT stream_id, stream_version FROM events WHERE {where} "
                    "ORDER BY stream_id, stream_version LIMIT 1 OFFSET ?",
                    (*params, offset),
                ).fetchone()
                if row is not None and row[1] != 1:
                    later, later_params = _range_where(row[0], span.stop, after=True)
                    row = reader.execute(
                        f"SELECT stream_id FROM events WHERE {later} ORDER BY stream_id LIMIT 1",
                        later_params,
                    ).fetchone()
                stops.append(row[0] if row else None)
        return ranges_from_stops(stops, parts)

    def iter_payloads(
        self, stream_prefix: str = "", *, within: StreamRange | None = None, batch_size: int = 2000
    ) -> Iterator[tuple[str, Event]]:
        # Read through the (stream_id, stream_version) index, a page of rows at a time after
        # the last one read: a range of streams costs only its own rows (a filter on the
        # stream id would read every row of the table), and no envelope is built.
        span, within = prefix_range(stream_prefix), within or StreamRange()
        first = max(span.first, within.first)
        stops = [stop for stop in (span.stop, within.stop) if stop is not None]
        # The row value alone bounds the range from below: with a second lower bound on
        # stream_id, SQLite would start every page's index scan at the range's beginning.
        where, params = "", []
        if stops:
            where, params = " AND stream_id < ?", [min(stops)]
        sql = (
            "SELECT stream_id, stream_version, type, schema_version, payload FROM events "
            f"WHERE (stream_id, stream_version) > (?, ?){where} "
            "ORDER BY stream_id, stream_version LIMIT ?"
        )
        reader = self._reader()
        decode = self.registry.decode
        after: tuple[str, int] = (first, 0)
        while True:
            rows = reader.execute(sql, (*after, *params, batch_size)).fetchall()
            if not rows:
                return
            enabled = gc.isenabled()
            gc.disable()  # as in `_decode_batch`: the decoded objects all survive the batch
            try:
                batch = [(r[0], decode(r[2], r[3], r[4])) for r in rows]
            finally:
                if enabled:
                    gc.enable()
            yield from batch
            after = (rows[-1][0], rows[-1][1])

    def head_position(self) -> int:
        row = self._reader().execute("SELECT COALESCE(MAX(global_position), 0) FROM events")
        return int(row.fetchone()[0])

    def count_streams(self, prefix: str = "") -> int:
        row = self._reader().execute(
            "SELECT COUNT(DISTINCT stream_id) FROM events WHERE stream_id LIKE ? ESCAPE '\\'",
            (_like_prefix(prefix),),
        )
        return int(row.fetchone()[0])

    # -- subscribers -------------------------------------------------------------------

    def checkpoint(self, subscriber: str) -> int:
        row = (
            self._reader()
            .execute("SELECT position FROM checkpoints WHERE subscriber = ?", (subscriber,))
            .fetchone()
        )
        return int(row[0]) if row else 0

    @contextmanager
    def subscriber_transaction(self, subscriber: str) -> Iterator[_Transaction]:
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT position FROM checkpoints WHERE subscriber = ?", (subscriber,)
                ).fetchone()
                tx = _Transaction(conn, subscriber, int(row[0]) if row else 0)
                yield tx
                tx._flush()
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._reader().execute(sql, params).fetchall()

    def rows(
        self,
        table: Table,
        where: Mapping[str, Any],
        columns: Sequence[str] | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[tuple[Any, ...]]:
        sql, params = select_sql(SQLITE, table, where, columns, order_by, limit)
        return self.query(sql, params)

    def close(self) -> None:
        with self._queue_lock:
            if self._closed:
                return
            self._closed = True
            readers, self._readers = self._readers, []
        if self._committer is not None:
            self._committer.shutdown(wait=True)  # commits what tasks queued before closing
        with self._write_lock:
            self._writer.close()
        for conn in readers:
            conn.close()


def _prefix_end(prefix: str) -> str:
    """The smallest string above every string that starts with `prefix` (nonempty)."""
    return prefix_range(prefix).stop or ""


@contextmanager
def _read_snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: every statement inside sees the same committed events."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def _range_where(first: str, stop: str | None, *, after: bool = False) -> tuple[str, list[str]]:
    """SQL condition and parameters of the stream ids in [first, stop) ((first, stop))."""
    lower = "stream_id > ?" if after else "stream_id >= ?"
    if stop is None:
        return lower, [first]
    return f"{lower} AND stream_id < ?", [first, stop]


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


_HEADER = b"SQLite format 3\x00"
QUICK_CHECK_LIMIT = 256 * 1024 * 1024  # quick_check reads every page: only for smaller files


def is_busy(error: sqlite3.Error) -> bool:
    """Whether SQLite gave up waiting for another connection's lock."""
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _check_header(path: Path) -> None:
    """A file that exists must begin as an SQLite database. An empty file is refused too: it is
    what a truncated copy or a full disk leaves, and opening it would start an empty hub over
    the site folders and feeds of the old one (a missing file starts a new store)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreCorrupt(f"无法读取数据库文件 {path}：{exc.strerror}") from exc
    if not header:
        raise StoreCorrupt(
            f"数据库文件为空（0 字节），可能已被截断：{path}；请从备份恢复，或删除该文件以新建"
        )
    if header != _HEADER:
        raise StoreCorrupt(f"数据库文件已损坏（不是 SQLite 数据库）：{path}；请从备份恢复")


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """The schema is readable and, where cheap, every page is sound (PRAGMA quick_check)."""
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    if path.exists() and path.stat().st_size <= QUICK_CHECK_LIMIT:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        if rows != [("ok",)]:
            found = "；".join(str(r[0]) for r in rows)[:300]
            raise StoreCorrupt(f"数据库文件已损坏（{found}）：{path}；请从备份恢复")
