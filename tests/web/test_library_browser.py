"""The resource library in a real browser, without typing a code: drc's editor finds gov's
notice in 资源库检索 and reuses it on drc in two clicks (the drc page then says 转载自); gov's
editor offers it to the city from the article page; the city's editor adopts it from
资源库流转 into a column (a copy in the city's review) and the sender sees it adopted."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, expect

from tests.helpers import approve_all
from tests.web.conftest import Web
from tests.web.test_browser import browser, log_in  # noqa: F401  (the Chromium fixture)


def test_reuse_offer_and_adopt_in_a_browser(browser: Browser, web: Web) -> None:  # noqa: F811
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    assert web.api("qianli", "POST", f"/articles/{article}/publish",
                   json={"to": ["gov/notices"], "feeds": False}).status_code == 200  # fmt: skip
    deadline = time.monotonic() + 20
    while not web.api("zhoumin", "GET", "/search", params={"q": "冬季安全生产"}).json()["total"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # drc's editor: 资源库检索 → 引用.
    page = log_in(browser, web, "zhoumin")
    page.get_by_role("link", name="资源库检索").click()
    page.get_by_label("检索词").fill("冬季安全生产")
    page.get_by_role("button", name="检索").click()
    hit = page.locator(f"li[data-article='{article}']")
    expect(hit).to_contain_text("示范省人民政府门户网站")
    hit.get_by_label("引用到本站").select_option("drc/notices")
    hit.get_by_role("button", name="引用").click()
    expect(page.locator(".notice")).to_have_text("已引用到本站")
    expect(page.locator("#taken")).to_contain_text("引用")
    drc_page = web.hub.config.sites_root / "drc" / "notices" / f"{article}.html"
    deadline = time.monotonic() + 20
    while not drc_page.exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "转载自" in drc_page.read_text(encoding="utf-8")
    # gov's editor offers it to the city from the article page.
    page = log_in(browser, web, "zhangwei")
    page.goto(f"{web.url}/console/articles/{article}")
    page.get_by_label("推送 / 报送").select_option("city")
    page.get_by_label("附言").fill("请转载")
    page.get_by_role("button", name="推送（报送）").click()
    expect(page.locator(".notice")).to_have_text("已推送（报送）")
    expect(page.locator("#sent")).to_contain_text("待采用")
    # The city's editor adopts it into 通知公告.
    city = log_in(browser, web, "linfang")
    city.get_by_role("link", name="资源库流转").click()
    row = city.locator("#waiting tr[data-flow]").first
    expect(row).to_contain_text("请转载")
    row.get_by_label("采用到").select_option("notices")
    row.get_by_role("button", name="采用").click()
    expect(city.locator(".notice")).to_have_text("已采用，本站副本已送审")
    expect(city.locator("#taken")).to_contain_text("推送采用")
    page.reload()
    expect(page.locator("#sent")).to_contain_text("已采用")
