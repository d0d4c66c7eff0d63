"""`hub deliveries`, `hub delivery retry|cancel`, `hub deliver`: the channel operator's view."""

from __future__ import annotations

import time

import click

from hub.cli.articles import as_option, json_option
from hub.cli.context import hub_of
from hub.cli.output import emit_json


@click.command("deliveries")
@click.option("--article", "article_ref", default=None, help="只看这篇稿件的投递")
@click.option("--account", default=None, help="只看这个账号或站点（网站为网站标识码）")
@click.option(
    "--state",
    "status",
    default=None,
    help="只看这个状态：pending sending delivered retrying unknown dead cancelled "
    "retracting retracted",
)
@click.option("--limit", default=200, show_default=True, help="最多显示条数")
@json_option
@click.pass_context
def deliveries(
    ctx: click.Context,
    article_ref: str | None,
    account: str | None,
    status: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """投递台账：每篇稿件每个发布目标的投递状态。"""
    from workflows.delivery_decider import DELIVERY_ACTION_LABELS

    hub = hub_of(ctx)
    article_id = hub.articles.resolve(article_ref) if article_ref else None
    items = hub.delivery_service.find(article_id, account, status, limit)
    if as_json:
        emit_json(items)
        return
    if not items:
        click.echo("没有符合条件的投递")
    titles = hub.articles.titles({item["article_id"] for item in items})
    for item in items:
        error = f"  {item['last_error']}" if item["last_error"] else ""
        action = DELIVERY_ACTION_LABELS.get(item["action"], item["action"])
        click.echo(
            f"{item['id'][:13]}  {item['status_label']:<6} "
            f"{hub.config.directory.target_name(item['target'])}  "
            f"《{titles.get(item['article_id'], item['article_id'])}》 "
            f"第{item['revision']}版 {action} 尝试{item['attempts']}次{error}"
        )
        if article_ref and (item.get("remote_id") or item.get("url")):
            # One article: the platform's own ids and address, as its back office shows them.
            click.echo(f"{'':15}渠道编号 {item.get('remote_id') or '-'}  {item.get('url') or ''}")
        steps = item.get("steps") or {}
        if article_ref and steps:
            shown = "，".join(f"{k}={v}" for k, v in steps.items())
            click.echo(f"{'':15}步骤 {shown}")


@click.group("delivery")
def delivery() -> None:
    """单个投递的处理：重试、取消。"""


@delivery.command("retry")
@click.argument("delivery_ref", metavar="DELIVERY")
@as_option
@json_option
@click.pass_context
def retry(ctx: click.Context, delivery_ref: str, user: str, as_json: bool) -> None:
    """立即重试失败或等待重试的投递。"""
    item = hub_of(ctx).delivery_service.retry(user, delivery_ref)
    if as_json:
        emit_json(item)
        return
    click.echo(
        f"已重试 {item['id']}：{item['status_label']}"
        f"（{hub_of(ctx).config.directory.target_name(item['target'])}）"
    )


@delivery.command("cancel")
@click.argument("delivery_ref", metavar="DELIVERY")
@click.option("--reason", required=True, help="取消原因")
@as_option
@json_option
@click.pass_context
def cancel(ctx: click.Context, delivery_ref: str, reason: str, user: str, as_json: bool) -> None:
    """取消尚未送达的投递。"""
    item = hub_of(ctx).delivery_service.cancel(user, delivery_ref, reason)
    if as_json:
        emit_json(item)
        return
    click.echo(f"已取消 {item['id']}（{hub_of(ctx).config.directory.target_name(item['target'])}）")


@click.command("deliver")
@click.option("--until-idle", is_flag=True, help="反复执行，直到没有待处理的投递")
@click.option("--timeout", type=click.FloatRange(0), default=300.0, show_default=True,
              help="--until-idle 的最长秒数")  # fmt: skip
@json_option
@click.pass_context
def deliver(ctx: click.Context, until_idle: bool, timeout: float, as_json: bool) -> None:
    """执行一轮后台工作（到时的定时发布与到期下线、更正稿自动发布、投递）；hub serve 会持续执行。"""
    from hub.projections.deliveries import unsettled_count

    hub = hub_of(ctx)
    first = hub.work()
    timers, report = first.timers, first.deliveries
    deadline = time.monotonic() + timeout
    while until_idle and unsettled_count(hub.store) and time.monotonic() < deadline:
        time.sleep(0 if report.attempted else 0.05)
        more = hub.work().deliveries
        report.planned += more.planned
        report.attempted += more.attempted
        report.skipped += more.skipped
        for key, value in more.outcomes.items():
            report.outcomes[key] = report.outcomes.get(key, 0) + value
    data = {
        "planned": report.planned,
        "attempted": report.attempted,
        "outcomes": report.outcomes,
        "skipped": report.skipped,
        "timers": timers,
        "unsettled": unsettled_count(hub.store),
    }
    if as_json:
        emit_json(data)
        return
    outcomes = "，".join(f"{k} {v}" for k, v in report.outcomes.items()) or "无"
    click.echo(f"新建投递 {report.planned} 个，处理 {report.attempted} 个（{outcomes}）")
