"""PostgreSQL event store (psycopg 3 and its pool): the same contract as the SQLite store, for
a hub whose web nodes and workers run in several processes on several machines.

Global order without skipping a late commit. A bare sequence gives positions in the order
transactions *start* writing, not the order they *commit*: a reader that sees position 11
committed may later see position 10 appear, and a subscriber that checkpointed at 11 would skip
it forever. Here every append transaction takes one transaction-scoped advisory lock before it
reads the head and numbers its events, and holds it until it has committed; the next writer
numbers after it. So positions are gapless and in commit order, and everything at or below a
committed position is committed: `read_prefix` can cover up to the head it read. The lock is
held for one group-committed batch (all the appends queued in this process meanwhile, one
durable commit), so concurrent writers share commits instead of queueing for the lock one by
one; writers in other processes queue on the lock.

Each batch is checked with two reads (the streams' versions, the event ids already stored)
and written with one pipelined insert; an append's refusal (version conflict, reused id) is
decided before anything is written, so the batch needs no savepoints.

Portable SQL only (KingbaseES and openGauss speak PostgreSQL's protocol and dialect): standard
types, `ON CONFLICT`, `= ANY(array)`, `pg_advisory_xact_lock`, `LISTEN`/`NOTIFY`, and text
columns with the "C" collation so stream ids sort by code point as on SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import structlog
from psycopg_pool import ConnectionPool

from events.envelope import RecordedEvent
from events.recorder import POSTGRESQL
from events.registry import EventRegistry
from events.sql_store import COLUMNS, CheckpointedTransaction, SQLEventStore, _Request
from events.store import (
    AppendResult,
    ConcurrencyConflict,
    EventIdReused,
    StoreError,
    prefix_range,
)

log = structlog.get_logger(__name__)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS events (
        global_position BIGINT PRIMARY KEY,
        stream_id TEXT COLLATE "C" NOT NULL,
        stream_version BIGINT NOT NULL,
        event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        occurred_at TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        causation_id TEXT,
        payload TEXT NOT NULL,
        UNIQUE (stream_id, stream_version))""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        subscriber TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
)
_INSERT = (
    "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, "
    "occurred_at, actor_id, actor_role, correlation_id, causation_id, payload, "
    "global_position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
# Advisory lock keys (class, object): appends, schema creation, and one per subscriber.
_LOCKS = 0x6875  # "hu"
_APPEND_LOCK = 1
_SCHEMA_LOCK = 2
CHANNEL = "hub_events"  # NOTIFY'd with the new head after each append


class PostgreSQLEventStore(SQLEventStore):
    """Event store in a PostgreSQL database (`url`: a postgresql:// connection string)."""

    dialect = POSTGRESQL

    def __init__(
        self, url: str, registry: EventRegistry | None = None, *, pool_size: int = 8
    ) -> None:
        super().__init__(registry)
        self.url = url
        try:
            self._writer = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise StoreError(f"无法连接 PostgreSQL 数据库：{_reason(exc)}") from exc
        with self._writer.transaction():
            self._writer.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCKS, _SCHEMA_LOCK))
            for statement in _SCHEMA:
                self._writer.execute(statement)
        self._write_lock = threading.Lock()  # one user of the writer connection at a time
        self._pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs={"autocommit": True}, open=True
        )
        self._listener: psycopg.Connection[Any] | None = None
        self._listen_lock = threading.Lock()

    # -- appending ---------------------------------------------------------------------

    def _commit(self, batch: list[_Request]) -> None:
        with self._write_lock:
            conn = self._writer
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCKS, _APPEND_LOCK))
                    rows = self._number(conn, batch)
                    if rows:
                        conn.cursor().executemany(_INSERT, rows)
                        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(rows[-1][-1])))
            except BaseException as exc:
                failure = (
                    exc
                    if isinstance(exc, StoreError)
                    else StoreError(f"append failed: {_reason(exc)}")
                )
                for request in batch:
                    request.result = None
                    request.error = request.error or failure
                log.error("store.commit_failed", error=str(failure), batch=len(batch))
                if not isinstance(exc, Exception):
                    raise
        log.debug("store.committed", batch=len(batch))

    def _number(self, conn: psycopg.Connection[Any], batch: list[_Request]) -> list[list[Any]]:
        """Check each request against the stored streams and ids (and the requests before
        it in the batch); number the accepted ones' events. Runs under the append lock."""
        head = int(conn.execute("SELECT COALESCE(MAX(global_position), 0) FROM events")
                   .fetchone()[0])  # type: ignore[index]  # fmt: skip
        streams = sorted({request.stream_id for request in batch})
        versions: dict[str, int] = dict(conn.execute(
            "SELECT stream_id, MAX(stream_version) FROM events WHERE stream_id = ANY(%s) "
            "GROUP BY stream_id", (streams,)).fetchall())  # fmt: skip
        ids = [event_id for request in batch for event_id in request.event_ids]
        stored: dict[str, tuple[str, int, int]] = {
            row[0]: (row[1], row[2], row[3])
            for row in conn.execute(
                "SELECT event_id, stream_id, stream_version, global_position FROM events "
                "WHERE event_id = ANY(%s)",
                (ids,),
            )
        }
        rows: list[list[Any]] = []
        for request in batch:
            ids = request.event_ids
            found = [stored[i] for i in ids if i in stored]
            if len(set(ids)) != len(ids):
                request.error = EventIdReused("an append repeats an event id")
            elif found:
                if len(found) == len(ids) and all(f[0] == request.stream_id for f in found):
                    found.sort(key=lambda f: f[2])
                    request.result = AppendResult(request.stream_id, found[0][1], found[-1][1],
                                                  tuple(f[2] for f in found), replayed=True)  # fmt: skip
                else:
                    request.error = EventIdReused(
                        f"{len(found)} of {len(ids)} event ids are already stored"
                    )
            elif versions.get(request.stream_id, 0) != request.expected:
                actual = versions.get(request.stream_id, 0)
                request.error = ConcurrencyConflict(request.stream_id, request.expected, actual)
            else:
                version = request.expected
                first = head + 1
                for event_id, row in zip(ids, request.rows, strict=True):
                    version += 1
                    head += 1
                    row[2] = version
                    rows.append([*row, head])
                    stored[event_id] = (request.stream_id, version, head)
                versions[request.stream_id] = version
                request.result = AppendResult(request.stream_id, request.expected + 1, version,
                                              tuple(range(first, head + 1)))  # fmt: skip
        return rows

    # -- reading -----------------------------------------------------------------------

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._closed:
            raise StoreError("the event store is closed")
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[RecordedEvent]:
        upper = to_version if to_version is not None else 1 << 62
        rows = self._read(
            f"SELECT {COLUMNS} FROM events WHERE stream_id = %s "
            "AND stream_version BETWEEN %s AND %s ORDER BY stream_version",
            (stream_id, from_version, upper),
        )
        return self._decode_batch(rows)

    def stream_version(self, stream_id: str) -> int:
        rows = self._read(
            "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = %s",
            (stream_id,),
        )
        return int(rows[0][0])

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        rows = self._read(
            f"SELECT {COLUMNS} FROM events WHERE global_position > %s "
            "ORDER BY global_position LIMIT %s",
            (after_position, limit),
        )
        return self._decode_batch(rows)

    def read_prefix(
        self, stream_prefix: str, after_position: int = 0, limit: int = 1000
    ) -> tuple[list[RecordedEvent], int]:
        # Positions are numbered in commit order (see the module's docstring): nothing can
        # appear at or below a committed head, so the read covers up to the head read first.
        head = self.head_position()
        params: list[Any] = [after_position, head]
        where = ""
        span = prefix_range(stream_prefix)
        if stream_prefix:
            where = " AND stream_id >= %s AND stream_id < %s"
            params += [span.first, span.stop]
        rows = self._read(
            f"SELECT {COLUMNS} FROM events WHERE global_position > %s AND global_position <= %s"
            f"{where} ORDER BY global_position LIMIT %s",
            (*params, limit),
        )
        covered = rows[-1][3] if len(rows) == limit else max(head, after_position)
        return self._decode_batch(rows), covered

    def head_position(self) -> int:
        return int(self._read("SELECT COALESCE(MAX(global_position), 0) FROM events")[0][0])

    def count_streams(self, prefix: str = "") -> int:
        span = prefix_range(prefix)
        if span.stop is None:
            rows = self._read(
                "SELECT COUNT(DISTINCT stream_id) FROM events WHERE stream_id >= %s", (span.first,)
            )
        else:
            rows = self._read(
                "SELECT COUNT(DISTINCT stream_id) FROM events "
                "WHERE stream_id >= %s AND stream_id < %s",
                (span.first, span.stop),
            )
        return int(rows[0][0])

    def _nap(self, seconds: float) -> None:
        """Wait for a NOTIFY of an append (from any process), at most `seconds`."""
        if not self._listen_lock.acquire(blocking=False):
            super()._nap(seconds)  # another thread listens: sleep as in the base
            return
        try:
            if self._listener is None:
                self._listener = psycopg.connect(self.url, autocommit=True)
                self._listener.execute(f"LISTEN {CHANNEL}")
            for _ in self._listener.notifies(timeout=seconds, stop_after=1):
                pass
        except psycopg.Error as exc:
            log.warning("store.listen_failed", error=_reason(exc))
            self._listener = None
            super()._nap(seconds)
        finally:
            self._listen_lock.release()

    # -- subscribers -------------------------------------------------------------------

    def checkpoint(self, subscriber: str) -> int:
        rows = self._read("SELECT position FROM checkpoints WHERE subscriber = %s", (subscriber,))
        return int(rows[0][0]) if rows else 0

    @contextmanager
    def subscriber_transaction(self, subscriber: str) -> Iterator[CheckpointedTransaction]:
        if self._closed:
            raise StoreError("the event store is closed")
        with self._pool.connection() as conn, conn.transaction():
            # One transaction per subscriber at a time, across processes (others queue).
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCKS, subscriber))
            row = conn.execute(
                "SELECT position FROM checkpoints WHERE subscriber = %s", (subscriber,)
            ).fetchone()
            tx = CheckpointedTransaction(conn, POSTGRESQL, subscriber, int(row[0]) if row else 0)
            yield tx
            tx._flush()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._read(sql, params)

    def close(self) -> None:
        with self._queue_lock:
            if self._closed:
                return
            self._closed = True
        if self._committer is not None:
            self._committer.shutdown(wait=True)  # commits what tasks queued before closing
        self._pool.close()
        with self._write_lock:
            self._writer.close()
        with self._listen_lock:
            if self._listener is not None:
                self._listener.close()


def _reason(exc: BaseException) -> str:
    """An error's first line (psycopg's messages never hold the password)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
