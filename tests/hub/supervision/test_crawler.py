"""The crawler over sites the hub did not write (the sandbox's small sites, over real HTTP):
broken links, outside links hidden by CSS, cloaking for spiders and search visitors, and
wording errors each open a work order with evidence; the next passes, once the faults are
gone, re-check and close them; the host is never asked more than twice at once."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.projections.probes import CRAWLS
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.server import BackgroundServer
from hub.supervision.crawler import Crawler, hidden_outside_links, page_links
from hub.supervision.render import Renderer
from sandboxes.supervised_sites import SupervisedSites
from workflows.beijing_time import BEIJING


@pytest.fixture
def sites() -> Iterator[tuple[SupervisedSites, str]]:
    sandbox = SupervisedSites(pages=6, latency_s=0.005)
    server = BackgroundServer(sandbox.app()).start()
    sandbox.outside = server.url.replace("127.0.0.1", "localhost") + "/_outside"
    yield sandbox, server.url
    server.stop()


def test_a_full_crawl_finds_every_scripted_fault_and_later_passes_close_them(
    hub: EmbeddedHub, sites: tuple[SupervisedSites, str]
) -> None:
    sandbox, url = sites
    sandbox.broken.add("gov")
    sandbox.hidden.add("drc")
    sandbox.wording.add("edu")
    sandbox.cloak_ua.add("city")
    sandbox.cloak_referrer.add("city")
    crawler = Crawler(hub.store, hub.work_orders, hub.config.directory, url + "/{key}/",
                      lambda: hub.config.checks, vantage="测试", timeout=2.0)  # fmt: skip
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert crawler.full_due(now)
    crawls = {c.site: c for c in crawler.run_once(now)}
    hub.catch_up()
    assert {c.pages for c in crawls.values()} == {7} and all(c.full for c in crawls.values())
    assert sandbox.most_at_once <= 2  # one host: at most two requests at once

    orders = {(o["problem"], o["subject"]): o for o in hub.work_orders.find(status="open")
              if o["problem"] in ("broken_link", "injected_link", "wording_error")}  # fmt: skip
    assert set(orders) == {
        ("broken_link", f"{url}/gov/p1.html"),
        ("injected_link", f"{url}/drc/"),
        ("wording_error", f"{url}/edu/p2.html"),
        ("injected_link", f"{url}/city/"),
    }
    broken = hub.work_orders.history(str(orders["broken_link", f"{url}/gov/p1.html"]["order_id"]))
    assert f"{url}/gov/missing.html HTTP 404" in broken[0]["evidence"]["detail"]
    cloaked = hub.work_orders.history(str(orders["injected_link", f"{url}/city/"]["order_id"]))
    detail = cloaked[0]["evidence"]["detail"]
    assert (
        "for-spiders（仅搜索引擎爬虫可见）" in detail
        and "redirect.js（仅搜索引擎来访可见）" in detail
    )
    assert "网上赌场" in str(orders["wording_error", f"{url}/edu/p2.html"]["summary"])
    assert orders["broken_link", f"{url}/gov/p1.html"]["unit"] == "示范省人民政府门户网站"
    # Each pass is one event per site: the table of the last passes.
    (row,) = hub.store.rows(CRAWLS, {"site": "9900000001"}, ("kind", "pages", "broken_links"))
    assert row == ("full", 7, 1)
    assert not crawler.full_due(now + timedelta(days=1))
    assert crawler.full_due(now + timedelta(days=7))

    # The same faults again: joined, not a second order.
    crawler.run_once(now + timedelta(hours=1), full=False)
    assert len(hub.work_orders.find(status="open", problem="broken_link")) == 1

    # The supervisor dispatches each to its unit, which fixes it; the incremental passes
    # look at the pages of the open orders and close them.
    for order in orders.values():
        hub.work_orders.dispatch("zhouyan", str(order["order_id"]), str(order["unit"]),
                                 now + timedelta(days=3), "请整改")  # fmt: skip
    for faults in (sandbox.broken, sandbox.hidden, sandbox.wording, sandbox.cloak_ua,
                   sandbox.cloak_referrer):  # fmt: skip
        faults.clear()
    passed = {c.site: c for c in crawler.run_once(now + timedelta(hours=2), full=False)}
    crawler.run_once(now + timedelta(hours=3), full=False)
    for order in orders.values():
        assert hub.work_orders.get(str(order["order_id"]))["status"] == "closed"
    # An incremental pass reads the homepages, columns and the pages of open orders (their
    # links are checked), not the whole site.
    assert passed["9900000001"].looked_at == {f"{url}/gov/", f"{url}/gov/p1.html"}
    assert passed["9900000012"].looked_at == {f"{url}/drc/"}


def test_links_and_hidden_links_are_read_from_the_page() -> None:
    page = ('<a href="a.html#top">a</a><a href="mailto:x@y.cn">m</a><img src="/i.png">'
            '<a href="javascript:void(0)">j</a><script>var a=1;</script>'
            '<div style="position:absolute; left:-9999px"><a href="https://bad.example/">x</a>'
            '<a href="/ok.html">ok</a></div>')  # fmt: skip
    assert sorted(page_links(page, "http://s.gov.cn/c/index.html")) == [
        "http://s.gov.cn/c/a.html",
        "http://s.gov.cn/i.png",
        "http://s.gov.cn/ok.html",
        "https://bad.example/",
    ]
    assert hidden_outside_links(page, "s.gov.cn") == ["https://bad.example/"]
    assert hidden_outside_links('<div style="display:block"><a href="https://x.cn/">x</a></div>',
                                "s.gov.cn") == []  # fmt: skip


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_rendered_pages_show_links_hidden_by_style_sheets_and_written_by_scripts(
    hub: EmbeddedHub, sites: tuple[SupervisedSites, str]
) -> None:
    """Neither fault is in what a fetch returns; Chromium, as a browser, a spider and a search
    visitor, sees both; the work order closes once they are gone."""
    sandbox, url = sites
    sandbox.hidden_css.add("gov")
    sandbox.script_cloak.add("drc")
    crawler = Crawler(hub.store, hub.work_orders, hub.config.directory, url + "/{key}/",
                      lambda: hub.config.checks, vantage="测试", timeout=5.0)  # fmt: skip
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    crawler.run_once(now, full=False)
    assert hub.work_orders.find(status="open", problem="injected_link") == []  # HTTP alone
    crawler.renderer = Renderer(CHROMIUM, timeout=10)
    shots: dict[str, bytes] = {}
    crawler.keep_screenshot = lambda png, page: shots.setdefault(page, png) and f"/media/{page}"
    crawler.run_once(now + timedelta(hours=1), full=False)
    gov = hub.work_orders.open_order(f"injected_link:{url}/gov/")
    drc = hub.work_orders.open_order(f"injected_link:{url}/drc/")
    assert gov is not None and drc is not None
    gov_detail = hub.work_orders.history(str(gov["order_id"]))[0]["evidence"]["detail"]
    assert f"{sandbox.outside}/css-hidden（样式隐藏）" in gov_detail
    evidence = hub.work_orders.history(str(gov["order_id"]))[0]["evidence"]
    assert shots[f"{url}/gov/"].startswith(b"\x89PNG") and evidence["screenshot"]
    assert re.fullmatch(r"[0-9a-f]{16}", evidence["dom_hash"])
    assert set(shots) == {f"{url}/gov/"}  # only the page that looked suspicious
    drc_detail = hub.work_orders.history(str(drc["order_id"]))[0]["evidence"]["detail"]
    assert f"{sandbox.outside}/js-cloak（仅搜索引擎爬虫可见）" in drc_detail
    assert f"{sandbox.outside}/js-cloak（仅搜索引擎来访可见）" in drc_detail
    sandbox.hidden_css.clear()
    sandbox.script_cloak.clear()
    crawler.run_once(now + timedelta(hours=2), full=False)
    crawler.run_once(now + timedelta(hours=3), full=False)
    assert hub.work_orders.get(str(gov["order_id"]))["status"] == "closed"
    assert hub.work_orders.get(str(drc["order_id"]))["status"] == "closed"


@pytest.mark.slow
def test_a_page_the_hub_wrote_rendered_with_a_script_written_link(
    hub: EmbeddedHub, tmp_path: Path
) -> None:
    """On a page the hub wrote, whatever the rendered page holds that the manifest does not
    is reported (here: a link an injected script writes, and the script itself)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from channels.website.manifest import write_manifest
    from sandboxes.supervised_sites import HackedFront

    docroot = tmp_path / "sites" / "gov"
    docroot.mkdir(parents=True)
    page = '<!DOCTYPE html><html lang="zh-CN"><title>首页</title><body><main><a href="notices/index.html">通知</a></main></body></html>'
    (docroot / "index.html").write_text(page, encoding="utf-8")
    write_manifest(docroot, docroot / "index.html", page)
    front = HackedFront(tmp_path / "sites")
    server = BackgroundServer(front.app()).start()
    try:
        pattern = server.url + "/{key}/"
        from hub.supervision.watch import manifests

        crawler = Crawler(hub.store, hub.work_orders, hub.config.directory, pattern,
                          lambda: hub.config.checks, vantage="测试", timeout=5.0,
                          manifest_of=manifests(hub.config.directory, tmp_path / "sites", pattern),
                          renderer=Renderer(CHROMIUM, timeout=10))  # fmt: skip
        now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
        crawler.run_once(now, full=False)
        key = f"injected_link:rendered:{server.url}/gov/"
        assert hub.work_orders.open_order(key) is None  # as published
        (docroot / "index.html").write_text(page.replace("</body>", (
            "<script>var a=document.createElement('a');a.href='https://bc.example/x';"
            "document.body.appendChild(a)</script></body>")), encoding="utf-8")  # fmt: skip
        crawler.run_once(now + timedelta(hours=1), full=False)
        order = hub.work_orders.open_order(key)
        assert order is not None
        detail = hub.work_orders.history(str(order["order_id"]))[0]["evidence"]["detail"]
        assert "https://bc.example/x（脚本写入）" in detail and "inline-script:" in detail
    finally:
        server.stop()


def test_the_freshness_of_pages_the_hub_did_not_write_is_read_off_them(
    hub: EmbeddedHub, sites: tuple[SupervisedSites, str]
) -> None:
    from hub.supervision.crawler import newest_date
    from hub.supervision.freshness import State, platform_freshness

    sandbox, url = sites
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    sandbox.updated["edu"] = "2026年11月30日"
    crawler = Crawler(hub.store, hub.work_orders, hub.config.directory, url + "/{key}/",
                      lambda: hub.config.checks, vantage="测试", timeout=2.0)  # fmt: skip
    crawler.run_once(now, full=False)
    position = hub.store.head_position()
    crawler.run_once(now + timedelta(hours=1), full=False)  # the same dates: nothing new
    assert [e.type for e in hub.store.read_all(position)] == ["CrawlRecorded"] * 4
    hub.catch_up()
    sites_now, _ = platform_freshness(hub.config.directory, hub.store, now)
    (edu,) = [s for s in sites_now if s.site == hub.config.directory.site("edu").code]
    assert edu.homepage.state is State.OK
    assert edu.homepage.last_update is not None and edu.homepage.last_update.day == 30
    assert {c.state for c in edu.countdowns if c.kind == "column"} == {State.OK}
    (gov,) = [s for s in sites_now if s.site == "9900000001"]
    assert gov.homepage.state is State.BLANK  # no date on its pages, nothing published

    def on(html: str) -> datetime | None:
        return newest_date(f"<main>{html}</main>", now)

    assert on("2026-11-02 <span>2026/11/20</span> 2025年12月31日") == datetime(
        2026, 11, 20, tzinfo=BEIJING
    )
    assert on("2027年1月1日 规划 2026-13-40") is None  # the future and no such day
    assert on("<nav>2026-12-03</nav>") == datetime(2026, 12, 3, tzinfo=BEIJING)
    assert newest_date("<nav>2026-12-03</nav><main>无日期</main>", now) is None
