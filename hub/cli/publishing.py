"""`hub publish`, `hub schedule`, `hub correct`, `hub retract`, `hub timers`: getting approved
articles out, keeping them right, and taking them down."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hub.cli.articles import (
    as_option,
    collect_metadata,
    json_option,
    metadata_options,
    read_body,
    report,
    result_json,
)
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from hub.cli.waiting import echo_waited, report_waiting, wait_for_deliveries, wait_option
from hub.runtime.clock import beijing_minute
from workflows.vocabulary import CHANNEL_LABELS

if TYPE_CHECKING:  # loaded where the commands run, not with `--help`
    from hub.commands.article_service import ArticleResult
    from hub.setup.directory import Directory
    from workflows.publication import Target

_TIME = click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S%z"])
_TIME_HELP = "（YYYY-MM-DD HH:MM，北京时间）"


def _target_label(directory: Directory, target: Target) -> str:
    """网站 示范省人民政府门户网站·通知公告, 微信公众号 示范省人民政府 (names, not codes)."""
    return (
        f"{CHANNEL_LABELS.get(target.channel, target.channel)} {directory.target_name(target.key)}"
    )


def _published(
    ctx: click.Context, result: ArticleResult, as_json: bool, done: str, wait: float | None = None
) -> None:
    waited = None if wait is None else wait_for_deliveries(ctx, result.article_id, wait)
    if as_json:
        emit_json(result_json(result) | ({"deliveries": waited} if waited else {}))
        return
    report(result, as_json, done)
    state = result.state
    for label, publication in (("已发布到", state.live), ("定时发布到", state.scheduled)):
        if publication is None:
            continue
        at = beijing_minute(publication.publish_at)
        expiry = f"，{beijing_minute(publication.expire_at)} 下线" if publication.expire_at else ""
        click.echo(f"  {label}（第 {publication.revision} 版，{at}{expiry}）：")
        for target in publication.targets:
            click.echo(f"    - {_target_label(hub_of(ctx).config.directory, target)}")
    if waited:
        echo_waited(waited)
    elif "ArticlePublished" in result.event_types:
        click.echo("  投递由 hub serve 的投递引擎执行（加 --wait 在本命令中执行并等待完成）")


@click.command("publish")
@click.argument("article_ref", metavar="ARTICLE")
@click.option(
    "--to",
    "targets",
    multiple=True,
    help="发布目标，可重复：站点/栏目（gov/notices）或账号（app:sf-app、sf-hall）；"
    "默认为稿件所在栏目",
)
@click.option("--at", "at", type=_TIME, help="定时发布时间" + _TIME_HELP)
@click.option("--expire", "expire", type=_TIME, help="到期下线时间" + _TIME_HELP)
@click.option("--no-feeds", is_flag=True, help="不带上栏目配置的联动账号（feeds）")
@click.option("--push", is_flag=True, help="同时向客户端用户发送推送通知")
@click.option("--mass", is_flag=True,
              help="微信公众号群发：推送给全部关注用户（订阅号每天 1 次）；不加则只发表")  # fmt: skip
@wait_option
@as_option
@json_option
@click.pass_context
def publish(
    ctx: click.Context,
    article_ref: str,
    targets: tuple[str, ...],
    at: datetime | None,
    expire: datetime | None,
    no_feeds: bool,
    push: bool,
    mass: bool,
    wait: float | None,
    user: str,
    as_json: bool,
) -> None:
    """发布已审定的稿件（先审后发）：立即或定时，发布前再次进行系统强制校验。"""
    result = hub_of(ctx).publishing.publish(
        user,
        article_ref,
        list(targets),
        at,
        expire,
        feeds=not no_feeds,
        notify=push,
        mass_send=mass,
    )
    _published(ctx, result, as_json, "已定时" if result.state.scheduled else "已发布", wait)


@click.command("schedule")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--at", "at", type=_TIME, help="新的定时发布时间" + _TIME_HELP)
@click.option("--expire", "expire", type=_TIME, help="新的到期下线时间" + _TIME_HELP)
@click.option("--no-expiry", is_flag=True, help="取消到期下线")
@as_option
@json_option
@click.pass_context
def schedule(
    ctx: click.Context,
    article_ref: str,
    at: datetime | None,
    expire: datetime | None,
    no_expiry: bool,
    user: str,
    as_json: bool,
) -> None:
    """修改定时发布时间或到期下线时间；已审定未发布的稿件则按 --at 定时发布。"""
    hub = hub_of(ctx)
    state, _ = hub.articles.state(article_ref)
    if state.live is None and state.scheduled is None:
        if at is None:
            raise click.UsageError("定时发布需要 --at")
        result = hub.publishing.publish(user, article_ref, [], at, expire)
    else:
        result = hub.publishing.reschedule(user, article_ref, at, expire, clear_expiry=no_expiry)
    _published(ctx, result, as_json, "已改期" if state.scheduled or state.live else "已定时")


@click.command("correct")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--title", help="更正后的标题")
@click.option("--body-file", type=click.Path(path_type=Path), help="更正后的正文文件")
@metadata_options
@as_option
@json_option
@click.pass_context
def correct(
    ctx: click.Context,
    article_ref: str,
    title: str | None,
    body_file: Path | None,
    user: str,
    as_json: bool,
    **meta: Any,
) -> None:
    """更正已发布的稿件：新版本重新三审，审定后自动替换所有已发布目标上的旧版本。"""
    body = read_body(body_file) if body_file else None
    result = hub_of(ctx).publishing.correct(
        user, article_ref, title=title, body_html=body, metadata=collect_metadata(meta)
    )
    report(result, as_json, "已提交更正（原版本保持发布，更正版本审定后自动替换）")


@click.command("retract")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--reason", required=True, help="撤稿原因")
@click.option("--site", default=None,
              help="只从该站点（及其账号）撤下；只在转载站点有发布权限的用户默认如此")  # fmt: skip
@wait_option
@as_option
@json_option
@click.pass_context
def retract(ctx: click.Context, article_ref: str, reason: str, site: str | None, wait: float | None,
            user: str, as_json: bool) -> None:  # fmt: skip
    """撤稿：从所有已发布的目标撤下（定时未发布的则取消定时）；--site 只撤下一个站点上的。"""
    result = hub_of(ctx).publishing.retract(user, article_ref, reason, site)
    if "TargetsWithdrawn" in result.event_types:
        done = "已从本站撤下" if result.state.live else "已撤稿（已无其他发布目标）"
    else:
        done = "已撤稿" if result.state.live is None else "已取消定时"
    report_waiting(ctx, result, as_json, wait, done)


@click.command("timers")
@json_option
@click.pass_context
def timers(ctx: click.Context, as_json: bool) -> None:
    """执行已到时间的定时发布和到期下线（hub serve 会自动执行），并显示下一个时间点。"""
    publishing = hub_of(ctx).publishing
    done = publishing.run_due()
    data: dict[str, Any] = {**done, "next": publishing.next_timer()}
    if as_json:
        emit_json(data)
        return
    click.echo(
        f"定时发布 {len(done['released'])} 篇，到期下线 {len(done['expired'])} 篇，"
        f"未能执行 {len(done['failed'])} 篇"
    )
    if data["next"]:
        click.echo(f"下一个时间点：{beijing_minute(data['next'])}")
