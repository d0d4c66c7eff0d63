"""`hub scorecard`, `hub report annual`, `hub report quarterly`: the inspection simulated
and the report figures from the log at the command line, with the xlsx and docx files the
reports are filed in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hub.cli.articles import json_option
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from hub.runtime.clock import utc_now
from workflows.beijing_time import BEIJING

if TYPE_CHECKING:  # loaded where the commands run, not with `--help`
    from hub.supervision.scorecard import Score


def _card_json(card: Score) -> dict[str, Any]:
    return {"subject": card.subject, "name": card.name, "site": card.site, "kind": card.kind,
            "verdict": card.verdict, "score": card.score,
            "items": [{"group": i.group, "label": i.label, "status": i.status,
                       "detail": i.detail, "points": i.points, "evidence": i.evidence}
                      for i in card.items]}  # fmt: skip


@click.command("scorecard")
@click.option("--site", "site_ref", default=None, help="只看这个站点（及其新媒体账号）")
@json_option
@click.pass_context
def scorecard_command(ctx: click.Context, site_ref: str | None, as_json: bool) -> None:
    """检查指标模拟评分：单项否决、已知扣分项与未监测项（来自发布、探测与工单记录）。"""
    from hub.supervision.scorecard import STATUS_LABELS, scorecard

    hub = hub_of(ctx)
    sites, accounts = scorecard(hub.store, hub.config.directory, hub.work_orders, utc_now(),
                                hub.config.settings.freshness_warning_days)  # fmt: skip
    if site_ref:
        code = hub.config.directory.site(site_ref).code
        sites = [c for c in sites if c.site == code]
        accounts = [a for a in accounts if a.site == code]
    if as_json:
        emit_json({"sites": [_card_json(c) for c in sites],
                   "accounts": [_card_json(a) for a in accounts]})  # fmt: skip
        return
    for card in [*sites, *accounts]:
        score = f"{card.score:.1f} 分" if card.score is not None else "单项否决"
        click.echo(f"{card.verdict}  {card.name}  {score}")
        for item in card.items:
            if item.status != "clear":
                click.echo(f"    {STATUS_LABELS[item.status]}  {item.group} · {item.label}："
                           f"{item.detail}")  # fmt: skip


@click.group("report")
def report() -> None:
    """年度报表与季度通报（数据来自记录，可导出 xlsx、docx）。"""


def _this_year() -> int:
    return utc_now().astimezone(BEIJING).year


@report.command("annual")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="年份（默认今年）")
@click.option("--site", "site_ref", default=None, help="只看这个站点")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="导出为 xlsx 文件")  # fmt: skip
@json_option
@click.pass_context
def annual(ctx: click.Context, year: int | None, site_ref: str | None, xlsx: Path | None,
           as_json: bool) -> None:  # fmt: skip
    """政府网站工作年度报表的数据：信息发布、解读回应、移动新媒体、网站运行、安全防护。"""
    from hub.supervision.reports import annual_figures, annual_xlsx

    hub = hub_of(ctx)
    directory, year = hub.config.directory, year or _this_year()
    sites = [directory.site(site_ref)] if site_ref else list(directory.sites)
    figures = {s.code: annual_figures(hub.store, directory, s, year) for s in sites}
    if xlsx is not None:
        xlsx.write_bytes(annual_xlsx(directory, figures, year))
    if as_json:
        emit_json({"year": year, "file": str(xlsx) if xlsx else None, "sites": {
            code: [{"section": f.section, "label": f.label, "value": f.value,
                    "evidence": f.evidence} for f in found]
            for code, found in figures.items()}})  # fmt: skip
        return
    for site in sites:
        click.echo(f"{site.name}（{site.code}） {year} 年")
        for figure in figures[site.code]:
            click.echo(f"    {figure.section} · {figure.label}：{figure.value}")
    if xlsx is not None:
        click.echo(f"已导出 {xlsx}")


@report.command("quarterly")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="年份（默认今年）")
@click.option("--quarter", type=click.IntRange(1, 4), required=True, help="季度 1-4")
@click.option("--docx", "docx", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="导出为 docx 文件")  # fmt: skip
@json_option
@click.pass_context
def quarterly(ctx: click.Context, year: int | None, quarter: int, docx: Path | None,
              as_json: bool) -> None:  # fmt: skip
    """季度检查情况通报草稿。"""
    from hub.supervision.reports import bulletin_docx, quarterly_bulletin
    from hub.supervision.scorecard import scorecard

    hub = hub_of(ctx)
    now = utc_now()
    sites, accounts = scorecard(hub.store, hub.config.directory, hub.work_orders, now,
                                hub.config.settings.freshness_warning_days)  # fmt: skip
    bulletin = quarterly_bulletin(hub.store, hub.config.directory, sites, accounts,
                                  year or _this_year(), quarter, now)  # fmt: skip
    if docx is not None:
        docx.write_bytes(bulletin_docx(bulletin))
    if as_json:
        emit_json({"title": bulletin.title, "file": str(docx) if docx else None,
                   "paragraphs": [{"heading": h, "text": t} for h, t in bulletin.paragraphs],
                   "problems": [{"problem": p, "count": n, "evidence": e}
                                for p, n, e in bulletin.problems],
                   "failing": [{"name": n, "reasons": r, "evidence": e}
                               for n, r, e in bulletin.failing]})  # fmt: skip
        return
    click.echo(bulletin.title)
    for heading, text in bulletin.paragraphs:
        click.echo(f"{heading}\n  {text}")
    for name, reasons, _ in bulletin.failing:
        click.echo(f"  不合格：{name} — {reasons}")
    if docx is not None:
        click.echo(f"已导出 {docx}")
