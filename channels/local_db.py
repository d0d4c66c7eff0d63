"""The small SQLite files the hub-served channels keep for themselves (a site's page index,
the app feed, the screen playlists): opened one way, written in one kind of transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


def open_local_db(path: Path, schema: Iterable[str]) -> sqlite3.Connection:
    """Open (creating) the file with its schema. WAL, so readers never wait; a busy timeout,
    so the CLI and `hub serve` can both write; `synchronous=NORMAL`: commits survive a killed
    process (the WAL is in the OS's cache), only a power cut can lose the newest ones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=10000")
    for statement in schema:
        db.execute(statement)
    return db


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
