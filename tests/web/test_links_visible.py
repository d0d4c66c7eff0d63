"""Every link on a published page has a visible box (a browser's judgement): each hiding
pattern an attacker tried is either removed on the way in, blocked by the checks, or shown in
plain sight. Articles go in through the API as an editor would, pages are read in Chromium."""

from __future__ import annotations

import time

import pytest

from tests.checks.test_hidden_links import HIDING
from tests.helpers import approve_all
from tests.hub.content.test_media import PNG
from tests.web.conftest import Web
from tests.web.test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.slow

# Read in the page: each link of the article body, its box and what could hide it.
_LINK_BOXES = """() => [...document.querySelectorAll('.article-body a')].map(a => {
  const r = a.getBoundingClientRect(), s = getComputedStyle(a);
  const imgs = [...a.querySelectorAll('img')].map(i => i.getBoundingClientRect())
    .filter(b => b.width >= 8 && b.height >= 8);
  return {href: a.getAttribute('href'), x: r.left + scrollX, y: r.top + scrollY,
          w: r.width, h: r.height, text: a.innerText.trim(), images: imgs.length,
          opacity: +s.opacity, font: parseFloat(s.fontSize), visibility: s.visibility,
          page: document.documentElement.scrollWidth};
})"""


def _published_page(web: Web, body: str) -> str | None:
    """The published page of an article with `body`, or None when the checks blocked it."""
    made = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": "关于公布办事指南的通知",
        "body_html": body})  # fmt: skip
    assert made.status_code == 201, made.text
    article = made.json()["id"]
    submitted = web.api("zhangwei", "POST", f"/articles/{article}/submit")
    if submitted.status_code == 409:
        assert submitted.json()["error"]["code"] == "CHECKS_BLOCKED", submitted.text
        return None
    assert submitted.status_code == 200, submitted.text
    approve_all(web, article)
    for findings in web.api("liting", "GET", f"/articles/{article}/findings").json()["recorded"]:
        assert findings["severity"] != "BLOCK"
    published = web.api("zhangwei", "POST", f"/articles/{article}/publish",
                        json={"to": ["gov/notices"], "feeds": False})  # fmt: skip
    assert published.status_code == 200, published.text
    page = web.hub.config.sites_root / "gov" / "notices" / f"{article}.html"
    deadline = time.monotonic() + 20
    while not page.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert page.exists()
    return f"{web.url}/sites/gov/notices/{article}.html"


def test_every_link_on_a_published_page_can_be_seen(web: Web, browser) -> None:  # noqa: F811
    image = web.api("zhangwei", "POST", "/media", files={"file": ("p.png", PNG)}).json()["url"]
    plain = (
        f'<p style="text-indent:2em">详见<a href="https://www.gov.cn/">中国政府网</a>，'
        f'<a href="https://www.gov.cn/x"><img src="{image}" alt="图" width="120"></a></p>'
    )
    bodies = {
        "ordinary": plain,
        **{n: "<p>各有关单位：</p>" + h.replace("/media/a.png", image) for n, h in HIDING.items()},
    }
    seen, blocked = 0, []
    page = browser.new_context(locale="zh-CN").new_page()
    for name, body in bodies.items():
        url = _published_page(web, body)
        if url is None:
            blocked.append(name)
            continue
        page.goto(url)
        page.wait_for_load_state("load")
        for link in page.evaluate(_LINK_BOXES):
            seen += 1
            where = (name, link)
            assert link["w"] >= 4 and link["h"] >= 4, where
            assert link["x"] >= 0 and link["y"] >= 0 and link["x"] + link["w"] <= link["page"], (
                where
            )
            assert link["visibility"] == "visible" and link["opacity"] > 0.2, where
            assert link["font"] >= 6, where
            assert link["text"] or link["images"], where
    assert seen >= 2  # the ordinary article's links were measured
    assert "ordinary" not in blocked and len(blocked) >= 4, blocked
