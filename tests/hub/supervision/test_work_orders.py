"""Work orders from the freshness sweep: a blank column and a stale column become orders for
the unit that runs the site; a persisting problem is noted once a day; the supervisor
dispatches, the unit reports it fixed, a failing re-check returns it; publishing closes it
after two passing re-checks; a rebuild gives the same table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.projections.work_orders import WORK_ORDER_TABLE
from hub.runtime.embedded import EmbeddedHub
from hub.supervision.sweep import sweep_freshness
from tests.helpers import approved
from workflows.errors import DomainError

GOV = "website:9900000001"


def sweep(hub: EmbeddedHub, now: datetime) -> tuple[list[str], list[str], list[str]]:
    report = sweep_freshness(hub.work_orders, hub.config.directory, hub.store, now, 4)
    return report.opened, report.joined, report.closed


def test_a_blank_column_opens_an_order_that_publishing_closes(hub: EmbeddedHub) -> None:
    now = datetime.now(UTC)
    opened, _, _ = sweep(hub, now)
    blank = hub.work_orders.open_order(f"blank_column:{GOV}/interpretation")
    assert blank is not None and blank["order_id"] in opened
    assert blank["unit"] == "示范省人民政府门户网站" and blank["status"] == "found"
    assert "开设以来无任何信息" in blank["summary"]
    homepage = hub.work_orders.open_order("homepage_stale:9900000001")
    assert homepage is not None
    # Nothing published to an account: not judged from the log.
    assert hub.work_orders.find(problem="account_stale") == []
    # The same sweep again: nothing new (one order per problem, noted once a day).
    assert sweep(hub, now + timedelta(minutes=5)) == ([], [], [])
    _, joined, _ = sweep(hub, now + timedelta(days=1, minutes=1))
    assert blank["order_id"] in joined
    assert hub.work_orders.get(str(blank["order_id"]))["observed"] == 2

    article = approved(hub, title="关于政策文件的解读")
    hub.publishing.publish("qianli", article, ["gov/interpretation"], feeds=False)
    hub.catch_up()
    later = now + timedelta(days=1, minutes=2)
    assert sweep(hub, later)[2] == []  # one passing re-check: not yet
    closed = sweep(hub, later + timedelta(minutes=5))[2]
    assert blank["order_id"] in closed and homepage["order_id"] in closed
    order = hub.work_orders.get(str(blank["order_id"]))
    assert (order["status"], order["passes"]) == ("closed", 2) and order["closed_at"]
    types = [e["type"] for e in hub.work_orders.history(str(blank["order_id"]))]
    assert types == ["WorkOrderOpened", "WorkOrderObserved", "WorkOrderRechecked",
                     "WorkOrderRechecked", "WorkOrderClosed"]  # fmt: skip
    # Blank again later (retracted): a new order, not the closed one.
    hub.publishing.retract("qianli", article, "发布有误")
    hub.catch_up()
    sweep(hub, later + timedelta(minutes=10))
    again = hub.work_orders.open_order(f"blank_column:{GOV}/interpretation")
    assert again is not None and again["order_id"] != blank["order_id"]


def test_a_stale_column_is_dispatched_rectified_and_returned_when_still_stale(
    hub: EmbeddedHub,
) -> None:
    news = approved(hub, title="关于全省安全生产工作的新闻")
    hub.publishing.publish("qianli", news, ["gov/news-gov"], feeds=False)
    hub.catch_up()
    later = datetime.now(UTC) + timedelta(days=15)
    sweep(hub, later)
    stale = hub.work_orders.open_order(f"column_stale:{GOV}/news-gov")
    assert stale is not None and "规定 14 天内" in stale["summary"]
    order_id = str(stale["order_id"])
    orders = hub.work_orders
    with pytest.raises(DomainError) as early:
        orders.rectify("zhangwei", order_id, "已更新")
    assert early.value.code == "WORK_ORDER_STATE"
    with pytest.raises(DomainError) as not_a_supervisor:
        orders.dispatch("qianli", order_id, "示范省人民政府办公厅", later, "")
    assert not_a_supervisor.value.code == "SITE_ROLE_REQUIRED"
    orders.dispatch("zhouyan", order_id, "示范省人民政府办公厅", later + timedelta(days=3),
                    "请三日内更新")  # fmt: skip
    with pytest.raises(DomainError) as other_site:
        orders.rectify("zhoumin", order_id, "已更新")  # an editor of another site
    assert other_site.value.code == "SITE_ROLE_REQUIRED"
    with pytest.raises(DomainError) as checker:
        orders.rectify("zhouyan", order_id, "已更新")  # the supervisor checks, it does not fix
    assert checker.value.code == "SITE_ROLE_REQUIRED"
    orders.rectify("zhangwei", order_id, "已安排专人更新")
    assert orders.get(order_id)["status"] == "rectified"
    sweep(hub, later + timedelta(hours=1))  # still stale: the re-check fails, back to the unit
    assert orders.get(order_id)["status"] == "dispatched"
    with pytest.raises(DomainError) as unverified:
        orders.close("zhouyan", order_id)
    assert unverified.value.code == "WORK_ORDER_NOT_VERIFIED"
    orders.extend("zhouyan", order_id, "节假日顺延", later + timedelta(days=7))
    assert orders.get(order_id)["deadline"].startswith(
        (later + timedelta(days=7)).date().isoformat()
    )
    assert [o["order_id"] for o in orders.find(status="open", for_user="zhoumin")
            if o["site"] == "9900000001"] == []  # fmt: skip
    assert order_id in [o["order_id"] for o in orders.find(status="open", for_user="zhangwei")]
    # The table is a projection: a rebuild from the log gives the same rows.
    before = hub.store.rows(WORK_ORDER_TABLE, {}, order_by=("order_id",))
    hub.rebuild()
    assert hub.store.rows(WORK_ORDER_TABLE, {}, order_by=("order_id",)) == before
