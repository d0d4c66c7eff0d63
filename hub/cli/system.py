"""`hub init`, `hub rebuild`, `hub sites`, `hub users`: setting up and looking around."""

from __future__ import annotations

import sys
import time

import click

from hub.cli.articles import json_option
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from workflows.vocabulary import ROLE_LABELS


@click.command("init")
@json_option
@click.pass_context
def init(ctx: click.Context, as_json: bool) -> None:
    """检查配置并初始化事件库。"""
    hub = hub_of(ctx)
    info = {
        "config": str(hub.config.root),
        "database": str(hub.config.database_path),
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
    for command in (init, rebuild, sites, users):
        cli.add_command(command)
