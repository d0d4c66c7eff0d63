"""Supervision at the command line: the countdowns, the sweep, and a work order from finding
to return, with the refusals a user or a script would meet (wrong role, unknown order, bad
dates, missing reasons)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Hub


def test_freshness_sweep_and_a_work_order(cli: Hub) -> None:
    report = cli.ok("freshness", "--site", "gov")
    (gov,) = report["sites"]
    assert gov["counts"]["blank"] == 9 and "空白栏目" in gov["vetoes"]
    assert {c["state"] for c in gov["countdowns"]} == {"blank"}
    assert cli.ok("supervise")["opened"]
    assert cli.ok("supervise") == {"opened": [], "joined": [], "closed": []}
    orders = cli.ok("orders", "--site", "gov", "--problem", "blank_column")
    assert len(orders) == 9 and {o["unit"] for o in orders} == {"示范省人民政府门户网站"}
    assert cli.ok("orders", "--as", "zhoumin", "--site", "gov") == []  # another site's editor
    order = orders[0]["order_id"]

    refused = cli.fails("order", "dispatch", order[:10], "--unit", "省政府办公厅",
                        "--deadline", "2026-12-31 18:00", "--as", "zhangwei")  # fmt: skip
    assert refused["code"] == "SITE_ROLE_REQUIRED"
    dispatched = cli.ok("order", "dispatch", order[:10], "--unit", "省政府办公厅",
                        "--deadline", "2026-12-31 18:00", "--note", "请尽快发布", "--as", "zhouyan")  # fmt: skip
    assert dispatched["status"] == "dispatched" and dispatched["deadline"].startswith(
        "2026-12-31T10:00"
    )
    assert cli.ok("order", "rectify", order[:10], "--note", "已安排", "--as", "zhangwei")[
        "status"
    ] == ("rectified")
    assert cli.fails("order", "close", order[:10], "--as", "zhouyan")["code"] == (
        "WORK_ORDER_NOT_VERIFIED"
    )
    returned = cli.ok("order", "return", order[:10], "--reason", "栏目仍为空", "--as", "zhouyan")
    assert returned["status"] == "dispatched" and returned["returned"] == 1
    shown = cli.ok("order", "show", order[:10])
    assert [h["type"] for h in shown["history"]] == [
        "WorkOrderOpened", "WorkOrderDispatched", "WorkOrderRectified", "WorkOrderReturned"]  # fmt: skip

    # Bad input: one line each, with its code.
    assert cli.fails("order", "show", "ffffffffffff")["code"] == "WORK_ORDER_NOT_FOUND"
    assert cli.fails("order", "show", "abc")["code"] == "WORK_ORDER_NOT_FOUND"
    assert cli.fails("order", "extend", order[:10], "--until", "2026-12-01", "--reason", "顺延",
                     "--as", "zhouyan")["code"] == "INVALID_INPUT"  # fmt: skip
    assert cli.fails("order", "extend", order[:10], "--until", "2027-01-10", "--reason", " ",
                     "--as", "zhouyan")["code"] == "REASON_REQUIRED"  # fmt: skip
    assert cli.fails("order", "dispatch", order[:10], "--unit", "x", "--deadline", "明天",
                     "--as", "zhouyan")["code"] == "USAGE"  # fmt: skip
    assert cli.fails("orders", "--as", "nobody")["code"] == "USER_UNKNOWN"
    assert cli.fails("orders", "--state", "lost")["code"] == "USAGE"
    assert cli.fails("freshness", "--site", "nowhere")["code"] == "SITE_UNKNOWN"


def test_probe_once_from_the_command_line(cli: Hub) -> None:
    from hub.runtime.server import BackgroundServer
    from sandboxes.supervised_sites import SupervisedSites

    sandbox = SupervisedSites(faults={"edu": "down"})
    server = BackgroundServer(sandbox.app()).start()
    try:
        done = cli.ok("probe", "--once", "--vantage", "北京", "--url", server.url + "/{key}/")
        assert done["probed"] == sum(sandbox.requests.values()) > 4
        assert {f["url"].split("/")[3] for f in done["failed"]} == {"edu"}
        assert all(f["detail"] == "HTTP 503" for f in done["failed"])
    finally:
        server.stop()
    assert cli.fails("probe", "--once")["code"] == "USAGE"  # no address pattern anywhere
    assert cli.fails("probe", "--once", "--url", "https://{host}/")["code"] == "USAGE"
    assert cli.fails("probe", "--once", "--url", "https://{domain}/{0}")["code"] == "USAGE"


def test_crawl_once_from_the_command_line(cli: Hub) -> None:
    from hub.runtime.server import BackgroundServer
    from sandboxes.supervised_sites import SupervisedSites

    sandbox = SupervisedSites(pages=3, broken={"drc"})
    server = BackgroundServer(sandbox.app()).start()
    try:
        rows = cli.ok("crawl", "--once", "--full", "--vantage", "北京", "--url",
                      server.url + "/{key}/")  # fmt: skip
        by_site = {r["site"]: r for r in rows}
        assert by_site["9900000012"]["broken_pages"] == 1 and by_site["9900000012"]["pages"] == 4
        assert by_site["9900000001"]["broken_pages"] == 0
        listed = cli.ok("orders", "--as", "zhouyan")
        assert any(o["problem"] == "broken_link" and o["subject"].endswith("/drc/p1.html")
                   for o in listed)  # fmt: skip
    finally:
        server.stop()
    assert cli.fails("crawl", "--once")["code"] == "USAGE"  # no address pattern anywhere
    assert cli.fails("crawl", "--once", "--url", "file:///{key}/")["code"] == "USAGE"
    assert cli.fails("crawl", "--once", "--url", "https://{domain}/{__class__}")["code"] == "USAGE"


def test_scorecard_and_reports_from_the_command_line(cli: Hub, tmp_path: Path) -> None:
    from datetime import datetime

    from docx import Document
    from openpyxl import load_workbook

    from tests.helpers import cli_approved
    from workflows.beijing_time import BEIJING

    article = cli_approved(cli)
    cli.ok("publish", article, "--to", "gov/notices", "--as", "qianli", "--wait")
    assert cli.ok("article", "show", article)["delivery"]["state"] == "delivered"
    assert "投递    已送达 3" in cli.run("article", "show", article).stdout
    cards = cli.ok("scorecard", "--site", "gov")
    (gov,) = cards["sites"]
    assert gov["verdict"] == "不合格"  # 9 blank columns: a single veto
    assert any(i["label"] == "栏目不更新" and i["status"] == "met" for i in gov["items"])
    assert any(i["status"] == "unmeasured" for i in gov["items"])
    year = datetime.now(BEIJING).year
    sheet_file = tmp_path / "annual.xlsx"
    annual = cli.ok("report", "annual", "--year", str(year), "--site", "gov", "--xlsx",
                    str(sheet_file))  # fmt: skip
    figures = {f["label"]: f["value"] for f in annual["sites"]["9900000001"]}
    assert figures["信息发布总数（条）"] == 1 and figures["其中：通知公告（条）"] == 1
    sheet = load_workbook(sheet_file).active
    assert [c.value for c in sheet[2]][:3] == ["9900000001", "示范省人民政府门户网站", 1]
    doc_file = tmp_path / "q.docx"
    bulletin = cli.ok("report", "quarterly", "--year", str(year), "--quarter", "4", "--docx",
                      str(doc_file))  # fmt: skip
    assert bulletin["title"].startswith(f"{year}年第4季度")
    assert any(f["name"] == "示范省人民政府门户网站" for f in bulletin["failing"])
    assert bulletin["title"] in "\n".join(p.text for p in Document(doc_file).paragraphs)
    assert cli.fails("report", "quarterly", "--quarter", "5")["code"] == "USAGE"
    assert cli.fails("report", "annual", "--year", "1800")["code"] == "USAGE"
    assert cli.fails("report", "annual", "--site", "nowhere")["code"] == "SITE_UNKNOWN"
    assert cli.fails("scorecard", "--site", "../etc")["code"] == "SITE_UNKNOWN"
