"""`hub live`: what a site, a column or an account showed at a moment (time-travel, from the
log): each article's revision then, since when it was out, and who approved it."""

from __future__ import annotations

from datetime import datetime

import click

from hub.cli.articles import json_option
from hub.cli.context import hub_of
from hub.cli.output import emit_json, short_id
from hub.runtime.clock import beijing_minute

_TIME = click.DateTime(["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z",
                        "%Y-%m-%dT%H:%M:%S.%f%z"])  # fmt: skip


@click.command("live")
@click.option("--site", "site_ref", default=None, help="站点（代码或简称）")
@click.option("--column", default=None, help="只看这个栏目（须同时给出 --site）")
@click.option("--account", default=None, help="新媒体、客户端或大屏账号")
@click.option("--at", "at", type=_TIME, default=None,
              help="时刻（北京时间，如 2026-12-04 09:30；默认现在）")  # fmt: skip
@json_option
@click.pass_context
def live(
    ctx: click.Context, site_ref: str | None, column: str | None, account: str | None,
    at: datetime | None, as_json: bool,
) -> None:  # fmt: skip
    """某一时刻站点（栏目）或账号上在线的稿件：哪一版、何时发出、谁审核签发（按事件回溯）。"""
    from hub.queries.live_at import live_at, moment_of, place_of

    if (site_ref is None) == (account is None):
        raise click.UsageError("请给出 --site 或 --account（二选一）")
    if column is not None and site_ref is None:
        raise click.UsageError("--column 须与 --site 一起使用")
    hub = hub_of(ctx)
    directory = hub.config.directory
    where = place_of(directory, site_ref, column, account)
    moment = moment_of(at)
    hub.catch_up()
    items = live_at(hub.store, moment, site=where.site, column=where.column,
                    account=where.account)  # fmt: skip
    if as_json:
        emit_json({"at": moment.isoformat(), "items": [i.as_json() for i in items]})
        return
    place = (f"{directory.site_name(where.site)}{'·' + str(where.column) if where.column else ''}"
             if where.site else str(where.account))  # fmt: skip
    click.echo(f"{beijing_minute(moment)} {place} 在线稿件 {len(items)} 篇")
    for item in items:
        click.echo(
            f"{short_id(item.article_id)}  第 {item.revision} 版  {item.title}  → {item.target}"
        )
        click.echo(
            f"    自 {beijing_minute(item.live_since)} 在线，本版 {beijing_minute(item.revision_out_at)} 发出"
        )
        reviews = "，".join(f"{a.stage} {directory.user_name(a.user)}（{a.user}）"
                            for a in item.approvals)  # fmt: skip
        signed = f"；签批 {directory.user_name(item.signed_off_by)}" if item.signed_off_by else ""
        click.echo(f"    审核：{reviews or '无记录'}{signed}")
