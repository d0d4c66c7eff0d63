"""The one screen (一屏调度) and the work order page in the console: what a supervisor and a
site's staff see, what each may do, and what an attacker's or a careless request gets."""

from __future__ import annotations

import re

from hub.runtime.clock import utc_now
from hub.supervision.sweep import sweep_freshness
from tests.web.conftest import Web


def test_one_screen_and_a_work_order_through_the_console(web: Web) -> None:
    hub = web.hub
    sweep_freshness(hub.work_orders, hub.config.directory, hub.store, utc_now(), 4)
    supervisor, csrf = web.login("zhouyan")
    page = supervisor.get(f"{web.url}/console/supervision", timeout=30)
    assert page.status_code == 200
    html = page.text
    assert "一屏调度" in html and "触及单项否决" in html
    for site in hub.config.directory.sites:
        assert f'data-site="{site.code}"' in html  # every site, for a supervisor of all
    order = hub.work_orders.open_order("blank_column:website:9900000001/interpretation")
    assert order is not None and f'data-order="{order["order_id"]}"' in html
    order_id = str(order["order_id"])
    # Counts by unit and problem class, with the oldest open order's age.
    unit = re.search(r'<tr data-unit="示范省人民政府门户网站">(.*?)</tr>', html, re.S)
    assert unit is not None and "<td>9</td>" in unit.group(1) and "0 天" in unit.group(1)

    # Another site's editor sees neither the province portal's row nor its orders.
    editor, editor_csrf = web.login("zhoumin")
    theirs = editor.get(f"{web.url}/console/supervision", timeout=30).text
    assert 'data-site="9900000012"' in theirs and 'data-site="9900000001"' not in theirs
    assert order_id not in theirs
    assert "不存在" in editor.get(f"{web.url}/console/supervision/orders/{order_id}",
                                  timeout=30).text  # fmt: skip
    refused = editor.post(f"{web.url}/console/supervision/orders/{order_id}/rectify",
                          data={"csrf_token": editor_csrf, "note": "x"}, timeout=30)  # fmt: skip
    assert refused.status_code == 404 and str(order["summary"]) not in refused.text

    # The supervisor dispatches (a bad deadline is refused with a reason first).
    url = f"{web.url}/console/supervision/orders/{order_id}"
    bad = supervisor.post(f"{url}/dispatch", data={"csrf_token": csrf, "unit": "省政府办公厅",
                                                   "deadline": "明天"}, timeout=30)  # fmt: skip
    assert bad.status_code == 400 and "格式如" in bad.text
    done = supervisor.post(f"{url}/dispatch", data={"csrf_token": csrf, "unit": "省政府办公厅",
                           "deadline": "2026-12-31T18:00", "note": "请发布解读"}, timeout=30)  # fmt: skip
    assert (
        done.status_code == 200
        and "已派单" in done.text
        and 'data-status="dispatched"' in done.text
    )
    # Without the CSRF token nothing happens; an unknown step is refused.
    forged = supervisor.post(f"{url}/close", data={}, timeout=30)
    assert forged.status_code == 403
    unknown = supervisor.post(f"{url}/delete", data={"csrf_token": csrf}, timeout=30)
    assert unknown.status_code == 400 and "没有这个操作" in unknown.text
    # The portal's staff see it on their dashboard, waiting for them.
    staff_dashboard = web.login("zhangwei")[0].get(f"{web.url}/console", timeout=30).text
    assert f'data-order="{order_id}"' in staff_dashboard and "整改中" in staff_dashboard
    assert order_id not in editor.get(f"{web.url}/console", timeout=30).text
    # The portal's editor reports it fixed; the supervisor may not close it yet.
    staff, staff_csrf = web.login("zhangwei")
    fixed = staff.post(f"{url}/rectify", data={"csrf_token": staff_csrf, "note": "已发布解读"},
                       timeout=30)  # fmt: skip
    assert 'data-status="rectified"' in fixed.text
    not_yet = supervisor.post(f"{url}/close", data={"csrf_token": csrf}, timeout=30)
    assert not_yet.status_code == 409 and "WORK_ORDER_NOT_VERIFIED" in not_yet.text
    # A site's staff may not dispatch or return; the page offers them no such form.
    assert staff.post(f"{url}/return", data={"csrf_token": staff_csrf, "reason": "x"},
                      timeout=30).status_code == 403  # fmt: skip
    page = staff.get(url, timeout=30).text
    assert "/return" not in page and "/dispatch" not in page
    history = re.findall(r'data-type="(\w+)"', supervisor.get(url, timeout=30).text)
    assert history == ["WorkOrderOpened", "WorkOrderDispatched", "WorkOrderRectified"]
    # A hostile order reference: not found, escaped, no trace.
    odd = supervisor.get(f"{web.url}/console/supervision/orders/%3Cscript%3E", timeout=30)
    assert odd.status_code == 404 and "<script>" not in odd.text


def test_work_orders_through_the_api(web: Web) -> None:
    hub = web.hub
    sweep_freshness(hub.work_orders, hub.config.directory, hub.store, utc_now(), 4)
    freshness = web.api("zhouyan", "GET", "/supervision/freshness").json()
    assert {s["site"] for s in freshness["sites"]} == {s.code for s in hub.config.directory.sites}
    mine = web.api("zhoumin", "GET", "/supervision/freshness").json()
    assert {s["site"] for s in mine["sites"]} == {"9900000012"}
    orders = web.api("zhouyan", "GET", "/work-orders", params={"site": "edu"}).json()
    assert orders and {o["site"] for o in orders} == {"9900000023"}
    order = orders[0]["order_id"]
    assert web.api("zhoumin", "GET", f"/work-orders/{order}").status_code == 404
    assert web.api(None, "GET", "/work-orders").status_code == 401
    bad = web.api("zhouyan", "POST", f"/work-orders/{order}/dispatch",
                  json={"unit": "省教育厅", "deadline": "not a time"})  # fmt: skip
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_INPUT"
    extra = web.api("zhouyan", "POST", f"/work-orders/{order}/dispatch",
                    json={"unit": "省教育厅", "deadline": "2026-12-31T18:00", "admin": True})  # fmt: skip
    assert extra.status_code == 400
    done = web.api("zhouyan", "POST", f"/work-orders/{order[:12]}/dispatch",
                   json={"unit": "省教育厅", "deadline": "2026-12-31T18:00"})  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "dispatched" and done.json()["deadline"].startswith(
        "2026-12-31T10:00")  # fmt: skip
    assert web.api("sunyan", "POST", f"/work-orders/{order}/return",
                   json={"reason": "x"}).status_code == 403  # fmt: skip
    fixed = web.api("sunyan", "POST", f"/work-orders/{order}/rectify", json={"note": "已发布"})
    assert fixed.json()["status"] == "rectified"
    closing = web.api("zhouyan", "POST", f"/work-orders/{order}/close")
    assert (
        closing.status_code == 409 and closing.json()["error"]["code"] == "WORK_ORDER_NOT_VERIFIED"
    )
    detail = web.api("sunyan", "GET", f"/work-orders/{order}").json()
    assert [h["type"] for h in detail["history"]][-2:] == ["WorkOrderDispatched",
                                                           "WorkOrderRectified"]  # fmt: skip


def test_the_one_screen_shows_outages_and_each_sites_availability(web: Web) -> None:
    from datetime import timedelta

    from hub.runtime.server import BackgroundServer
    from hub.supervision.probes import Prober, probe_targets
    from sandboxes.supervised_sites import SupervisedSites

    sandbox = SupervisedSites(faults={"city": "down"})
    server = BackgroundServer(sandbox.app()).start()
    base = server.url
    try:
        hub = web.hub
        targets = [t for t in probe_targets(hub.config.directory, base + "/{key}/")
                   if t.homepage]  # fmt: skip
        prober = Prober(hub.store, hub.work_orders, hub.config.directory, targets, "测试点")
        now = utc_now()
        prober.run_once(now)
        prober.run_once(now + timedelta(minutes=5))
        prober.flush()
        hub.catch_up()
    finally:
        server.stop()
    session, _ = web.login("zhouyan")
    html = session.get(f"{web.url}/console/supervision", timeout=30).text
    assert f'data-url="{base}/city/"' in html and "HTTP 503" in html
    assert "失败 100.0%（2/2 次）" in html and "失败 0.0%（0/2 次）" in html
    order = hub.work_orders.open_order("unreachable:9901000001")
    assert order is not None and f'data-order="{order["order_id"]}"' in html


def test_pages_the_ledger_says_are_live_or_gone_are_looked_at_on_the_site(web: Web) -> None:
    """A published page missing from the live site (a failed sync) and a retracted page still
    served (a stale copy) each open a work order; putting things right closes them."""
    from datetime import timedelta

    from hub.supervision.visibility import VisibilityChecker
    from tests.helpers import published_to, settled

    hub = web.hub
    shown, missing, retracted = (published_to(web, ["gov/notices"]) for _ in range(3))
    for article in (shown, missing, retracted):
        assert [r["status"] for r in settled(web, article)] == ["delivered"]
    docroot = hub.config.sites_root / "gov" / "notices"
    lost = docroot / f"{missing}.html"
    kept = lost.read_bytes()
    lost.unlink()  # the page never reached the web servers
    stale = (docroot / f"{retracted}.html").read_bytes()
    assert web.api("qianli", "POST", f"/articles/{retracted}/retract",
                   json={"reason": "内容有误"}).status_code == 200  # fmt: skip
    assert [r["status"] for r in settled(web, retracted, ("delivered", "retracting"))] == [
        "retracted"]  # fmt: skip
    (docroot / f"{retracted}.html").write_bytes(stale)  # a cache still serves the old copy

    checker = VisibilityChecker(hub.store, hub.work_orders, hub.config.directory,
                                web.url + "/sites/{key}/index.html", hub.articles.titles, "测试")  # fmt: skip
    now = utc_now()
    assert checker.run_once(now) == []  # within the 10 minutes a sync may take: not yet
    later = now + timedelta(minutes=16)
    opened = checker.run_once(later)
    assert len(opened) == 2
    summaries = {hub.work_orders.get(o)["summary"] for o in opened}
    assert any("已发布但网站上看不到（HTTP 404）" in s for s in summaries)
    assert any("已撤稿仍可访问" in s for s in summaries)

    lost.write_bytes(kept)
    (docroot / f"{retracted}.html").unlink()
    checker.run_once(later + timedelta(minutes=5))
    checker.run_once(later + timedelta(minutes=10))
    assert {hub.work_orders.get(o)["status"] for o in opened} == {"closed"}
    assert checker.run_once(later + timedelta(minutes=15)) == []  # seen right: left alone

    # A page missing from the site that its editor then retracts: missing is what is meant
    # now, so the order closes on its re-checks.
    dropped = published_to(web, ["gov/notices"])
    assert [r["status"] for r in settled(web, dropped)] == ["delivered"]
    (docroot / f"{dropped}.html").unlink()
    (gone,) = checker.run_once(utc_now() + timedelta(minutes=11))
    assert web.api("qianli", "POST", f"/articles/{dropped}/retract",
                   json={"reason": "不再发布"}).status_code == 200  # fmt: skip
    settled(web, dropped, ("delivered", "retracting"))
    checker.run_once(utc_now() + timedelta(minutes=11))
    checker.run_once(utc_now() + timedelta(minutes=16))
    assert hub.work_orders.get(gone)["status"] == "closed"


def test_a_link_or_script_injected_into_a_live_page_is_flagged_by_the_manifest(web: Web) -> None:
    """The hub knows every reference it published in a page: a hidden link and a script added
    to the live copy afterwards are reported as injected, the hub's own links are not."""
    from hub.supervision.injection import InjectionChecker
    from tests.helpers import published_to, settled

    hub = web.hub
    article = published_to(web, ["gov/notices"])
    assert [r["status"] for r in settled(web, article)] == ["delivered"]
    checker = InjectionChecker(hub.store, hub.work_orders, hub.config.directory,
                               hub.config.sites_root, web.url + "/sites/{key}/index.html", "测试")  # fmt: skip
    now = utc_now()
    assert checker.run_once(now) == []  # as published: nothing injected, nothing opened
    page = hub.config.sites_root / "gov" / "notices" / f"{article}.html"
    clean = page.read_text(encoding="utf-8")
    page.write_text(clean.replace(
        "</body>", '<div style="display:none"><a href="https://bc.example/casino">博彩</a></div>'
                   '<script src="https://cdn.example/x.js"></script></body>'), encoding="utf-8")  # fmt: skip
    (opened,) = checker.run_once(now)
    order = hub.work_orders.get(opened)
    assert order["problem"] == "injected_link" and "未经发布" in order["summary"]
    evidence = hub.work_orders.history(opened)[0]["evidence"]["detail"]
    assert "https://bc.example/casino" in evidence and "https://cdn.example/x.js" in evidence
    assert "/notices/" not in evidence  # the hub's own links are not in it
    page_html = web.login("zhouyan")[0].get(f"{web.url}/console/supervision/orders/{opened}",
                                            timeout=30).text  # fmt: skip
    assert "<strong>发现</strong>" in page_html and "证据详情" in page_html
    assert "https://bc.example/casino" in page_html and "页面指纹" in page_html
    assert "WorkOrderOpened</strong>" not in page_html  # steps in Chinese, not event names
    page.write_text(clean, encoding="utf-8")  # cleaned up
    checker.run_once(now)
    checker.run_once(now)
    assert hub.work_orders.get(opened)["status"] == "closed"


def test_cloaking_on_a_page_the_hub_wrote_is_caught_by_looking_as_a_spider_and_a_visitor(
    web: Web,
) -> None:
    """A hacked web server adds links only for search spiders, and a redirect script only for
    visitors coming from a search engine: a browser never sees them; the checker looks as
    each would and compares with the page's manifest."""
    from hub.runtime.server import BackgroundServer
    from hub.supervision.injection import InjectionChecker
    from sandboxes.supervised_sites import HackedFront
    from tests.helpers import published_to, settled

    hub = web.hub
    article = published_to(web, ["gov/notices"])
    assert [r["status"] for r in settled(web, article)] == ["delivered"]
    front = HackedFront(hub.config.sites_root)
    server = BackgroundServer(front.app()).start()
    try:
        checker = InjectionChecker(hub.store, hub.work_orders, hub.config.directory,
                                   hub.config.sites_root, server.url + "/{key}/index.html",
                                   "测试")  # fmt: skip
        now = utc_now()
        checker.run_once(now)
        page = f"gov/notices/{article}.html"
        assert hub.work_orders.open_order(f"injected_link:{server.url}/{page}") is None
        front.cloak_ua[page] = '<a href="https://bc.example/spider">娱乐</a>'
        front.cloak_referrer[page] = '<script src="https://bc.example/go.js"></script>'
        checker.run_once(now)
        order = hub.work_orders.open_order(f"injected_link:{server.url}/{page}")
        assert order is not None
        detail = hub.work_orders.history(str(order["order_id"]))[0]["evidence"]["detail"]
        assert "https://bc.example/spider（仅搜索引擎爬虫可见）" in detail
        assert "https://bc.example/go.js（仅搜索引擎来访可见）" in detail
        front.cloak_ua.clear()
        front.cloak_referrer.clear()
        checker.run_once(now)
        checker.run_once(now)
        assert hub.work_orders.get(str(order["order_id"]))["status"] == "closed"
    finally:
        server.stop()
