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

from hub.cli.articles import json_option
from hub.cli.auth import require_admin
from hub.cli.context import config_of, hub_of
from hub.cli.output import emit_json
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
    from events.audit_trail import export_bundle, verify_store
    from events.integrity import describe, fingerprint
    from events.sql_store import SQLEventStore
    from events.stores import open_store
    from hub.queries.audit import AuditReport, Problem, audit, default_workers

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
    from events.integrity import describe, verify_bundle

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


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@click.pass_context
def backup_command(ctx: click.Context, file: Path, as_json: bool) -> None:
    """在线备份嵌入式事件库（含读模型）、登录与渠道的小库和媒体文件（中枢运行时也可备份）。须系统管理员。
    不含密钥文件（审计密钥须另行保管）和站点页面（可用 hub sites render 重新生成）。"""
    from hub.setup.backup import backup

    require_admin(ctx)
    hub = hub_of(ctx)
    if file.exists():
        raise click.BadParameter(f"{file} 已存在：请指定新文件", param_hint="FILE")
    file.parent.mkdir(parents=True, exist_ok=True)
    say = (lambda _: None) if as_json else (lambda step: click.echo(f"备份{step}…", err=True))
    done = backup(hub.config, hub.audit_key.public_key, file, say)
    if as_json:
        emit_json(done)
        return
    click.echo(f"已备份到 {done['path']}：{done['events']} 个事件，{done['files']} 个文件"
               f"（媒体 {done['media']} 个），{done['bytes'] / 1e6:.1f} MB；签名公钥指纹 {done['key']}")  # fmt: skip


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--to", "to", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="恢复到的新目录（须不存在或为空）")  # fmt: skip
@json_option
def restore_command(file: Path, to: Path, as_json: bool) -> None:
    """把备份恢复到新目录，逐个核对文件并核验事件库的哈希链与签名检查点（不改动正在运行的中枢）。"""
    from events.integrity import describe
    from hub.setup.backup import STORE, restore

    manifest, report = restore(file, to)
    if as_json:
        emit_json({"to": str(to), "events": report.events, "ok": report.ok,
                   "key": manifest["key"], "created_at": manifest["created_at"],
                   "findings": [asdict(f) for f in report.findings]})  # fmt: skip
    else:
        click.echo(
            f"已恢复到 {to}（备份于 {manifest['created_at']}，签名公钥指纹 {manifest['key']}）"
        )
        for line in describe(report):
            click.echo(f"  {line}")
        if report.ok:
            click.echo(
                f"完整性核验通过。使用它：在 hub.yaml 中设置 database: {to / STORE}、"
                f"media_root: {to / 'media'}、logins_file: {to / 'logins.sqlite3'}、"
                f"channels_root: {to / 'channels'}，并把原密钥文件放到 secrets_file；"
                "然后 hub sites render 重新生成站点页面"
            )
    if not report.ok:
        raise SystemExit(1)


@click.group("sites", invoke_without_command=True)
@json_option
@click.pass_context
def sites(ctx: click.Context, as_json: bool) -> None:
    """站群：站点与栏目（hub sites render 按事件重新生成站点）。"""
    if ctx.invoked_subcommand is not None:
        return
    directory = config_of(ctx).directory
    if as_json:
        emit_json([site.model_dump(mode="json") for site in directory.sites])
        return
    for site in directory.sites:
        click.echo(f"{site.key:<6} {site.code}  {site.name}  {site.domain}")
        for column, parents in site.walk():
            click.echo(f"{'  ' * (len(parents) + 1)}- {column.id}  {column.name}（{column.type}）")


@sites.command("render")
@click.argument("site_refs", metavar="[SITE]...", nargs=-1)
@json_option
@click.pass_context
def render_command(ctx: click.Context, site_refs: tuple[str, ...], as_json: bool) -> None:
    """按事件重新生成站点（页面、栏目列表、首页、订阅、网站地图、媒体副本），结果与逐篇发布
    生成的完全一致：用于文档根目录丢失、更换主题或迁移站点。不指定站点时生成全部站点。须系统管理员。"""
    from hub.commands.site_render import render_sites
    from hub.projections.publications import LIVE_TARGETS

    require_admin(ctx)
    hub = hub_of(ctx)
    directory = hub.config.directory
    keys = [directory.site(ref).key for ref in site_refs] or [s.key for s in directory.sites]
    started = time.perf_counter()
    if as_json:
        written = render_sites(hub, keys)
    else:
        hub.catch_up()
        codes = tuple(f"website:{directory.site(key).code}/" for key in keys)
        total = sum(1 for row in hub.store.rows(LIVE_TARGETS, {}, ("target",))
                    if str(row[0]).startswith(codes))  # fmt: skip
        with click.progressbar(length=max(total, 1), label="生成页面", show_pos=True,
                               file=sys.stderr) as bar:  # fmt: skip
            written = render_sites(hub, keys, bar.update)
    seconds = time.perf_counter() - started
    if as_json:
        emit_json({"sites": written, "pages": sum(written.values()), "seconds": round(seconds, 3)})
        return
    for key, pages in written.items():
        click.echo(f"{key}：{pages} 个页面")
    click.echo(
        f"已重新生成 {len(written)} 个站点，共 {sum(written.values())} 个页面，用时 {seconds:.2f} 秒"
    )


@click.command("users")
@json_option
@click.pass_context
def users(ctx: click.Context, as_json: bool) -> None:
    """用户与各站点角色。"""
    directory = config_of(ctx).directory
    if as_json:
        emit_json([user.model_dump(mode="json") for user in directory.users])
        return
    for user in directory.users:
        roles = "；".join(
            f"{site}: " + "、".join(ROLE_LABELS[r] for r in rs) for site, rs in user.roles.items()
        )
        click.echo(f"{user.id:<10} {user.name}  {user.unit}  [{roles}]")
