"""The scorecard, the report figures with their drill-down, and the xlsx and docx exports,
through the console as a supervisor and as a site's editor (who sees only their own site
and may not export the platform's reports); bad and hostile requests are refused."""

from __future__ import annotations

import io
import re

import requests
from docx import Document
from openpyxl import load_workbook

from hub.runtime.clock import utc_now
from tests.helpers import published_to, settled
from tests.web.conftest import Web
from workflows.beijing_time import BEIJING


def test_scorecard_reports_and_their_evidence(web: Web) -> None:
    article = published_to(web, ["gov/notices"])
    assert [r["status"] for r in settled(web, article)] == ["delivered"]
    year = utc_now().astimezone(BEIJING).year
    supervisor, _ = web.login("zhouyan")

    card = supervisor.get(f"{web.url}/console/supervision/scorecard", timeout=30).text
    for site in web.hub.config.directory.sites:
        assert f'data-site="{site.code}"' in card
    # A site nobody published to has a blank homepage: a single veto, no score.
    drc = re.search(r'<tr data-site="9900000012" data-verdict="([^"]+)"', card)
    assert drc is not None and drc.group(1) == "不合格"
    assert "未监测" in card  # what the hub cannot measure is never shown as passed

    page = supervisor.get(f"{web.url}/console/supervision/reports",
                          params={"site": "gov", "year": year}, timeout=30).text  # fmt: skip
    total = re.search(r'data-label="信息发布总数（条）".*?<a href="([^"]+)">(\d+)</a>', page, re.S)
    assert total is not None and int(total.group(2)) >= 1
    assert "季度政府网站和政务新媒体检查情况通报（草稿）" in page
    drill = supervisor.get(web.url + total.group(1).replace("&amp;", "&"), timeout=30).text
    assert "关于做好冬季安全生产工作的通知" in drill and f"/console/articles/{article}" in drill
    notices = re.search(r'data-label="其中：通知公告（条）".*?<a href="([^"]+)">(\d+)</a>', page,
                        re.S)  # fmt: skip
    assert notices is not None and int(notices.group(2)) >= 1

    xlsx = supervisor.get(f"{web.url}/console/supervision/reports/annual.xlsx",
                          params={"year": year}, timeout=30)  # fmt: skip
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "9900000001")
    cell = row[header.index("信息发布·信息发布总数（条）")]
    assert int(cell.value) >= 1 and "/console/supervision/evidence?" in cell.hyperlink.target
    docx = supervisor.get(f"{web.url}/console/supervision/reports/bulletin.docx",
                          params={"year": year, "quarter": 4}, timeout=30)  # fmt: skip
    assert docx.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert f"{year}年第4季度" in text and "一、总体情况" in text and "合格率" in text

    # A site's editor: their own site only, and no platform export.
    editor, _ = web.login("zhoumin")
    theirs = editor.get(f"{web.url}/console/supervision/scorecard", timeout=30).text
    assert 'data-site="9900000012"' in theirs and 'data-site="9900000001"' not in theirs
    refused = editor.get(f"{web.url}/console/supervision/reports/annual.xlsx", timeout=30)
    assert refused.status_code == 403 and "spreadsheetml" not in refused.headers["content-type"]
    other = editor.get(f"{web.url}/console/supervision/reports", params={"site": "gov"},
                       timeout=30)  # fmt: skip
    assert other.status_code == 400 and "不存在" in other.text and "信息发布总数" not in other.text
    peek = editor.get(f"{web.url}/console/supervision/evidence",
                      params={"what": "published", "account": "9900000001"}, timeout=30)  # fmt: skip
    assert peek.status_code == 400 and "不存在" in peek.text and "冬季安全生产" not in peek.text

    # Bad input: refused with a reason, never a 500.
    for params in ({"what": "passwords"}, {"what": "probes"}, {"what": "orders", "year": "x"},
                   {"what": "orders", "quarter": "2026-Q9"},
                   {"what": "published", "account": "<script>"}):  # fmt: skip
        bad = supervisor.get(f"{web.url}/console/supervision/evidence", params=params, timeout=30)
        assert bad.status_code == 400, (params, bad.status_code)
        assert "<script>" not in bad.text
    for params in ({"year": "1900"}, {"quarter": "5"}, {"year": "二〇二六"}):
        bad = supervisor.get(f"{web.url}/console/supervision/reports", params=params, timeout=30)
        assert bad.status_code == 400
    assert supervisor.get(f"{web.url}/console/supervision/reports/passwd",
                          timeout=30).status_code == 400  # fmt: skip
    anonymous = requests.get(f"{web.url}/console/supervision/scorecard", timeout=30,
                                  allow_redirects=False)  # fmt: skip
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?")


def test_the_duty_wall_shows_trends_per_unit(web: Web) -> None:
    from datetime import timedelta

    from hub.supervision.probes import Prober, ProbeResult, ProbeTarget

    hub = web.hub
    article = published_to(web, ["gov/notices"])
    assert [r["status"] for r in settled(web, article)] == ["delivered"]
    # A day of probes of the portal's homepage, a tenth of them failing.
    prober = Prober(hub.store, hub.work_orders, hub.config.directory, [], "测试")
    target = ProbeTarget("9900000001", "http://gov.invalid/", True)
    yesterday = utc_now() - timedelta(days=1)
    prober.record([ProbeResult(target, n % 10 != 0, "HTTP 200", 5) for n in range(40)], yesterday)
    prober.flush()
    hub.catch_up()
    wall = web.login("zhouyan")[0].get(f"{web.url}/console/supervision/wall", timeout=30)
    assert wall.status_code == 200 and "/console/static/wall.js" in wall.text
    row = re.search(r'<tr data-site="9900000001">(.*?)</tr>', wall.text, re.S)
    assert row is not None
    assert "首页打不开比例，最近一天 10.0%" in row.group(1) and "<polyline" in row.group(1)
    assert "距上次更新天数，最近 0 天" in row.group(1)
    mine = web.login("zhoumin")[0].get(f"{web.url}/console/supervision/wall", timeout=30).text
    assert 'data-site="9900000001"' not in mine and 'data-site="9900000012"' in mine


def test_notifications_reach_the_unit_and_the_supervisor(web: Web) -> None:
    from hub.supervision.sweep import sweep_freshness

    hub = web.hub
    sweep_freshness(hub.work_orders, hub.config.directory, hub.store, utc_now(), 4)
    order = hub.work_orders.open_order("blank_column:website:9900000001/interpretation")
    assert order is not None
    order_id = str(order["order_id"])
    hub.catch_up()
    staff, staff_csrf = web.login("zhangwei")
    page = staff.get(f"{web.url}/console/notifications", timeout=30).text
    assert "发现问题：空白栏目" in page and f"/console/supervision/orders/{order_id}" in page
    unread = re.search(r'data-unread="(\d+)"', page)
    assert unread is not None and int(unread.group(1)) >= 1
    # Another site's editor hears nothing of it.
    assert order_id not in web.login("zhoumin")[0].get(f"{web.url}/console/notifications",
                                                       timeout=30).text  # fmt: skip

    hub.work_orders.dispatch("zhouyan", order_id, "省政府办公厅", utc_now(), "请补充解读")
    hub.work_orders.rectify("zhangwei", order_id, "已发布解读")
    hub.catch_up()
    assert "已派单" in staff.get(f"{web.url}/console/notifications", timeout=30).text
    answer = web.api("zhouyan", "GET", "/notifications").json()
    assert answer["unread"] >= 1 and any(
        "报告已整改，待复核" in n["text"] and n["order_id"] == order_id for n in answer["items"]
    )

    # Marking read needs the session's CSRF token; with it, nothing is left unread.
    forged = staff.post(f"{web.url}/console/notifications/read", data={}, timeout=30)
    assert forged.status_code == 403
    done = staff.post(f"{web.url}/console/notifications/read",
                      data={"csrf_token": staff_csrf}, timeout=30)  # fmt: skip
    assert done.status_code == 200 and 'data-unread="0"' in done.text
    assert web.api("zhangwei", "GET", "/notifications").json()["unread"] == 0
    assert web.api("zhangwei", "GET", "/notifications", params={"limit": 0}).status_code == 400
