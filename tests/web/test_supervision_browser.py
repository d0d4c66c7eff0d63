"""The one screen (一屏调度) in a real browser, without typing an address: the supervisor finds
a blank column on the one screen, opens its work order and dispatches it; the portal's staff
find it on their dashboard and report it fixed; publishing into the column makes two automatic
re-checks pass and the order is closed (销号) — which the supervisor sees on the page; the
scorecard and the duty wall are one click away and drill down to the events behind a figure."""

from __future__ import annotations

import time
from datetime import timedelta

from playwright.sync_api import Browser, expect

from hub.runtime.clock import utc_now
from hub.supervision.sweep import sweep_freshness
from tests.helpers import approved
from tests.web.conftest import Web
from tests.web.test_browser import ARTIFACTS, browser, log_in  # noqa: F401  (the Chromium fixture)

COLUMN = "blank_column:website:9900000001/interpretation"


def test_a_blank_column_from_the_one_screen_to_closed_in_a_browser(
    browser: Browser,  # noqa: F811
    web: Web,
) -> None:
    hub = web.hub
    now = utc_now()
    sweep_freshness(hub.work_orders, hub.config.directory, hub.store, now, 4)
    order = hub.work_orders.open_order(COLUMN)
    assert order is not None
    order_id = str(order["order_id"])

    # The supervisor: the console's navigation → 一屏调度 → the order → 派单.
    boss = log_in(browser, web, "zhouyan")
    boss.get_by_role("link", name="一屏调度").first.click()
    expect(boss.get_by_role("heading", level=1)).to_contain_text("一屏调度")
    expect(boss.locator("#sites tr[data-site='9900000001']")).to_contain_text(
        "示范省人民政府门户网站"
    )
    blank_count = boss.locator("li[data-problem='blank_column'] strong")
    assert int(blank_count.inner_text()) >= 1
    row = boss.locator(f"tr[data-order='{order_id}']")
    expect(row).to_contain_text("待派单")
    row.get_by_role("link").click()
    expect(boss.locator("#order-status")).to_have_text("待派单")
    boss.get_by_label("整改期限").fill("2026-12-31T18:00")
    boss.get_by_label("派单说明").fill("请发布首篇解读")
    boss.get_by_role("button", name="派单").click()
    expect(boss.locator(".notice")).to_have_text("已派单")
    expect(boss.locator("#order-status")).to_have_text("整改中")
    expect(boss.get_by_role("button", name="报告整改完成")).to_have_count(0)  # the unit's to say
    boss.screenshot(path=str(ARTIFACTS / "supervision-order.png"), full_page=True)

    # The portal's staff: the dashboard lists it; they report it fixed.
    staff = log_in(browser, web, "zhangwei")
    waiting = staff.locator(f"[data-order='{order_id}']")
    expect(waiting).to_contain_text("整改中")
    waiting.get_by_role("link").first.click()
    expect(staff.get_by_role("button", name="报告整改完成")).to_have_count(1)
    expect(staff.get_by_role("button", name="派单")).to_have_count(0)  # not theirs to do
    staff.get_by_label("整改情况").fill("已发布政策解读")
    staff.get_by_role("button", name="报告整改完成").click()
    expect(staff.locator("#order-status")).to_have_text("待复核")

    # The fix: an interpretation published into the column; two re-checks pass and close it.
    article = approved(hub, title="关于政策文件的解读")
    hub.publishing.publish("qianli", article, ["gov/interpretation"], feeds=False)
    deadline = time.monotonic() + 30
    closed: list[str] = []
    while order_id not in closed:
        assert time.monotonic() < deadline, "the re-checks never closed the order"
        hub.catch_up()
        later = utc_now() + timedelta(minutes=1)
        sweep_freshness(hub.work_orders, hub.config.directory, hub.store, later, 4)
        closed += sweep_freshness(hub.work_orders, hub.config.directory, hub.store,
                                  later + timedelta(minutes=5), 4).closed  # fmt: skip
        time.sleep(0.2)
    boss.reload()
    expect(boss.locator("#order-status")).to_have_text("已销号")
    history = boss.locator("#history li")
    expect(history.last).to_contain_text("销号")
    expect(boss.locator("#history li[data-type='WorkOrderRechecked']")).to_have_count(2)

    # Back on the one screen it is gone from the open orders; the scorecard and the wall.
    boss.get_by_role("link", name="← 一屏调度").click()
    expect(boss.locator(f"tr[data-order='{order_id}']")).to_have_count(0)
    boss.get_by_role("link", name="检查指标模拟评分").click()
    expect(boss.get_by_role("heading", level=1)).to_contain_text("检查指标模拟评分")
    boss.go_back()
    boss.get_by_role("link", name="值班大屏").click()
    expect(boss.locator("svg").first).to_be_visible()
    boss.screenshot(path=str(ARTIFACTS / "supervision-wall.png"), full_page=True)
