"""The read models' persistence contract on SQLite: declared tables, upserts that keep what
they are told to keep, updates and deletes by conditions, reads by conditions and order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from events.recorder import AtLeast, AtMost, Below, Column, NotNull, Table
from events.sqlite_store import SQLiteEventStore
from tests.events.sample_events import registry

ITEMS = Table(
    "items",
    (
        Column("site", key=True),
        Column("item_id", key=True),
        Column("title", required=True),
        Column("rank", "int"),
        Column("due_at"),
        Column("created_at"),
    ),
    indexes=(("site", "due_at"),),
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteEventStore]:
    es = SQLiteEventStore(tmp_path / "r.db", registry, durable=False)
    with es.subscriber_transaction("items") as tx:
        tx.create(ITEMS)
    yield es
    es.close()


def test_upsert_replaces_by_key_and_keeps_what_it_is_told(store: SQLiteEventStore) -> None:
    with store.subscriber_transaction("items") as tx:
        tx.upsert(ITEMS, [ITEMS.row(site="gov", item_id="a", title="一", rank=1, created_at="t1")])
        tx.upsert(
            ITEMS,
            [ITEMS.row(site="gov", item_id="a", title="二", rank=2, created_at="t2")],
            keep=("created_at",),
        )
        tx.insert_new(ITEMS, [ITEMS.row(site="gov", item_id="a", title="三", rank=3)])
    assert store.rows(ITEMS, {"site": "gov"}, ("title", "rank", "created_at")) == [("二", 2, "t1")]


def test_conditions_order_and_limit(store: SQLiteEventStore) -> None:
    with store.subscriber_transaction("items") as tx:
        tx.upsert(ITEMS, [
            ITEMS.row(site="gov", item_id=str(n), title=f"t{n}", rank=n,
                      due_at=f"2026-12-0{n}" if n % 2 else None)
            for n in range(1, 8)
        ])  # fmt: skip
        tx.update(ITEMS, {"site": "gov", "item_id": ["6", "7"]}, {"title": "改"})
        tx.delete(ITEMS, {"site": "gov", "rank": AtLeast(7)})
        inside = tx.rows(ITEMS, {"title": "改"}, ("item_id",))
    assert inside == [("6",)]
    due = store.rows(ITEMS, {"due_at": AtMost("2026-12-03")}, ("item_id",), order_by=("due_at",))
    assert due == [("1",), ("3",)]
    assert store.rows(ITEMS, {"due_at": None}, ("item_id",), order_by=("-rank",), limit=2) == [
        ("6",),
        ("4",),
    ]
    assert store.rows(ITEMS, {"due_at": NotNull, "rank": Below(5)}, ("rank",)) == [(1,), (3,)]
    assert store.rows(ITEMS, {"item_id": []}) == []


def test_a_table_refuses_what_it_does_not_declare(store: SQLiteEventStore) -> None:
    with pytest.raises(ValueError, match="no column"):
        ITEMS.row(site="gov", colour="red")
    with pytest.raises(ValueError, match="no column"), store.subscriber_transaction("items") as tx:
        tx.update(ITEMS, {"site": "gov"}, {"colour": "red"})
    with pytest.raises(ValueError, match="no column"):
        store.rows(ITEMS, {"colour": "red"})


def test_drop_removes_the_table(store: SQLiteEventStore) -> None:
    with store.subscriber_transaction("items") as tx:
        tx.drop(ITEMS)
        tx.create(ITEMS)  # and it can be created again
        assert tx.rows(ITEMS, {}) == []
