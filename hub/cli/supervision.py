"""`hub freshness`, `hub orders`, `hub order …`, `hub supervise`: supervision (管网) at the
command line — each site's countdowns to the veto thresholds, and the work orders."""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from hub.cli.articles import as_option, json_option
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from hub.runtime.clock import as_beijing, beijing_minute, utc_now
from workflows.vocabulary import PROBLEM_LABELS

if TYPE_CHECKING:  # loaded where the commands run, not with `--help`
    from hub.supervision.freshness import Countdown

_TIME = click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"])


def _countdown_json(c: Countdown, now: datetime) -> dict[str, Any]:
    left = c.days_left(now)
    return {"kind": c.kind, "subject": c.subject, "site": c.site, "name": c.name,
            "category": c.category, "rule_days": c.days, "state": str(c.state),
            "last_update": c.last_update.isoformat() if c.last_update else None,
            "days_left": round(left, 1) if left is not None else None}  # fmt: skip


def _left(c: Countdown, now: datetime) -> str:
    left = c.days_left(now)
    if left is None:
        return "无任何信息"
    return f"剩 {left:.1f} 天" if left >= 0 else f"超期 {-left:.1f} 天"


@click.command("freshness")
@click.option("--site", "site_ref", default=None, help="只看这个站点，并列出每个栏目")
@json_option
@click.pass_context
def freshness(ctx: click.Context, site_ref: str | None, as_json: bool) -> None:
    """更新情况：每个站点的首页、栏目和新媒体账号距单项否决还有几天（来自发布记录）。"""
    from hub.supervision.freshness import SITE_LIMITS, STATE_LABELS, platform_freshness

    hub = hub_of(ctx)
    directory, now = hub.config.directory, utc_now()
    sites, accounts = platform_freshness(directory, hub.store, now,
                                         hub.config.settings.freshness_warning_days)  # fmt: skip
    if site_ref:
        code = directory.site(site_ref).code
        sites = [s for s in sites if s.site == code]
        accounts = [a for a in accounts if a.site == code]
    if as_json:
        emit_json({
            "sites": [{"site": s.site, "name": s.name, "vetoes": s.vetoes(),
                       "warnings": s.warnings(),
                       "counts": {w: s.count(w) for w in SITE_LIMITS},
                       "countdowns": [_countdown_json(c, now) for c in s.countdowns]}
                      for s in sites],
            "accounts": [_countdown_json(a, now) for a in accounts],
        })  # fmt: skip
        return
    for site in sites:
        verdict = "；".join(site.vetoes()) or "未触及单项否决"
        click.echo(f"{site.name}（{site.site}）  首页{_left(site.homepage, now)}  "
                   f"不更新栏目 {site.count('A')}/{SITE_LIMITS['A'][1]}  "
                   f"长期未更新 {site.count('B')}/{SITE_LIMITS['B'][1]}  "
                   f"空白栏目 {site.count('blank')}/{SITE_LIMITS['blank'][1]}  → {verdict}")  # fmt: skip
        if site_ref:
            for c in site.countdowns[1:]:
                click.echo(f"    {STATE_LABELS[c.state]:<4} {c.name}  {_left(c, now)}"
                           f"（{c.days} 天内须更新）")  # fmt: skip
    for account in accounts:
        click.echo(f"新媒体  {account.name}  {STATE_LABELS[account.state]}  {_left(account, now)}")


def _order_line(order: dict[str, Any]) -> str:
    from workflows.work_order_decider import ORDER_STATUS_LABELS

    deadline = order["deadline"] or order["due_by"]
    return (f"{str(order['order_id'])[:13]}  {ORDER_STATUS_LABELS.get(order['status'], order['status'])}"
            f"  {PROBLEM_LABELS.get(order['problem'], order['problem'])}  {order['summary']}"
            f"  期限 {beijing_minute(str(deadline)) if deadline else '-'}")  # fmt: skip


@click.command("orders")
@click.option("--state", "status", default="open", show_default=True,
              type=click.Choice(["open", "found", "dispatched", "rectified", "closed", "all"]),
              help="open：未销号的全部")  # fmt: skip
@click.option("--site", "site_ref", default=None, help="只看这个站点的工单")
@click.option("--problem", default=None, type=click.Choice(sorted(str(p) for p in PROBLEM_LABELS)))
@click.option("--as", "user", default=None, metavar="USER", help="只看这个用户能看的工单")
@json_option
@click.pass_context
def orders(ctx: click.Context, status: str, site_ref: str | None, problem: str | None,
           user: str | None, as_json: bool) -> None:  # fmt: skip
    """工单列表（发现 → 派单 → 整改 → 复核 → 销号）。"""
    hub = hub_of(ctx)
    site = hub.config.directory.site(site_ref).code if site_ref else None
    if user is not None:
        hub.config.directory.user(user)  # an unknown user is refused, not shown nothing
    found = hub.work_orders.find(None if status == "all" else status, site, problem,
                                 for_user=user)  # fmt: skip
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo("没有符合条件的工单")
    for order in found:
        click.echo(_order_line(order))


@click.group("order")
def order() -> None:
    """单个工单：查看、派单、整改、退回、延期、销号。"""


@order.command("show")
@click.argument("order_ref", metavar="ORDER")
@json_option
@click.pass_context
def show(ctx: click.Context, order_ref: str, as_json: bool) -> None:
    """工单详情与全部记录（含证据）。"""
    service = hub_of(ctx).work_orders
    order_id = service.resolve(order_ref)
    found, history = service.get(order_id), service.history(order_id)
    if as_json:
        emit_json({**found, "history": history})
        return
    click.echo(_order_line(found))
    click.echo(f"责任单位 {found['unit']}  复核通过 {found['passes']}/{found['passes_required']}"
               f"  发现 {found['observed']} 次")  # fmt: skip
    for entry in history:
        evidence = entry.get("evidence") or {}
        said = evidence.get("summary") or entry.get("note") or entry.get("reason") or ""
        click.echo(f"  {beijing_minute(entry['at'])}  {entry['type']}  {entry['actor']}  {said}")


def _done(ctx: click.Context, order_id: str, as_json: bool, what: str) -> None:
    found = hub_of(ctx).work_orders.get(order_id)
    if as_json:
        emit_json(found)
    else:
        click.echo(f"{what}：{_order_line(found)}")


@order.command("dispatch")
@click.argument("order_ref", metavar="ORDER")
@click.option("--unit", required=True, help="责任单位")
@click.option("--deadline", required=True, type=_TIME, help="整改期限（北京时间）")
@click.option("--note", default="", help="派单说明")
@as_option
@json_option
@click.pass_context
def dispatch(ctx: click.Context, order_ref: str, unit: str, deadline: datetime, note: str,
             user: str, as_json: bool) -> None:  # fmt: skip
    """派单给责任单位（监管人员）。"""
    service = hub_of(ctx).work_orders
    order_id = service.resolve(order_ref)
    moment = as_beijing(deadline)
    assert moment is not None
    service.dispatch(user, order_id, unit, moment, note)
    _done(ctx, order_id, as_json, "已派单")


@order.command("rectify")
@click.argument("order_ref", metavar="ORDER")
@click.option("--note", required=True, help="整改情况")
@as_option
@json_option
@click.pass_context
def rectify(ctx: click.Context, order_ref: str, note: str, user: str, as_json: bool) -> None:
    """报告整改完成，等待自动复核（本站点工作人员）。"""
    service = hub_of(ctx).work_orders
    order_id = service.resolve(order_ref)
    service.rectify(user, order_id, note)
    _done(ctx, order_id, as_json, "已报告整改")


@order.command("return")
@click.argument("order_ref", metavar="ORDER")
@click.option("--reason", required=True, help="退回原因")
@as_option
@json_option
@click.pass_context
def return_(ctx: click.Context, order_ref: str, reason: str, user: str, as_json: bool) -> None:
    """退回整改（监管人员）。"""
    service = hub_of(ctx).work_orders
    order_id = service.resolve(order_ref)
    service.return_(user, order_id, reason)
    _done(ctx, order_id, as_json, "已退回")


@order.command("extend")
@click.argument("order_ref", metavar="ORDER")
@click.option("--until", "until", required=True, type=_TIME, help="新的期限（北京时间）")
@click.option("--reason", required=True, help="延期原因")
@as_option
@json_option
@click.pass_context
def extend(ctx: click.Context, order_ref: str, until: datetime, reason: str, user: str,
           as_json: bool) -> None:  # fmt: skip
    """延期（监管人员）。"""
    service = hub_of(ctx).work_orders
    order_id = service.resolve(order_ref)
    moment = as_beijing(until)
    assert moment is not None
    service.extend(user, order_id, reason, moment)
    _done(ctx, order_id, as_json, "已延期")


@order.command("close")
@click.argument("order_ref", metavar="ORDER")
@as_option
@json_option
@click.pass_context
def close(ctx: click.Context, order_ref: str, user: str, as_json: bool) -> None:
    """销号（复核已通过时，监管人员）。"""
    service = hub_of(ctx).work_orders
    order_id = service.resolve(order_ref)
    service.close(user, order_id)
    _done(ctx, order_id, as_json, "已销号")


@click.command("supervise")
@json_option
@click.pass_context
def supervise(ctx: click.Context, as_json: bool) -> None:
    """立即按发布记录检查一遍更新情况：开出、记录或销号工单（hub serve 每 5 分钟自动执行）。"""
    from hub.supervision.sweep import sweep_freshness

    hub = hub_of(ctx)
    report = sweep_freshness(hub.work_orders, hub.config.directory, hub.store, utc_now(),
                             hub.config.settings.freshness_warning_days)  # fmt: skip
    if as_json:
        emit_json({"opened": report.opened, "joined": report.joined, "closed": report.closed})
        return
    click.echo(f"新开工单 {len(report.opened)} 个，补充证据 {len(report.joined)} 个，"
               f"销号 {len(report.closed)} 个")  # fmt: skip


def where_from(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a process that looks at the live sites: its vantage point's name and
    the sites' address pattern."""
    command = click.option("--url", "pattern", default=None,
                           help="首页地址模式，含 {domain} {key} {code}（默认 hub.yaml 的 probe_url）")(command)  # fmt: skip
    return click.option("--vantage", default="", help="探测点、巡查点名称（默认本机名）")(command)


@click.command("probe")
@click.option("--once", is_flag=True, help="只探测一轮后退出")
@where_from
@json_option
@click.pass_context
def probe(ctx: click.Context, once: bool, vantage: str, pattern: str | None, as_json: bool) -> None:
    """可用性探测：按国家检查方法（15 秒超时，连续两次失败确认）探测各站点首页与栏目页。"""
    import os

    from hub.supervision.probes import probe_forever
    from hub.supervision.watch import prober_for

    hub = hub_of(ctx)
    settings = hub.config.settings
    pattern = _pattern(pattern or settings.probe_url)
    prober = prober_for(hub, pattern, vantage or os.uname().nodename)
    targets = prober.targets
    if once:
        results = prober.run_once(utc_now())
        prober.flush()
        failed = [r for r in results if not r.ok]
        if as_json:
            emit_json({"probed": len(results), "failed": [
                {"url": r.target.url, "detail": r.detail} for r in failed]})  # fmt: skip
            return
        click.echo(f"探测 {len(results)} 个页面，失败 {len(failed)} 个")
        for result in failed:
            click.echo(f"  {result.target.url}  {result.detail}")
        return
    stop = until_signalled()
    click.echo(
        f"探测中：{len(targets)} 个页面，每 {settings.probe_interval_s:.0f} 秒一轮。按 Ctrl-C 退出。"
    )
    probe_forever(prober, settings.probe_interval_s, stop)


def until_signalled() -> threading.Event:
    """An event set by SIGTERM or SIGINT (Ctrl-C): a long-running command's stop."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def _pattern(pattern: str) -> str:
    """The homepage address pattern given, checked."""
    if not pattern:
        raise click.UsageError(
            "请用 --url 或 hub.yaml 的 probe_url 给出首页地址模式，如 https://{domain}/"
        )
    if not all(part in "{domain}{key}{code}" for part in re.findall(r"\{[^}]*\}", pattern)):
        raise click.UsageError("地址模式只能含 {domain}、{key}、{code}")
    if not pattern.startswith(("http://", "https://")):
        raise click.UsageError("地址模式须以 http:// 或 https:// 开头")
    return pattern


@click.command("crawl")
@click.option("--once", is_flag=True, help="只巡查一遍后退出")
@click.option("--full", is_flag=True, help="全量巡查（默认：每周一次全量，其余为增量）")
@where_from
@json_option
@click.pass_context
def crawl(ctx: click.Context, once: bool, full: bool, vantage: str, pattern: str | None,
          as_json: bool) -> None:  # fmt: skip
    """链接巡查：错链断链、外链暗链、线上页面与各渠道副本的严重表述错误。"""
    import os

    from hub.supervision.crawler import crawl_forever
    from hub.supervision.watch import CrawlPass

    hub = hub_of(ctx)
    settings = hub.config.settings
    worker = CrawlPass(hub, _pattern(pattern or settings.probe_url),
                       vantage or os.uname().nodename)  # fmt: skip
    if once:
        crawls = worker.run_once(utc_now(), True if full else None)
        rows = [{"site": c.site, "full": c.full, "pages": c.pages, "links": c.links,
                 "broken_pages": len(c.broken), "hidden_pages": len(c.hidden),
                 "wording_pages": len(c.wording), "outbound_hosts": len(c.outbound)}
                for c in crawls]  # fmt: skip
        if as_json:
            emit_json(rows)
            return
        for row in rows:
            click.echo(f"{row['site']}  {'全量' if row['full'] else '增量'}  页面 {row['pages']}  "
                       f"链接 {row['links']}  错链页 {row['broken_pages']}  "
                       f"暗链页 {row['hidden_pages']}  表述错误页 {row['wording_pages']}")  # fmt: skip
        return
    stop = until_signalled()
    click.echo(
        f"巡查中：每 {settings.crawl_interval_s:.0f} 秒一遍增量、每周一遍全量。按 Ctrl-C 退出。"
    )
    crawl_forever(worker, settings.crawl_interval_s, stop)
