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

A batch usually takes one round trip: the lock, one insert of all its events (numbered after
the head by the server), a NOTIFY and the commit, pipelined. The insert inserts nothing unless
every request's stream is at its expected version, and the table refuses a version taken
twice (two requests of the batch racing for one stream) and a stored event id (a repeat): a
batch with any refusal in it is then checked request by request (two round trips: the checks
read, then the accepted requests' insert). A foreign key from each event to its predecessor
did the version check too, but locking the predecessor row cost a third of the commit.

Statements are planned with the table's current statistics (`plan_cache_mode =
force_custom_plan`): a generic plan cached while the table was small scans it once it is large.
Statements reach the server with its own numbered placeholders (`NativeCursor`): psycopg
re-parses a statement of more than 50 parameters on every execution, which cost a batch of
8 appends 0.6 ms of Python, more than the server spent on it.

Portable SQL only (KingbaseES and openGauss speak PostgreSQL's protocol and dialect): standard
types, `ON CONFLICT`, `= ANY(array)`, `pg_advisory_xact_lock`, `LISTEN`/`NOTIFY`, and text
columns with the "C" collation so stream ids sort by code point as on SQLite.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from events.envelope import RecordedEvent
from events.integrity import ZERO, AuditKey
from events.log import get_logger
from events.recorder import POSTGRESQL
from events.registry import EventRegistry
from events.sql_store import (
    COLUMNS,
    CheckpointedTransaction,
    Reader,
    SQLEventStore,
    _Request,
    link_stored,
)
from events.store import (
    AppendResult,
    ConcurrencyConflict,
    EventIdReused,
    StoreBusy,
    StoreError,
    prefix_range,
)

log = get_logger(__name__)

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
        via TEXT,
        stream_hash BYTEA,
        chain_hash BYTEA,
        mac BYTEA,
        UNIQUE (stream_id, stream_version))""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        subscriber TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS seals (
        position BIGINT PRIMARY KEY,
        chain_hash BYTEA NOT NULL,
        sealed_at TEXT NOT NULL,
        key TEXT NOT NULL,
        signature BYTEA NOT NULL)""",
)
# The log is append-only: the database refuses to change, remove or truncate an event or a
# signed checkpoint, whoever asks (the table's owner too; whoever drops these triggers is
# still found by `hub audit`).
_IMMUTABLE = (
    """CREATE OR REPLACE FUNCTION hub_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$""",
    *(statement.format(table=table) for table in ("events", "seals") for statement in (
        "CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION hub_append_only()",
        "CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION hub_append_only()",
    )),
)  # fmt: skip
_VALUES = ("event_id, stream_id, stream_version, type, schema_version, occurred_at, actor_id, "
           "actor_role, correlation_id, causation_id, payload, via, stream_hash, chain_hash, "
           "mac")  # fmt: skip
_ROW = "(" + ", ".join(["%s"] * 16) + ")"
_FIRST_ROW = ("(%s::text, %s::text, %s::bigint, %s::text, %s::integer, %s::text, %s::text, "
              "%s::text, %s::text, %s::text, %s::text, %s::text, %s::bytea, %s::bytea, "
              "%s::bytea, %s::bigint)")  # fmt: skip


@functools.cache
def _insert_sql(rows: int) -> str:
    """Insert `rows` events: each row's values in `_VALUES` order and then its global
    position (the chainer numbered and linked them)."""
    return (f"INSERT INTO events ({_VALUES}, global_position) SELECT {_VALUES}, n FROM (VALUES "
            + ", ".join([_FIRST_ROW] + [_ROW] * (rows - 1)) + f") AS v ({_VALUES}, n)")  # fmt: skip


@functools.cache
def _insert_after_head_sql(rows: int, requests: int) -> str:
    """`_insert_sql` if the head is still the one the rows were numbered and linked after
    (the first parameter after the rows) and every request's stream is at its expected
    version (then a stream id and its expected version per request); else it inserts
    nothing."""
    expected = ", ".join(["(%s::text, %s::bigint)"] + ["(%s, %s)"] * (requests - 1))
    return _insert_sql(rows) + (
        " WHERE (SELECT COALESCE(MAX(global_position), 0) FROM events) = %s::bigint"
        f" AND NOT EXISTS (SELECT 1 FROM (VALUES {expected}) AS x (stream_id, expected) "
        "WHERE COALESCE((SELECT MAX(e.stream_version) FROM events e "
        "WHERE e.stream_id = x.stream_id), 0) <> x.expected) RETURNING global_position"
    )


@functools.lru_cache(maxsize=1024)
def native_placeholders(sql: str) -> str:
    """`sql` written with psycopg's `%s` placeholders (and `%%` for a literal `%`), in
    PostgreSQL's own numbered form: `$1`, `$2`, ... ."""
    pieces = [piece.split("%s") for piece in sql.split("%%")]
    numbered, n = [], 0
    for piece in pieces:
        text = piece[0]
        for part in piece[1:]:
            n += 1
            text += f"${n}{part}"
        numbered.append(text)
    return "%".join(numbered)


class NativeCursor(psycopg.RawCursor[Any]):
    """A cursor taking the store's `%s` statements and sending them with numbered
    placeholders, converted once per statement text (psycopg converts a statement of more
    than 50 parameters anew on each execution: 0.6 ms for a batch's insert)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if params is not None and isinstance(query, str):
            query = native_placeholders(query)
        return super().execute(query, params, **kwargs)

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        if isinstance(query, str):
            query = native_placeholders(query)
        super().executemany(query, params_seq, **kwargs)


# Advisory lock keys (class, object): appends, schema creation, and one per subscriber.
_LOCKS = 0x6875  # "hu"
_APPEND_LOCK = 1
_SCHEMA_LOCK = 2
CHANNEL = "hub_events"  # NOTIFY'd with the new head after each append


class PostgreSQLEventStore(SQLEventStore):
    """Event store in a PostgreSQL database (`url`: a postgresql:// connection string)."""

    dialect = POSTGRESQL
    read_ahead = True  # the server reads the next page while this process decodes

    def __init__(
        self,
        url: str,
        registry: EventRegistry | None = None,
        *,
        pool_size: int = 16,
        busy_timeout: float = 5.0,
        key: AuditKey | None = None,
    ) -> None:
        super().__init__(registry, key)
        self.url = url
        # A writer waits this long for another's lock (an append, a subscriber's
        # transaction) before it answers StoreBusy, as the SQLite store does.
        self._lock_timeout = f"SET lock_timeout = '{int(busy_timeout * 1000)}ms'"
        try:
            self._writer = psycopg.connect(url, autocommit=True, cursor_factory=NativeCursor)
            self._configure(self._writer)
        except psycopg.OperationalError as exc:
            raise StoreError(f"无法连接 PostgreSQL 数据库：{_reason(exc)}") from exc
        with self._writer.transaction():
            self._writer.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCKS, _SCHEMA_LOCK))
            for statement in _SCHEMA:
                self._writer.execute(statement)
            self._upgrade()
            for statement in _IMMUTABLE:
                self._writer.execute(statement)
        self._write_lock = threading.Lock()  # one user of the writer connection at a time
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "cursor_factory": NativeCursor},
            configure=self._configure,
            open=True,
        )
        self._listener: psycopg.Connection[Any] | None = None
        self._listen_lock = threading.Lock()

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        _plan_each_time(conn)
        conn.execute(self._lock_timeout)

    def _upgrade(self) -> None:
        """A store made before the log was chained: add the hash columns and link every
        stored event (inside the schema transaction, before the append-only triggers)."""
        conn = self._writer
        conn.execute("ALTER TABLE events ADD COLUMN IF NOT EXISTS via TEXT")
        found = conn.execute("SELECT 1 FROM information_schema.columns WHERE table_name = "
                             "'events' AND column_name = 'chain_hash' "
                             "AND table_schema = current_schema()").fetchall()  # fmt: skip
        if found:
            return
        for column in ("stream_hash", "chain_hash", "mac"):
            conn.execute(f"ALTER TABLE events ADD COLUMN {column} BYTEA")
        linked = link_stored(
            lambda sql, params: conn.execute(sql, params).fetchall(),
            lambda sql, rows: conn.cursor().executemany(sql, rows), POSTGRESQL, self.chainer,
        )  # fmt: skip
        log.info("store.chained", events=linked)

    # -- appending ---------------------------------------------------------------------

    def _commit(self, batch: list[_Request]) -> None:
        with self._write_lock:
            conn = self._writer
            try:
                tips: dict[str, tuple[int, bytes]] = {}
                if not self._commit_at_once(conn, batch, tips):
                    tips = {}
                    self._commit_checked(conn, batch, tips)
                self.chainer.remember(tips)
                self._head_known = True
            except BaseException as exc:
                self._head_known = False
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute("ROLLBACK")
                failure = _store_error(exc, "append failed")
                for request in batch:
                    request.result = None
                    request.error = request.error or failure
                log.error("store.commit_failed", error=str(failure), batch=len(batch))
                if not isinstance(exc, Exception):
                    raise
                return
        log.debug("store.committed", batch=len(batch))

    def _commit_at_once(
        self, conn: psycopg.Connection[Any], batch: list[_Request],
        tips: dict[str, tuple[int, bytes]],
    ) -> bool:  # fmt: skip
        """The usual batch, in one round trip: every request's events numbered and linked
        after the head of this process's last commit and inserted together, if that is still
        the head and every stream is at its expected version (a version taken twice or an
        event id stored: the table refuses the whole batch). False when anything was refused,
        or a stream's last hash is not known here: then each request is checked on its own
        (`_commit_checked`)."""
        if not self._head_known:
            return False
        values: list[Any] = []
        offset = 0
        seen: set[str] = set()
        head = self._head
        for request in batch:
            if seen.intersection(request.event_ids) or len(set(request.event_ids)) != len(
                request.event_ids
            ):
                return False  # a repeat within the batch: answered by the checked path
            seen.update(request.event_ids)
            previous = self.chainer.previous(request.stream_id, request.expected, tips)
            if previous is None:
                return False  # the stream's last hash is read by the checked path
            version = request.expected + len(request.rows)  # the encoder numbered the rows
            last, head = self.chainer.link(request.rows, request.digests, previous, head, values)
            tips[request.stream_id] = (version, last)
            offset += len(request.rows)
        values.append(self._head[0])
        try:
            with conn.pipeline():
                conn.execute("BEGIN")
                # This insert's plan does not depend on the table's size (index lookups by
                # key, the head by the primary key's last entry), and planning it each time
                # cost half a millisecond, a third of the batch: plan it once per shape.
                conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCKS, _APPEND_LOCK))
                for request in batch:
                    values += [request.stream_id, request.expected]
                inserted = conn.execute(
                    _insert_after_head_sql(offset, len(batch)), values, prepare=True
                )
                conn.execute("SELECT pg_notify(%s, '')", (CHANNEL,))
                if not self.hold_before_commit:
                    conn.execute("COMMIT")  # the same round trip
            positions = sorted(int(row[0]) for row in inserted.fetchall())
            if len(positions) != offset:  # another process appended, or a version moved on
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                return False
            self._head = head
            if self.hold_before_commit:
                self._before_commit()
                conn.execute("COMMIT")
        except psycopg.errors.IntegrityError:
            conn.execute("ROLLBACK")
            return False
        first = 0
        for request in batch:
            count = len(request.rows)
            request.result = AppendResult(request.stream_id, request.expected + 1,
                                          request.expected + count,
                                          tuple(positions[first : first + count]))  # fmt: skip
            first += count
        return True

    def _commit_checked(
        self, conn: psycopg.Connection[Any], batch: list[_Request],
        tips: dict[str, tuple[int, bytes]],
    ) -> None:  # fmt: skip
        """A batch with a refusal in it, or after another process appended, in two round
        trips: the lock and the batch's checks (`_checks`: the head, the streams' versions
        and last hashes); then the accepted requests' events, numbered and linked here, and
        the commit."""
        with conn.pipeline():
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCKS, _APPEND_LOCK))
            read = self._checks(conn, batch)
        count, values = self._number(batch, read.fetchall(), tips)
        with conn.pipeline():
            if count:
                conn.execute(_insert_sql(count), values)
                conn.execute("SELECT pg_notify(%s, '')", (CHANNEL,))
            if not self.hold_before_commit:
                conn.execute("COMMIT")
        if self.hold_before_commit:
            self._before_commit()
            conn.execute("COMMIT")

    @staticmethod
    def _checks(conn: psycopg.Connection[Any], batch: list[_Request]) -> Any:
        """The one read a batch is checked against (queued in the pipeline): the head, the
        versions of its streams, and which of its event ids are stored, as rows tagged
        h, v and e."""
        streams = sorted({request.stream_id for request in batch})
        ids = [event_id for request in batch for event_id in request.event_ids]
        return conn.execute(
            "(SELECT 'h', NULL, NULL, NULL, global_position, chain_hash FROM events "
            "ORDER BY global_position DESC LIMIT 1) "
            "UNION ALL (SELECT DISTINCT ON (stream_id) 'v', stream_id, NULL, stream_version, "
            f"NULL, stream_hash FROM events WHERE stream_id IN ({', '.join(['%s'] * len(streams))})"
            " ORDER BY stream_id, stream_version DESC) "
            "UNION ALL SELECT 'e', stream_id, event_id, stream_version, global_position, NULL "
            f"FROM events WHERE event_id IN ({', '.join(['%s'] * len(ids))})",
            [*streams, *ids],
        )

    def _number(
        self, batch: list[_Request], checked: list[tuple[Any, ...]],
        tips: dict[str, tuple[int, bytes]],
    ) -> tuple[int, list[Any]]:  # fmt: skip
        """Check each request against the stored streams and ids (and the requests before
        it in the batch) and answer it; the accepted ones' events, numbered and linked after
        the head: how many, and the insert's parameters."""
        head: tuple[int, bytes] = (0, ZERO)
        versions: dict[str, int] = {}
        stored: dict[str, tuple[str, int, int]] = {}
        for tag, stream, event_id, version, position, link in checked:
            if tag == "h":
                head = (int(position), bytes(link or ZERO))
            elif tag == "v":
                versions[str(stream)] = int(version)
                tips[str(stream)] = (int(version), bytes(link or ZERO))
            else:
                stored[str(event_id)] = (str(stream), int(version), int(position))
        count = 0
        values: list[Any] = []
        for request in batch:
            ids = request.event_ids
            found = sorted((stored[i] for i in ids if i in stored), key=lambda f: f[2])
            if len(set(ids)) != len(ids):
                request.error = EventIdReused("an append repeats an event id")
            elif found:
                if len(found) == len(ids) and all(f[0] == request.stream_id for f in found):
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
                version, first = request.expected + len(request.rows), head[0] + 1
                previous = tips[request.stream_id][1] if request.expected else ZERO
                last, head = self.chainer.link(request.rows, request.digests, previous, head,
                                               values)  # fmt: skip
                count += len(request.rows)
                for number, event_id in enumerate(ids):
                    stored[event_id] = (request.stream_id, request.expected + 1 + number,
                                        first + number)  # fmt: skip
                versions[request.stream_id] = version
                tips[request.stream_id] = (version, last)
                request.result = AppendResult(request.stream_id, request.expected + 1, version,
                                              tuple(range(first, head[0] + 1)))  # fmt: skip
        self._head = head
        return count, values

    hold_before_commit = False  # True: `_before_commit` runs between the inserts and COMMIT

    def _before_commit(self) -> None:
        """Called inside the batch's transaction after its inserts, when
        `hold_before_commit` (a test holds the transaction open here)."""

    # -- reading -----------------------------------------------------------------------

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._closed:
            raise StoreError("the event store is closed")
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _read_in_order(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        # With statistics older than the rows (a table just filled, before autovacuum
        # analysed it), the planner took a page of a bulk read for a few rows and sorted every
        # row after it for each page (20 ms a page at 25,000 events) instead of reading the
        # index in order. Sorting is made the last resort for these reads.
        if self._closed:
            raise StoreError("the event store is closed")
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SET LOCAL enable_sort = off")
            return conn.execute(sql, params).fetchall()

    @contextmanager
    def _snapshot(self) -> Iterator[Reader]:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # A split's `OFFSET` read in index order (see `_read_in_order`): with stale
            # statistics the planner sorted the whole range on disk instead.
            conn.execute("SET LOCAL enable_sort = off")
            yield lambda sql, params: conn.execute(sql, params).fetchall()

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
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                             (_LOCKS, subscriber))  # fmt: skip
            except psycopg.errors.LockNotAvailable as exc:
                raise StoreBusy() from exc
            row = conn.execute(
                "SELECT position FROM checkpoints WHERE subscriber = %s", (subscriber,)
            ).fetchone()
            tx = CheckpointedTransaction(conn, POSTGRESQL, subscriber, int(row[0]) if row else 0)
            yield tx
            tx._flush()
        tx._after_commit()  # the connection back in the pool: listeners may read

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._read(sql, params)

    def close(self) -> None:
        with self._queue_lock:
            if self._closed:
                return
            self._closed = True
        if self._committer is not None:
            self._committer.close()  # commits what tasks queued before closing
        self._pool.close()
        with self._write_lock:
            self._writer.close()
        with self._listen_lock:
            if self._listener is not None:
                self._listener.close()


def _plan_each_time(conn: psycopg.Connection[Any]) -> None:
    """Plan every statement with the tables' current statistics. psycopg prepares a statement
    run five times, and PostgreSQL then reuses a generic plan made while the table was small:
    one that scans it once it is large (appends slowed fourfold over 12,000 events)."""
    conn.execute("SET plan_cache_mode = force_custom_plan")


def _store_error(exc: BaseException, doing: str) -> StoreError:
    """The store's error for a failure: busy when a lock was waited for too long."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return StoreBusy()
    return StoreError(f"{doing}: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    """An error's first line (psycopg's messages never hold the password)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
