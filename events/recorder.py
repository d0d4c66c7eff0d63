"""The read models' persistence contract: tables declared as data, writes as upserts, updates
and deletes by column values, reads by column values — so a projection holds no SQL, and each
database implements the contract once (its dialect: placeholders, column types).

    ARTICLES = Table("article_list", (Column("article_id", key=True), Column("title"), ...),
                     indexes=(("site", "status"),))
    tx.upsert(ARTICLES, [row, ...])                  # insert, or replace the row with its key
    tx.update(ARTICLES, {"article_id": a}, {"title": t})
    tx.delete(ARTICLES, {"site": s})
    store.rows(ARTICLES, {"status": ["draft", "in_review"], "updated_at": AtMost(now)},
               order_by=("updated_at",), limit=50)

A condition is a value (equality; None is IS NULL), a list or tuple of values (IN), or one of
`AtMost`, `Below`, `AtLeast`, `StartsWith`, `EndsWith`, `Contains`, `NotNull`. The generated SQL
is the portable subset (ANSI `ON CONFLICT … DO UPDATE`, which SQLite ≥ 3.24 and PostgreSQL ≥ 9.5
share; `LIKE … ESCAPE`). Counts by columns: `store.tally(table, where, by=(...), latest=col)`.

Each table's shape (columns, key, indexes) is recorded when it is created; `create` reports a
table it had to make anew (missing, or of another shape: written by an older release), and
the subscriber's catch-up then rebuilds that read model from the log — a changed projection
needs no migration script. A table made before shapes were recorded is kept when its columns
are the declared ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from events.store import prefix_range


class Column(NamedTuple):
    name: str
    type: str = "text"  # text | int | real
    key: bool = False  # part of the primary key
    required: bool = False  # NOT NULL


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    # Columns that say how the log was folded (a commit's number), not what it holds: a
    # rebuild may give them other values.
    folding: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def of_the_log(self) -> tuple[str, ...]:
        """The columns a rebuild from the log gives the same values."""
        return tuple(c.name for c in self.columns if c.name not in self.folding)

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    def row(self, **values: Any) -> tuple[Any, ...]:
        """A row in column order (columns not given are NULL)."""
        unknown = set(values) - set(self.names)
        if unknown:
            raise ValueError(f"{self.name} has no column {sorted(unknown)}")
        return tuple(values.get(name) for name in self.names)


@dataclass(frozen=True)
class AtMost:
    value: Any


@dataclass(frozen=True)
class Below:
    value: Any


@dataclass(frozen=True)
class AtLeast:
    value: Any


@dataclass(frozen=True)
class StartsWith:
    """Text that begins with `prefix` (a range on the column's index, not LIKE)."""

    prefix: str


@dataclass(frozen=True)
class EndsWith:
    suffix: str


@dataclass(frozen=True)
class Contains:
    """Text that holds `text` anywhere (LIKE: a scan, for small or pre-filtered sets)."""

    text: str


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _NotNull:
    def __repr__(self) -> str:
        return "NotNull"


NotNull = _NotNull()


@dataclass(frozen=True)
class Dialect:
    """What differs between databases in the SQL the contract generates."""

    name: str
    placeholder: str
    types: Mapping[str, str]
    columns_query: str  # the column names of the table named by the one parameter

    def marks(self, count: int) -> str:
        return ", ".join([self.placeholder] * count)


SQLITE = Dialect(
    "sqlite",
    "?",
    {"text": "TEXT", "int": "INTEGER", "real": "REAL"},
    "SELECT name FROM pragma_table_info(?)",
)
POSTGRESQL = Dialect(
    "postgresql",
    "%s",
    {"text": "TEXT", "int": "BIGINT", "real": "DOUBLE PRECISION"},
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND table_name = %s",
)


def _check(table: Table, names: Iterable[str]) -> None:
    unknown = set(names) - set(table.names)
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)}")


def create_sql(dialect: Dialect, table: Table) -> list[str]:
    columns = ", ".join(
        f"{c.name} {dialect.types[c.type]}{' NOT NULL' if c.required or c.key else ''}"
        for c in table.columns
    )
    statements = [
        f"CREATE TABLE IF NOT EXISTS {table.name} ({columns}, PRIMARY KEY ({', '.join(table.key)}))"
    ]
    for index in table.indexes:
        _check(table, index)
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {table.name}_{'_'.join(index)} "
            f"ON {table.name} ({', '.join(index)})"
        )
    return statements


def drop_sql(table: Table) -> str:
    return f"DROP TABLE IF EXISTS {table.name}"


def upsert_sql(dialect: Dialect, table: Table, keep: Sequence[str] = ()) -> str:
    _check(table, keep)
    names = table.names
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({dialect.marks(len(names))})"
    changing = [n for n in names if n not in table.key and n not in keep]
    if not changing:
        return f"{head} ON CONFLICT ({', '.join(table.key)}) DO NOTHING"
    sets = ", ".join(f"{n} = excluded.{n}" for n in changing)
    return f"{head} ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {sets}"


def insert_new_sql(dialect: Dialect, table: Table) -> str:
    names = table.names
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({dialect.marks(len(names))}) "
        f"ON CONFLICT ({', '.join(table.key)}) DO NOTHING"
    )


def where_sql(dialect: Dialect, table: Table, where: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """` WHERE …` (or "") and its parameters."""
    _check(table, where)
    clauses: list[str] = []
    params: list[Any] = []
    mark = dialect.placeholder
    for name, condition in where.items():
        if condition is None:
            clauses.append(f"{name} IS NULL")
        elif condition is NotNull:
            clauses.append(f"{name} IS NOT NULL")
        elif isinstance(condition, list | tuple | set | frozenset):
            values = list(condition)
            if not values:
                clauses.append("1 = 0")
                continue
            clauses.append(f"{name} IN ({dialect.marks(len(values))})")
            params.extend(values)
        elif isinstance(condition, StartsWith):
            span = prefix_range(condition.prefix)
            clauses.append(f"{name} >= {mark}")
            params.append(span.first)
            if span.stop is not None:
                clauses.append(f"{name} < {mark}")
                params.append(span.stop)
        elif isinstance(condition, EndsWith | Contains):
            pattern = "%" + _like(condition.suffix if isinstance(condition, EndsWith)
                                  else condition.text)  # fmt: skip
            clauses.append(f"{name} LIKE {mark} ESCAPE '\\'")
            params.append(pattern + ("" if isinstance(condition, EndsWith) else "%"))
        elif isinstance(condition, AtMost | Below | AtLeast):
            operator = {AtMost: "<=", Below: "<", AtLeast: ">="}[type(condition)]
            clauses.append(f"{name} {operator} {mark}")
            params.append(condition.value)
        else:
            clauses.append(f"{name} = {mark}")
            params.append(condition)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def update_sql(
    dialect: Dialect, table: Table, where: Mapping[str, Any], values: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    _check(table, values)
    sets = ", ".join(f"{name} = {dialect.placeholder}" for name in values)
    condition, params = where_sql(dialect, table, where)
    return f"UPDATE {table.name} SET {sets}{condition}", [*values.values(), *params]


def delete_sql(dialect: Dialect, table: Table, where: Mapping[str, Any]) -> tuple[str, list[Any]]:
    condition, params = where_sql(dialect, table, where)
    return f"DELETE FROM {table.name}{condition}", params


def select_sql(
    dialect: Dialect,
    table: Table,
    where: Mapping[str, Any],
    columns: Sequence[str] | None = None,
    order_by: Sequence[str] = (),
    limit: int | None = None,
) -> tuple[str, list[Any]]:
    """Rows by column values; `order_by` names columns (a leading "-" sorts descending)."""
    chosen = tuple(columns) if columns else table.names
    _check(table, chosen)
    _check(table, [o.lstrip("-") for o in order_by])
    condition, params = where_sql(dialect, table, where)
    sql = f"SELECT {', '.join(chosen)} FROM {table.name}{condition}"
    if order_by:
        sql += " ORDER BY " + ", ".join(
            f"{o[1:]} DESC" if o.startswith("-") else o for o in order_by
        )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def tally_sql(
    dialect: Dialect,
    table: Table,
    where: Mapping[str, Any],
    by: Sequence[str] = (),
    latest: str | None = None,
) -> tuple[str, list[Any]]:
    """Rows of (*by, count, max(latest)) over the rows that meet `where`, one per group."""
    _check(table, [*by, *([latest] if latest else [])])
    condition, params = where_sql(dialect, table, where)
    groups = ", ".join(by)
    sql = (f"SELECT {groups + ', ' if by else ''}COUNT(*), "
           f"{f'MAX({latest})' if latest else 'NULL'} FROM {table.name}{condition}")  # fmt: skip
    if by:
        sql += f" GROUP BY {groups}"
    return sql, params


SHAPES = Table("read_model_tables", (Column("name", key=True), Column("shape", required=True)))


def shape_of(table: Table) -> str:
    """What `create` builds for the table, as text (a change means: build it anew)."""
    return repr((table.columns, table.indexes))


class Reading:
    """The contract's reads, for anything that runs SQL (`query`) in `dialect`: a subscriber
    transaction (its own writes included) and a store outside any transaction."""

    dialect: Dialect = SQLITE

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def tally(
        self,
        table: Table,
        where: Mapping[str, Any],
        by: Sequence[str] = (),
        latest: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """(*by, count, max(latest)) per group of the rows that meet `where`."""
        return self.query(*tally_sql(self.dialect, table, where, by, latest))

    def rows(
        self,
        table: Table,
        where: Mapping[str, Any],
        columns: Sequence[str] | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows by column values (a leading "-" in `order_by` sorts descending)."""
        sql, params = select_sql(self.dialect, table, where, columns, order_by, limit)
        return self.query(sql, params)


class Recording(Reading):
    """The contract's writes and reads inside a subscriber transaction, for stores whose
    transaction runs SQL (`execute`, `executemany`, `query`) in `dialect`."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def create(self, *tables: Table) -> bool:
        """Create the tables and their indexes if they do not exist; a table recorded with
        another shape (or not recorded) is dropped and made anew. Whether any table was made
        anew (its subscriber must then fold the log from the start)."""
        for statement in create_sql(self.dialect, SHAPES):
            self.execute(statement)
        made = False
        for table in tables:
            shape = shape_of(table)
            stored = self.rows(SHAPES, {"name": table.name}, ("shape",))
            if stored and stored[0][0] == shape:
                continue
            existing = [str(row[0]) for row in self.query(self.dialect.columns_query,
                                                          (table.name,))]  # fmt: skip
            if not stored and existing and sorted(existing) == sorted(table.names):
                # Made by a release that recorded no shapes, with these columns: keep it.
                for statement in create_sql(self.dialect, table)[1:]:  # its indexes
                    self.execute(statement)
                self.upsert(SHAPES, [(table.name, shape)])
                continue
            self.execute(drop_sql(table))
            for statement in create_sql(self.dialect, table):
                self.execute(statement)
            self.upsert(SHAPES, [(table.name, shape)])
            made = True
        return made

    def drop(self, *tables: Table) -> None:
        for table in tables:
            self.execute(drop_sql(table))
        if tables:
            self.execute(*delete_sql(self.dialect, SHAPES, {"name": [t.name for t in tables]}))

    def upsert(
        self, table: Table, rows: Iterable[Sequence[Any]], *, keep: Sequence[str] = ()
    ) -> None:
        """Insert each row, or replace the stored row with its key (except the `keep`
        columns, which keep their stored values)."""
        batch = [tuple(r) for r in rows]
        if batch:
            self.executemany(upsert_sql(self.dialect, table, keep), batch)

    def insert_new(self, table: Table, rows: Iterable[Sequence[Any]]) -> None:
        """Insert each row whose key is not stored yet; leave stored rows as they are."""
        batch = [tuple(r) for r in rows]
        if batch:
            self.executemany(insert_new_sql(self.dialect, table), batch)

    def update(self, table: Table, where: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        sql, params = update_sql(self.dialect, table, where, values)
        self.execute(sql, params)

    def delete(self, table: Table, where: Mapping[str, Any]) -> None:
        sql, params = delete_sql(self.dialect, table, where)
        self.execute(sql, params)
