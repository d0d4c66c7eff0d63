"""The console and a published site at desktop and phone sizes in Chromium, checked by
axe-core (no serious or critical violation), with nothing wider than the screen, a skip link
and an editor with an accessible name. Screenshots at 390 px go to test-artifacts/browser/."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests

from hub.runtime.clock import utc_now
from hub.supervision.sweep import sweep_freshness
from tests.conftest import ROOT
from tests.helpers import approve_all
from tests.web.conftest import Web
from tests.web.test_browser import ARTIFACTS, browser, log_in  # noqa: F401

AXE = Path(os.environ.get("HUB_AXE_JS", ROOT / ".cache/axe/package/axe.min.js"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not AXE.is_file(), reason="axe-core is fetched by ./scripts/test"),
]
SERIOUS = ("serious", "critical")


def audit(page) -> list:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => [v.id, v.nodes.map(n => n.target.join(' ')).slice(0, 3)])"
    )


def test_console_and_site_pass_axe_at_desktop_and_phone_sizes(web: Web, browser) -> None:  # noqa: F811
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    web.api("zhangwei", "POST", f"/articles/{article}/publish",
            json={"to": ["gov/notices", "app:sf-app"], "feeds": False})  # fmt: skip
    page_file = web.hub.config.sites_root / "gov" / "notices" / f"{article}.html"
    deadline = time.monotonic() + 20
    while not page_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    for path in ("/sites/gov/index.html", f"/sites/gov/notices/{article}.html"):
        # A public page carries no external asset and stays under 100 KB before images.
        html = requests.get(web.url + path, timeout=30).text
        assert len(html.encode()) < 100_000 and "http://" not in html.split("</head>")[0]
        for item in ("主办单位：示范省人民政府办公厅", "联系方式：", "网站标识码：9900000001",
                     "示ICP备2026000001号", "示公网安备", 'alt="党政机关网站标识"', "网站地图", "我为政府网站找错",
                     "长者模式", "站内搜索"):  # fmt: skip
            assert item in html, (path, item)
    article_html = requests.get(f"{web.url}/sites/gov/notices/{article}.html", timeout=30).text
    for tool in ('data-size="large"', "data-print", "data-close", "索引号"):
        assert tool in article_html, tool
    sweep_freshness(web.hub.work_orders, web.hub.config.directory, web.hub.store, utc_now(), 4)
    order = web.hub.work_orders.open_order("blank_column:website:9900000001/interpretation")
    assert order is not None
    pages = ["/console", "/console/articles", "/console/articles/new",
             f"/console/articles/{article}", "/console/deliveries", "/console/reviews",
             "/console/supervision", f"/console/supervision/orders/{order['order_id']}",
             "/console/supervision/scorecard", "/console/supervision/reports",
             "/console/supervision/wall",
             "/console/live?site=gov&column=notices",
             "/console/supervision/evidence?what=published&account=9900000001",
             "/sites/gov/index.html", f"/sites/gov/notices/{article}.html",
             "/sites/gov/sitemap.html", "/sites/gov/search?q=安全生产",
             "/console/search?q=安全生产", "/console/library", "/sites/gov/policies"]  # fmt: skip
    for width in (1280, 390):
        page = log_in(browser, web, "zhangwei")
        page.set_viewport_size({"width": width, "height": 860})
        for path in pages:
            page.goto(web.url + path)
            assert audit(page) == [], (width, path)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, (width, path, overflow)
            name = path.strip("/").replace("/", "-")[:40] or "root"
            size = "phone" if width == 390 else "desktop"
            page.screenshot(path=str(ARTIFACTS / f"{size}-{name}.png"), full_page=True)
        page.goto(web.url + "/console/articles/new")
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.textContent")
        assert focused == "跳到正文"
        assert page.get_by_role("textbox", name="正文编辑区").count() == 1
