"""The per-database modules: the few read models the recorder contract (events/recorder.py)
cannot express portably — full text search over articles — written once per database, behind
one interface (`SearchBackend`). Everything else a projection stores goes through the contract.
"""

from __future__ import annotations

from events.recorder import Dialect
from hub.recorders.postgresql import PostgreSQLSearch
from hub.recorders.search import SearchBackend
from hub.recorders.sqlite import SQLiteSearch

_BACKENDS: dict[str, SearchBackend] = {"sqlite": SQLiteSearch(), "postgresql": PostgreSQLSearch()}


def search_backend(dialect: Dialect) -> SearchBackend:
    """The full text search of the database that speaks `dialect`."""
    return _BACKENDS[dialect.name]
