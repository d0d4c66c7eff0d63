"""`hub init`, `hub rebuild`, `hub audit`, `hub sites`, `hub users`: setting up, checking and
looking around."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from events.stores import open_store
from hub.cli.articles import json_option
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from hub.queries.audit import audit, default_workers
from workflows.vocabulary import ROLE_LABELS, STATUS_LABELS


@click.command("init")
@json_option
@click.pass_context
def init(ctx: click.Context, as_json: bool) -> None:
    """检查配置并初始化事件库。"""
    hub = hub_of(ctx)
    info: dict[str, Any] = {
        "config": str(hub.config.root),
        "database": hub.config.database_shown,
        "sites": len(hub.config.directory.sites),
        "users": len(hub.config.directory.users),
        "workflows": sorted(hub.config.workflows),
        "events": hub.store.head_position(),
    }
    if as_json:
        emit_json(info)
        return
    click.echo(
        f"配置目录  {info['config']}\n事件库    {info['database']}（{info['events']} 个事件）\n"
        f"站点 {info['sites']} 个，用户 {info['users']} 个，流程 {', '.join(info['workflows'])}"
    )


@click.command("rebuild")
@json_option
@click.pass_context
def rebuild(ctx: click.Context, as_json: bool) -> None:
    """删除并按事件重放全部投影（稿件列表、待审队列、稿件历史）。"""
    hub = hub_of(ctx)
    total = hub.store.head_position() * len(hub.projections)
    started = time.perf_counter()
    if as_json:
        replayed = hub.rebuild()
    else:
        with click.progressbar(
            length=max(total, 1), label="重建投影", show_pos=True, file=sys.stderr
        ) as bar:
            replayed = hub.rebuild(progress=bar.update)
    seconds = time.perf_counter() - started
    result = {
        "projections": [p.name for p in hub.projections],
        "applied": replayed,
        "seconds": round(seconds, 3),
    }
    if as_json:
        emit_json(result)
    else:
        click.echo(
            f"已重建 {len(hub.projections)} 个投影，重放 {replayed} 个事件，用时 {seconds:.2f} 秒"
        )


@click.command("audit")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="并行进程数（默认每个 CPU 一个）。",
)
@json_option
@click.pass_context
def audit_command(ctx: click.Context, workers: int | None, as_json: bool) -> None:
    """按事件重放全部稿件，核查三审规则是否始终得到遵守（发现问题时退出码为 1）。"""
    hub = hub_of(ctx)
    started = time.perf_counter()
    location, durable = hub.config.database, hub.config.settings.durable
    report = audit(
        hub.store,
        lambda: open_store(location, durable=durable),
        workers=workers or default_workers(),
    )
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "articles": report.articles,
        "events": report.events,
        "by_status": dict(sorted(report.by_status.items())),
        "problems": [p._asdict() for p in report.problems],
        "seconds": round(seconds, 3),
    }
    if as_json:
        emit_json(result)
    else:
        statuses = "，".join(
            f"{STATUS_LABELS.get(k, k)} {n}" for k, n in result["by_status"].items()
        )
        click.echo(
            f"核查 {report.articles} 篇稿件、{report.events} 个事件，用时 {seconds:.2f} 秒"
            + (f"（{statuses}）" if statuses else "")
        )
        for problem in report.problems:
            click.echo(
                f"  {problem.article_id}  第 {problem.version} 个事件  {problem.code}  {problem.message}"
            )
        click.echo(
            "未发现违反审核规则的记录" if report.ok else f"发现 {len(report.problems)} 个问题"
        )
    if not report.ok:
        ctx.exit(1)


@click.command("sites")
@json_option
@click.pass_context
def sites(ctx: click.Context, as_json: bool) -> None:
    """站群：站点与栏目。"""
    directory = hub_of(ctx).config.directory
    if as_json:
        emit_json([site.model_dump(mode="json") for site in directory.sites])
        return
    for site in directory.sites:
        click.echo(f"{site.key:<6} {site.code}  {site.name}  {site.domain}")
        for column, parents in site.walk():
            click.echo(f"{'  ' * (len(parents) + 1)}- {column.id}  {column.name}（{column.type}）")


@click.command("users")
@json_option
@click.pass_context
def users(ctx: click.Context, as_json: bool) -> None:
    """用户与各站点角色。"""
    directory = hub_of(ctx).config.directory
    if as_json:
        emit_json([user.model_dump(mode="json") for user in directory.users])
        return
    for user in directory.users:
        roles = "；".join(
            f"{site}: " + "、".join(ROLE_LABELS[r] for r in rs) for site, rs in user.roles.items()
        )
        click.echo(f"{user.id:<10} {user.name}  {user.unit}  [{roles}]")


def register(cli: click.Group) -> None:
    """Add the system commands."""
    for command in (init, rebuild, audit_command, sites, users):
        cli.add_command(command)
