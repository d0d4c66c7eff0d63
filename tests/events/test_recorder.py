"""The read models' persistence contract on both databases: declared tables, upserts that keep
what they are told to keep, updates and deletes by conditions, reads by conditions, order and
tallies, and tables whose shape changed made anew."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from events.recorder import (
    AtLeast,
    AtMost,
    Below,
    Column,
    Contains,
    EndsWith,
    NotNull,
    StartsWith,
    Table,
)
from events.store import EventStore
from events.stores import open_store
from tests.events.sample_events import registry
from tests.servers import both_databases  # noqa: F401  (every test here runs on both)

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
def store(database: str) -> Iterator[EventStore]:
    es = open_store(database, registry, durable=False)
    with es.subscriber_transaction("items") as tx:
        tx.create(ITEMS)
    yield es
    es.close()


def test_upsert_replaces_by_key_and_keeps_what_it_is_told(store: EventStore) -> None:
    with store.subscriber_transaction("items") as tx:
        tx.upsert(ITEMS, [ITEMS.row(site="gov", item_id="a", title="一", rank=1, created_at="t1")])
        tx.upsert(
            ITEMS,
            [ITEMS.row(site="gov", item_id="a", title="二", rank=2, created_at="t2")],
            keep=("created_at",),
        )
        tx.insert_new(ITEMS, [ITEMS.row(site="gov", item_id="a", title="三", rank=3)])
    assert store.rows(ITEMS, {"site": "gov"}, ("title", "rank", "created_at")) == [("二", 2, "t1")]


def test_conditions_order_and_limit(store: EventStore) -> None:
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


def test_a_table_refuses_what_it_does_not_declare(store: EventStore) -> None:
    with pytest.raises(ValueError, match="no column"):
        ITEMS.row(site="gov", colour="red")
    with pytest.raises(ValueError, match="no column"), store.subscriber_transaction("items") as tx:
        tx.update(ITEMS, {"site": "gov"}, {"colour": "red"})
    with pytest.raises(ValueError, match="no column"):
        store.rows(ITEMS, {"colour": "red"})


def test_drop_removes_the_table(store: EventStore) -> None:
    with store.subscriber_transaction("items") as tx:
        tx.drop(ITEMS)
        tx.create(ITEMS)  # and it can be created again
        assert tx.rows(ITEMS, {}) == []


def test_text_conditions_and_tallies(store: EventStore) -> None:
    with store.subscriber_transaction("items") as tx:
        tx.upsert(ITEMS, [ITEMS.row(site=site, item_id=item, title=title, rank=rank,
                                    created_at=at)
                          for site, item, title, rank, at in (
                              ("gov", "a1", "通知_100%", 1, "t1"), ("gov", "a2", "通知", 2, "t3"),
                              ("drc", "b1", "公告", 3, "t2"))])  # fmt: skip
    assert store.rows(ITEMS, {"title": Contains("_100%")}, ("item_id",)) == [("a1",)]
    assert store.rows(ITEMS, {"title": Contains("100")}, ("item_id",)) == [("a1",)]
    assert store.rows(ITEMS, {"item_id": EndsWith("1")}, ("item_id",),
                      order_by=("item_id",)) == [("a1",), ("b1",)]  # fmt: skip
    assert store.rows(ITEMS, {"item_id": StartsWith("a")}, ("item_id",),
                      order_by=("-item_id",)) == [("a2",), ("a1",)]  # fmt: skip
    assert sorted(store.tally(ITEMS, {}, by=("site",), latest="created_at")) == [
        ("drc", 1, "t2"), ("gov", 2, "t3")]  # fmt: skip
    assert store.tally(ITEMS, {"rank": AtLeast(2)}) == [(2, None)]
    assert store.tally(ITEMS, {"site": "none"}, latest="rank") == [(0, None)]


def test_a_table_of_another_shape_is_made_anew_and_one_of_the_same_is_kept(
    store: EventStore,
) -> None:
    with store.subscriber_transaction("items") as tx:
        tx.upsert(ITEMS, [ITEMS.row(site="gov", item_id="a", title="一")])
        assert tx.create(ITEMS) is False  # the same shape: nothing to do
    wider = Table(ITEMS.name, (*ITEMS.columns, Column("colour")))
    with store.subscriber_transaction("items") as tx:
        assert tx.create(wider) is True  # another shape: made anew, empty
        assert tx.rows(wider, {}) == []
    # A table made before shapes were recorded, with the declared columns, is kept.
    with store.subscriber_transaction("items") as tx:
        tx.upsert(wider, [wider.row(site="gov", item_id="b", title="二", colour="红")])
        tx.execute("DELETE FROM read_model_tables")
        assert tx.create(wider) is False
        assert tx.rows(wider, {}, ("item_id",)) == [("b",)]
