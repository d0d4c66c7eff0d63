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


CITY_STAGES = (("huangbo", ["wording", "secrecy"]), ("yangfan", ["legal", "policy", "wording"]),
               ("zhengkai", ["political", "policy", "public_opinion"]))  # fmt: skip


def test_an_upward_submission_and_a_correction_reaching_every_reuse_in_a_browser(
    browser: Browser,  # noqa: F811
    web: Web,
) -> None:
    # The city's editor submits a reviewed item upward (报送) from its article page.
    item = web.article(site="city", column="news", by="linfang")
    assert web.api("linfang", "POST", f"/articles/{item}/submit").status_code == 200
    for user, gates in CITY_STAGES:
        answer = web.api(user, "POST", f"/articles/{item}/approve", json={"gates": gates})
        assert answer.status_code == 200, answer.text
    city = log_in(browser, web, "linfang")
    city.goto(f"{web.url}/console/articles/{item}")
    city.get_by_label("推送 / 报送").select_option("parent")
    city.get_by_label("附言").fill("请省政府门户网站采用")
    city.get_by_role("button", name="推送（报送）").click()
    expect(city.locator(".notice")).to_have_text("已推送（报送）")
    expect(city.locator("#sent")).to_contain_text("待采用")
    # The portal's editor adopts it (a copy in the portal's own review); the city sees it.
    portal = log_in(browser, web, "zhangwei")
    portal.get_by_role("link", name="资源库流转").click()
    row = portal.locator("#waiting tr[data-flow]", has_text="请省政府门户网站采用")
    row.get_by_label("采用到").select_option("news-local")
    row.get_by_role("button", name="采用").click()
    expect(portal.locator(".notice")).to_have_text("已采用，本站副本已送审")
    city.reload()
    expect(city.locator("#sent")).to_contain_text("已采用")

    # A provincial notice referenced by two sites; its editor corrects the title in the
    # console; once the correction is reviewed every reference shows it.
    source = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{source}/submit").status_code == 200
    approve_all(web, source)
    assert web.api("qianli", "POST", f"/articles/{source}/publish",
                   json={"to": ["gov/notices"], "feeds": False}).status_code == 200  # fmt: skip
    for user, column in (("zhoumin", "drc/notices"), ("sunyan", "edu/notices")):
        answer = web.api(user, "POST", f"/articles/{source}/reuse",
                         json={"to": [column], "feeds": False})  # fmt: skip
        assert answer.status_code in (200, 201), answer.text
    pages = [
        web.hub.config.sites_root / key / "notices" / f"{source}.html" for key in ("drc", "edu")
    ]
    wait_until(lambda: all(p.exists() for p in pages))
    portal.goto(f"{web.url}/console/articles/{source}")
    portal.get_by_role("link", name="修改").click()
    portal.get_by_label("标题").fill("关于做好冬季安全生产工作的通知（更正）")
    portal.get_by_role("button", name="保存").click()
    expect(portal.locator(".notice")).to_contain_text("已保存")
    approve_all(web, source)
    wait_until(lambda: all("（更正）" in p.read_text(encoding="utf-8") for p in pages))
    for page in pages:
        assert "转载自" in page.read_text(encoding="utf-8")


def wait_until(condition, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "it never happened"
        time.sleep(0.1)
