"""SQLite event store: WAL, durable commits, group commit of concurrent appenders
(events/sql_store.py). Each request of a batch is checked by its own insert statement;
writers in other processes are serialised by SQLite's own lock (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from events.envelope import RecordedEvent
from events.integrity import ZERO, AuditKey
from events.log import get_logger
from events.recorder import SQLITE
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
    StoreCorrupt,
    StoreError,
    prefix_range,
)

log = get_logger(__name__)

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
    via TEXT,
    stream_hash BLOB,
    chain_hash BLOB,
    mac BLOB,
    UNIQUE (stream_id, stream_version)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    subscriber TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seals (
    position INTEGER PRIMARY KEY,
    chain_hash BLOB NOT NULL,
    sealed_at TEXT NOT NULL,
    key TEXT NOT NULL,
    signature BLOB NOT NULL
);
"""

# The log is append-only: the database itself refuses to change or remove an event or a
# signed checkpoint (whoever drops these triggers is still found by `hub audit`).
_IMMUTABLE = "".join(
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: {verb} refused'); END;\n"
    for table in ("events", "seals")
    for verb in ("UPDATE", "DELETE")
)

_COLUMNS = COLUMNS
_INSERT_COLUMNS = (
    "event_id, stream_id, stream_version, type, schema_version, occurred_at, actor_id, "
    "actor_role, correlation_id, causation_id, payload, via, stream_hash, chain_hash, mac, "
    "global_position"
)
# The payload arrives as UTF-8 bytes (`payload_as_utf8`) and is stored as text.
_ROW = "(" + ",".join(["?"] * 10 + ["CAST(? AS TEXT)"] + ["?"] * 5) + ")"


@functools.cache
def _insert_sql(rows: int) -> str:
    """Insert `rows` events if the stream is at the expected version (the last two params)."""
    return (
        f"INSERT INTO events ({_INSERT_COLUMNS}) SELECT * FROM (VALUES "
        + ",".join([_ROW] * rows)
        + ") WHERE (SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = ?) = ?"
    )


class SQLiteEventStore(SQLEventStore):
    """Event store in one SQLite file (WAL; `durable` means synchronous=FULL)."""

    dialect = SQLITE
    payload_as_utf8 = True

    def __init__(
        self,
        path: str | Path,
        registry: EventRegistry | None = None,
        *,
        durable: bool = True,
        busy_timeout: float = 5.0,
        key: AuditKey | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(registry, key)
        self._durable = durable
        self._busy_timeout = busy_timeout
        _check_header(self.path)
        try:
            self._writer = self._connect()
            self._writer.executescript(_SCHEMA)
            _check_integrity(self._writer, self.path)
            self._upgrade()
            self._writer.executescript(_IMMUTABLE)
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise StoreBusy() from exc
            raise StoreCorrupt(f"数据库文件无法打开（{exc}）：{self.path}") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreCorrupt(f"数据库文件已损坏（{exc}）：{self.path}；请从备份恢复") from exc
        self._write_lock = threading.Lock()  # one user of the writer connection at a time
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []

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

    def _upgrade(self) -> None:
        """A store made before the log was chained: add the hash columns and link every
        stored event, in one transaction (before the triggers that forbid updates)."""
        conn = self._writer
        columns = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
        if "via" not in columns:  # added empty: events written before say nothing
            conn.execute("ALTER TABLE events ADD COLUMN via TEXT")
        if "chain_hash" in columns:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            for column in ("stream_hash", "chain_hash", "mac"):
                conn.execute(f"ALTER TABLE events ADD COLUMN {column} BLOB")
            linked = link_stored(
                lambda sql, params: conn.execute(sql, params).fetchall(),
                lambda sql, rows: conn.executemany(sql, rows), SQLITE, self.chainer,
            )  # fmt: skip
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("store.chained", events=linked, path=str(self.path))

    def _commit(self, batch: list[_Request]) -> None:
        with self._write_lock:
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                # The chain's head after this process's last commit; read when unknown. When
                # another process appended since, the first insert collides with its
                # positions (they are explicit and contiguous) and `_apply` reads it then.
                if not self._head_known:
                    self._head = self._read_head(conn)
                    self._head_known = True
                tips: dict[str, tuple[int, bytes]] = {}
                for request in batch:
                    self._apply(conn, request, tips)
                conn.execute("COMMIT")
                self.chainer.remember(tips)
            except BaseException as exc:
                self._head_known = False  # rolled back: what was linked is not stored
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

    def _previous(
        self, conn: sqlite3.Connection, request: _Request, tips: dict[str, tuple[int, bytes]]
    ) -> bytes:
        """The stream hash an append links after: its stream's last, as this process wrote it
        (this batch or before), else as stored."""
        stream = request.stream_id
        known = self.chainer.previous(stream, request.expected, tips)
        if known is not None:
            return known
        last = conn.execute("SELECT stream_hash FROM events WHERE stream_id = ? "
                            "ORDER BY stream_version DESC LIMIT 1", (stream,)).fetchone()  # fmt: skip
        return bytes(last[0] or ZERO) if last else ZERO

    def _apply(
        self, conn: sqlite3.Connection, request: _Request, tips: dict[str, tuple[int, bytes]]
    ) -> None:
        """Check and insert one request inside the batch transaction.

        The happy path is one statement: the insert carries the version check in its WHERE
        clause (every SQLite call here releases and re-takes the GIL, so fewer calls keep the
        leader quick while other threads compute). A statement is atomic in SQLite: when it
        fails on a constraint, only its own rows are undone and the batch goes on. Event ids
        are looked up only when the version does not match (a retried append that already
        landed is then answered with its original result) or when the insert hits one.
        """
        version = request.expected + len(request.rows)  # the encoder numbered the rows
        stream = request.stream_id
        previous = self._previous(conn, request, tips)
        for attempt in range(2):
            # Positions are the head's + 1, + 2, …: one request's are consecutive and insert
            # order is commit order.
            params: list[Any] = []
            last_hash, head = self.chainer.link(
                request.rows, request.digests, previous, self._head, params
            )
            params.append(stream)
            params.append(request.expected)
            try:
                # No RETURNING: the positions are the ones linked, and each row a statement
                # returns is a step that gives the GIL up and waits to take it back.
                inserted = conn.execute(_insert_sql(len(request.rows)), params).rowcount
                break
            except sqlite3.IntegrityError:
                if attempt == 0:
                    actual = self._read_head(conn)
                    if actual != self._head:  # another process appended: link after its events
                        self._head = actual
                        continue
                if not self._answer_repeat(conn, request):
                    request.error = EventIdReused("an append repeats an event id")
                return
        if not inserted:  # the stream is not at the expected version
            if not self._answer_repeat(conn, request):
                current = conn.execute(
                    "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = ?",
                    (request.stream_id,),
                ).fetchone()[0]
                request.error = ConcurrencyConflict(request.stream_id, request.expected, current)
            return
        self._head = head
        tips[stream] = (version, last_hash)
        first = head[0] - len(request.rows) + 1
        request.result = AppendResult(
            request.stream_id, request.expected + 1, version, tuple(range(first, head[0] + 1))
        )

    @staticmethod
    def _read_head(conn: sqlite3.Connection) -> tuple[int, bytes]:
        """The chain's head as stored (read under the write lock)."""
        head = conn.execute("SELECT global_position, chain_hash FROM events "
                            "ORDER BY global_position DESC LIMIT 1").fetchone()  # fmt: skip
        return (int(head[0]), bytes(head[1] or ZERO)) if head else (0, ZERO)

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

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._reader().execute(sql, params).fetchall()

    @contextmanager
    def _snapshot(self) -> Iterator[Reader]:
        reader = self._reader()
        with _read_snapshot(reader):
            yield lambda sql, params: reader.execute(sql, params).fetchall()

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
    def subscriber_transaction(self, subscriber: str) -> Iterator[CheckpointedTransaction]:
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT position FROM checkpoints WHERE subscriber = ?", (subscriber,)
                ).fetchone()
                tx = CheckpointedTransaction(conn, SQLITE, subscriber, int(row[0]) if row else 0)
                yield tx
                tx._flush()
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        tx._after_commit()  # outside the write lock: listeners may read

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._reader().execute(sql, params).fetchall()

    def close(self) -> None:
        with self._queue_lock:
            if self._closed:
                return
            self._closed = True
            readers, self._readers = self._readers, []
        if self._committer is not None:
            self._committer.close()  # commits what tasks queued before closing
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
