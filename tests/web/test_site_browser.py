"""The public article page's own controls in Chromium: 长者模式 (high contrast, remembered)
and 字号 大/中/小, with axe-core still clean in 长者模式."""

from __future__ import annotations

import time

import pytest

from tests.helpers import approve_all
from tests.web.conftest import Web
from tests.web.test_accessibility import AXE, audit
from tests.web.test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not AXE.is_file(), reason="axe-core is fetched by ./scripts/test")]  # fmt: skip


def test_elder_mode_and_font_sizes_on_an_article_page(web: Web, browser) -> None:  # noqa: F811
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    web.api("zhangwei", "POST", f"/articles/{article}/publish",
            json={"to": ["gov/notices"], "feeds": False})  # fmt: skip
    page_file = web.hub.config.sites_root / "gov" / "notices" / f"{article}.html"
    deadline = time.monotonic() + 20
    while not page_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{web.url}/sites/gov/notices/{article}.html")
    classes = "() => document.documentElement.className"
    page.click("[data-size=large]")
    assert "size-large" in page.evaluate(classes)
    page.click("[data-size=medium]")
    assert "size-" not in page.evaluate(classes)
    page.click("[data-elder]")
    assert "elder" in page.evaluate(classes)
    assert page.get_attribute("[data-elder]", "aria-pressed") == "true"
    assert audit(page) == []  # contrast holds in 长者模式 too
    page.reload()
    assert "elder" in page.evaluate(classes)  # remembered
    page.click("[data-elder]")
    assert "elder" not in page.evaluate(classes)
