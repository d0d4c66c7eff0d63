"""`hub init`, `hub rebuild`, `hub audit`, `hub sites`, `hub users`: setting up, checking and
looking around."""

from __future__ import annotations

import sys
import time
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from events.audit_trail import export_bundle, verify_store
from events.integrity import describe, fingerprint, verify_bundle
from events.sql_store import SQLEventStore
from events.stores import open_store
from hub.cli.articles import json_option
from hub.cli.auth import require_admin
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from hub.queries.audit import AuditReport, Problem, audit, default_workers
from workflows.vocabulary import ROLE_LABELS, STATUS_LABELS


@click.command("init")
@json_option
@click.pass_context
def init(ctx: click.Context, as_json: bool) -> None:
    """检查配置并初始化事件库（系统管理员；首次启动、尚无管理员密码时可直接运行）。"""
    require_admin(ctx, bootstrap=True)
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
    """删除并按事件重放全部投影（稿件列表、待审队列、稿件历史）。须系统管理员。"""
    require_admin(ctx)
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
@click.option("--export", "export", type=click.Path(dir_okay=False, path_type=Path),
              help="核验后导出审计包（全部事件及其哈希、签名检查点、公钥与核验程序），可在其他机器上离线核验。")  # fmt: skip
@click.option("--verify", "bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="离线核验一个审计导出包（不需要事件库）。")  # fmt: skip
@click.option(
    "--public-key",
    help="与 --verify 同用：核验签名的公钥（十六进制；默认用导出包所带公钥，请核对指纹）。",
)
@json_option
@click.pass_context
def audit_command(
    ctx: click.Context, workers: int | None, export: Path | None, bundle: Path | None,
    public_key: str | None, as_json: bool,
) -> None:  # fmt: skip
    """核验事件库的完整性（哈希链、封印、签名检查点），并按事件重放全部稿件，核查三审规则
    是否始终得到遵守。发现问题时退出码为 1，并指出第一个不成立的事件。"""
    if bundle is not None:
        ctx.exit(_verify_bundle(bundle, public_key, as_json))
    hub = hub_of(ctx)
    started = time.perf_counter()
    store = hub.store
    assert isinstance(store, SQLEventStore)
    integrity = verify_store(store, hub.audit_key)
    location, durable = hub.config.database, hub.config.settings.durable
    try:
        report = audit(
            hub.store,
            lambda: open_store(location, durable=durable),
            workers=workers or default_workers(),
        )
    except Exception as exc:  # a rewritten payload that no longer decodes, say
        if integrity.ok:
            raise
        report = AuditReport(problems=[Problem("-", 0, "REPLAY_FAILED", f"无法重放：{exc}")])
    exported = export_bundle(store, hub.audit_key, export) if export is not None else None
    seconds = time.perf_counter() - started
    first = integrity.first
    result: dict[str, Any] = {
        "articles": report.articles,
        "events": report.events,
        "by_status": dict(sorted(report.by_status.items())),
        "problems": [p._asdict() for p in report.problems],
        "integrity": {
            "ok": integrity.ok, "events": integrity.events, "streams": integrity.streams,
            "seals": integrity.seals, "sealed_up_to": integrity.sealed_up_to,
            "macs_checked": integrity.macs_checked,
            "key": fingerprint(hub.audit_key.public_key),
            "first": asdict(first) if first is not None else None,
            "findings": [asdict(f) for f in integrity.findings],
        },
        "export": exported,
        "seconds": round(seconds, 3),
    }  # fmt: skip
    if as_json:
        emit_json(result)
    else:
        click.echo(f"完整性：签名公钥指纹 {result['integrity']['key']}")
        for line in describe(integrity):
            click.echo(f"  {line}")
        click.echo("  哈希链、封印与签名检查点全部成立" if integrity.ok
                   else f"  完整性核验未通过：{len(integrity.findings)} 个问题")  # fmt: skip
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
        if exported is not None:
            click.echo(f"已导出审计包 {exported['path']}：{exported['events']} 个事件，"
                       f"{exported['seals']} 个签名检查点；核验：python verify.py（包内）或 "
                       f"hub audit --verify")  # fmt: skip
    if not (report.ok and integrity.ok):
        ctx.exit(1)


def _verify_bundle(bundle: Path, public_key: str | None, as_json: bool) -> int:
    """`hub audit --verify`: an export bundle checked on its own; the exit code."""
    try:
        key = bytes.fromhex(public_key) if public_key else None
        report = verify_bundle(bundle, key)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        raise click.BadParameter(f"不是有效的审计导出包或公钥：{exc}") from exc
    if as_json:
        emit_json({"ok": report.ok, "events": report.events, "seals": report.seals,
                   "first": asdict(report.first) if report.first else None,
                   "findings": [asdict(f) for f in report.findings]})  # fmt: skip
    else:
        for line in describe(report):
            click.echo(line)
        click.echo("完整性核验通过" if report.ok
                   else f"完整性核验未通过：{len(report.findings)} 个问题")  # fmt: skip
    return 0 if report.ok else 1


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
