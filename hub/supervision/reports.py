"""Reports from the log: the annual report figures of each site (《政府网站工作年度报表》:
信息发布, 解读回应, 移动新媒体, 网站运行, 安全防护, 互动交流; research/government-rules.md
§2.4) and the quarterly 通报 draft, each figure with the query of the events behind it
(`evidence`), and their export in the formats they are filed in (xlsx, docx).

Years and quarters are Beijing time. Counts of publications come from `published_items`
(a retracted item still counts in the year it was published); availability from the probes'
hourly rollups; problems and rectification from the work orders.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events.recorder import AtLeast
from events.store import EventStore
from hub.projections.probes import OUTAGES, PROBE_HOURS
from hub.projections.published_items import PUBLISHED_ITEMS
from hub.projections.work_orders import WORK_ORDER_TABLE
from hub.setup.directory import Directory, Site
from hub.supervision.scorecard import Score, evidence_link
from workflows.beijing_time import BEIJING
from workflows.publication import CHANNEL_LABELS, Channel
from workflows.work_order_events import PROBLEM_LABELS

# Column types -> the report's lines of 信息发布 (others count under 其他).
PUBLISHING_LINES = (("动态要闻", "政务动态信息"), ("通知公告", "通知公告"),
                    ("政策文件", "政策文件"), ("人事信息", "人事信息"),
                    ("规划计划", "规划计划"))  # fmt: skip
INTERPRETATION = "政策解读"


@dataclass(frozen=True)
class Figure:
    section: str
    label: str
    value: int | float | str
    evidence: str = ""  # the console page listing what it counts


def period(year: int, quarter: int | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a year or one of its quarters, Beijing time."""
    if quarter is None:
        return datetime(year, 1, 1, tzinfo=BEIJING), datetime(year + 1, 1, 1, tzinfo=BEIJING)
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=BEIJING)
    end = (datetime(year + 1, 1, 1, tzinfo=BEIJING) if quarter == 4
           else datetime(year, 3 * quarter + 1, 1, tzinfo=BEIJING))  # fmt: skip
    return start, end


def _within(at: object, start: datetime, end: datetime) -> bool:
    return bool(at) and start <= datetime.fromisoformat(str(at)) < end


def published(store: EventStore, account: str, start: datetime, end: datetime,
              columns: set[str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The first publications on an account (a site code, or a channel account id) in the
    period: what the publishing figures count."""
    rows = store.rows(PUBLISHED_ITEMS, {"account": account, "published_at": AtLeast(
        (start - timedelta(days=1)).isoformat())}, order_by=("published_at",))  # fmt: skip
    found = [dict(zip(PUBLISHED_ITEMS.names, r, strict=True)) for r in rows]
    return [r for r in found if _within(r["published_at"], start, end)
            and (columns is None or r["column_id"] in columns)]  # fmt: skip


def _columns_of(site: Site, kind: str | None) -> set[str]:
    """The site's columns of a type (None: of none of the report's types)."""
    named = {t for t, _ in PUBLISHING_LINES} | {INTERPRETATION}
    return {c.id for c, _ in site.walk()
            if (c.type == kind if kind is not None else c.type not in named)}  # fmt: skip


def orders_in(store: EventStore, start: datetime, end: datetime, site: str | None = None,
              problems: set[str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    where: dict[str, Any] = {"opened_at": AtLeast((start - timedelta(days=1)).isoformat())}
    if site:
        where["site"] = site
    rows = store.rows(WORK_ORDER_TABLE, where, order_by=("opened_at",))
    found = [dict(zip(WORK_ORDER_TABLE.names, r, strict=True)) for r in rows]
    return [o for o in found if _within(o["opened_at"], start, end)
            and (problems is None or o["problem"] in problems)]  # fmt: skip


def availability(store: EventStore, site: str, start: datetime, end: datetime) -> tuple[int, int]:
    """(homepage probes, failures) in the period."""
    rows = store.rows(PROBE_HOURS, {"site": site, "hour": AtLeast(
        (start - timedelta(days=1)).isoformat())}, ("hour", "homepage_attempts",
                                                    "homepage_failures"))  # fmt: skip
    kept = [(int(a or 0), int(f or 0)) for h, a, f in rows if _within(h, start, end)]
    return sum(a for a, _ in kept), sum(f for _, f in kept)


def annual_figures(store: EventStore, directory: Directory, site: Site,
                   year: int) -> list[Figure]:  # fmt: skip
    """The figures of a site's 工作年度报表 for `year`."""
    start, end = period(year)
    code, y = site.code, str(year)
    everything = published(store, code, start, end)
    figures = [Figure("信息发布", "信息发布总数（条）", len({r["article_id"] for r in everything}),
                      evidence_link("published", account=code, year=y))]  # fmt: skip
    for kind, label in (*PUBLISHING_LINES, (None, "其他")):
        columns = _columns_of(site, kind)
        count = len({r["article_id"] for r in everything if r["column_id"] in columns})
        figures.append(Figure("信息发布", f"其中：{label}（条）", count, evidence_link(
            "published", account=code, year=y, type=kind or "其他")))  # fmt: skip
    interpretations = _columns_of(site, INTERPRETATION)
    figures.append(Figure("解读回应", "解读信息发布（条）",
                          len({r["article_id"] for r in everything
                               if r["column_id"] in interpretations}),
                          evidence_link("published", account=code, year=y, type=INTERPRETATION)))  # fmt: skip
    for account in directory.accounts:
        if account.site != site.key or account.channel not in (Channel.WECHAT, Channel.WEIBO,
                                                                Channel.APP):  # fmt: skip
            continue
        posts = published(store, account.id, start, end)
        figures.append(Figure("移动新媒体", f"{CHANNEL_LABELS.get(account.channel)}"
                              f"「{account.name}」发布（条）", len(posts),
                              evidence_link("published", account=account.id, year=y)))  # fmt: skip
    attempts, failures = availability(store, code, start, end)
    outages = [o for o in store.rows(OUTAGES, {"site": code}, ("since",))
               if _within(o[0], start, end)]  # fmt: skip
    figures += [
        Figure("网站运行", "首页可用性监测（次）", attempts, evidence_link("probes", site=code, year=y)),
        Figure("网站运行", "首页可用率", f"{1 - failures / attempts:.2%}" if attempts else "未监测",
               evidence_link("probes", site=code, year=y)),
        Figure("网站运行", "确认中断（次）", len(outages), evidence_link("probes", site=code, year=y)),
        Figure("网站运行", "栏目数量（个）", sum(1 for _ in site.walk())),
    ]  # fmt: skip
    found = orders_in(store, start, end, code)
    for section, label, problems in (
        ("安全防护", "外链暗链、挂马（次）", {"injected_link"}),
        ("安全防护", "严重表述错误（次）", {"wording_error"}),
        ("网站运行", "错链断链页面（个）", {"broken_link"}),
    ):  # fmt: skip
        figures.append(Figure(section, label, sum(o["problem"] in problems for o in found),
                              evidence_link("orders", site=code, year=y,
                                            problem=",".join(sorted(problems)))))  # fmt: skip
    figures += [
        Figure("监管整改", "发现问题工单（个）", len(found), evidence_link("orders", site=code, year=y)),
        Figure("监管整改", "已销号（个）", sum(o["status"] == "closed" for o in found),
               evidence_link("orders", site=code, year=y, status="closed")),
        Figure("互动交流", "留言办理", "未接入本平台"),
    ]  # fmt: skip
    return figures


# -- the quarterly 通报 draft --------------------------------------------------------------------


@dataclass(frozen=True)
class Bulletin:
    title: str
    paragraphs: list[tuple[str, str]]  # (heading, text)
    problems: list[tuple[str, int, str]]  # (problem, count, evidence)
    failing: list[tuple[str, str, str]]  # (name, reasons, evidence)


def quarterly_bulletin(store: EventStore, directory: Directory, cards: list[Score],
                       accounts: list[Score], year: int, quarter: int,
                       now: datetime) -> Bulletin:  # fmt: skip
    start, end = period(year, quarter)
    found = orders_in(store, start, end)
    q = f"{year}-Q{quarter}"
    failed = [c for c in cards if c.verdict == "不合格"]
    failed_accounts = [a for a in accounts if a.vetoes]
    closed = sum(o["status"] == "closed" for o in found)
    overdue = sum(o["status"] != "closed" and o["due_by"] and
                  datetime.fromisoformat(str(o["due_by"])) < now for o in found)  # fmt: skip
    sites, share = len(cards), (len(cards) - len(failed)) / len(cards) if cards else 1.0
    paragraphs = [
        ("一、总体情况",
         f"本季度平台共监测政府网站 {sites} 个、政务新媒体账号 {len(accounts)} 个。按国家《政府网站与"
         f"政务新媒体检查指标》模拟检查（{now.astimezone(BEIJING):%Y年%m月%d日}），合格网站 "
         f"{sites - len(failed)} 个，不合格 {len(failed)} 个，合格率 {share:.1%}；"
         f"政务新媒体触及单项否决 {len(failed_accounts)} 个。"),
        ("二、发现的主要问题", f"本季度共发现问题 {len(found)} 个（明细见下表），均已派发工单。"),
        ("三、整改情况",
         f"本季度工单已销号 {closed} 个，未销号 {len(found) - closed} 个，其中超期未整改 {overdue} 个。"),
        ("四、下一步工作要求",
         "请各单位对照问题清单逐项整改，整改完成后在平台报告，经自动复核通过后销号；"
         "对超期未整改的问题，将在下季度通报中点名。"),
    ]  # fmt: skip
    counts: dict[str, int] = {}
    for order in found:
        counts[str(order["problem"])] = counts.get(str(order["problem"]), 0) + 1
    problems = [(PROBLEM_LABELS.get(p, p), n, evidence_link("orders", quarter=q, problem=p))
                for p, n in sorted(counts.items(), key=lambda kv: -kv[1])]  # fmt: skip
    failing = [(c.name, "；".join(f"{v.label}：{v.detail}" for v in c.vetoes) or
                f"得分 {c.score:.1f}", evidence_link("scorecard", site=c.site))
               for c in [*failed, *failed_accounts]]  # fmt: skip
    return Bulletin(f"{year}年第{quarter}季度政府网站和政务新媒体检查情况通报（草稿）", paragraphs,
                    problems, failing)  # fmt: skip


# -- export -------------------------------------------------------------------------------------


def annual_xlsx(directory: Directory, figures: dict[str, list[Figure]], year: int,
                base_url: str = "") -> bytes:  # fmt: skip
    """One sheet: a row per site, a column per figure; every cell links to its evidence."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{year}年度报表"
    first = next(iter(figures.values()), [])
    sheet.append(["网站标识码", "网站名称", *(f"{f.section}·{f.label}" for f in first)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for site in directory.sites:
        row = figures.get(site.code, [])
        sheet.append([site.code, site.name, *(f.value for f in row)])
        for column, figure in enumerate(row, start=3):
            if figure.evidence:
                cell = sheet.cell(row=sheet.max_row, column=column)
                cell.hyperlink = base_url + figure.evidence
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bulletin_docx(bulletin: Bulletin, base_url: str = "") -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(bulletin.title, level=1)
    for heading, text in bulletin.paragraphs[:2]:
        doc.add_heading(heading, level=2)
        doc.add_paragraph(text)
    table = doc.add_table(rows=1, cols=3)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "问题类型", "数量"
    table.rows[0].cells[2].text = "明细"
    for label, count, link in bulletin.problems:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = label, str(count), base_url + link
    for heading, text in bulletin.paragraphs[2:3]:
        doc.add_heading(heading, level=2)
        doc.add_paragraph(text)
    doc.add_heading("不合格网站和政务新媒体名单", level=2)
    failing = doc.add_table(rows=1, cols=3)
    failing.rows[0].cells[0].text, failing.rows[0].cells[1].text = "名称", "问题"
    failing.rows[0].cells[2].text = "明细"
    for name, reasons, link in bulletin.failing:
        cells = failing.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = name, reasons, base_url + link
    for heading, text in bulletin.paragraphs[3:]:
        doc.add_heading(heading, level=2)
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
