"""Opening an event store by its location: `sqlite:///var/hub.sqlite3` (or a bare file path)
for the embedded store, `postgresql://user@host:5432/hub` for PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from events.integrity import AuditKey
from events.registry import EventRegistry
from events.store import EventStore, StoreError

POSTGRESQL_SCHEMES = ("postgresql", "postgres")


def is_postgresql(location: str) -> bool:
    return urlsplit(location).scheme in POSTGRESQL_SCHEMES


def sqlite_path(location: str, root: Path | None = None) -> Path:
    """The file of an SQLite location (`sqlite:///relative`, `sqlite:////absolute`, or a
    path); relative paths are taken from `root` when given."""
    if location.startswith("sqlite:"):
        parts = urlsplit(location)
        if parts.netloc:
            raise StoreError(f"SQLite 地址不能包含主机名：{location}（应为 sqlite:///路径）")
        text = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    elif "://" in location:
        scheme = location.split("://", 1)[0]
        raise StoreError(f"不支持的数据库类型 {scheme!r}（可用 sqlite:/// 或 postgresql://）")
    else:
        text = location
    if not text.strip() or text.endswith("/"):
        raise StoreError("SQLite 地址缺少文件路径（例如 sqlite:///var/hub.sqlite3）")
    path = Path(text)
    return path if path.is_absolute() or root is None else root / path


def open_store(
    location: str,
    registry: EventRegistry | None = None,
    *,
    durable: bool = True,
    root: Path | None = None,
    key: AuditKey | None = None,
) -> EventStore:
    """The event store at `location` (see the module's docstring); with the audit `key`, its
    appends are sealed and it can sign checkpoints (events/integrity.py)."""
    if is_postgresql(location):
        from events.postgresql_store import PostgreSQLEventStore

        return PostgreSQLEventStore(location, registry, key=key)
    from events.sqlite_store import SQLiteEventStore

    return SQLiteEventStore(sqlite_path(location, root), registry, durable=durable, key=key)
