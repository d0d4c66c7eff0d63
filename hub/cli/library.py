"""`hub library`: content flowing between sites (用网) — references (共享调用), offers (推送),
upward submissions (信息报送), adopting or returning them, and how fast a document was
reposted by every site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hub.cli.articles import as_option, json_option, report, result_json
from hub.cli.context import hub_of
from hub.cli.output import emit_json, short_id
from hub.cli.waiting import wait_for_deliveries, wait_option

_STATUS = {"offered": "待采用", "accepted": "已采用", "declined": "已退回", "withdrawn": "已撤下"}
_KIND = {"reference": "引用", "offer": "推送", "submission": "报送"}
_CHANGE = {"corrected": "来源已更正", "retracted": "来源已撤稿", "withdrawn": "本站已撤下"}


@click.group("library")
def library() -> None:
    """资源库流转：引用（共享调用）、推送与采用、信息报送与退回、转载时效。"""


def _flow_line(row: dict[str, Any]) -> str:
    change = _CHANGE.get(str(row.get("change") or ""), "")
    if change:
        change = f"  【{change}{'，已跟随' if row.get('followed') else '，待处理'}】"
    reason = f"  退回理由：{row['reason']}" if row.get("reason") else ""
    return (f"{short_id(str(row['reuse_id']))}  {_KIND.get(str(row['kind']), row['kind'])}"
            f"  {_STATUS.get(str(row['status']), row['status'])}  {row.get('title') or ''}"
            f"  {row['source_site_name']} → {row['to_site_name']}{change}{reason}")  # fmt: skip


@library.command("reuse")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--to", "targets", multiple=True, required=True,
              help="本站栏目，如 drc/notices（可重复）")  # fmt: skip
@click.option("--no-feeds", is_flag=True, help="不带上栏目配置的联动账号（feeds）")
@wait_option
@as_option
@json_option
@click.pass_context
def reuse(ctx: click.Context, article_ref: str, targets: tuple[str, ...], no_feeds: bool,
          wait: float | None, user: str, as_json: bool) -> None:  # fmt: skip
    """引用（共享调用）其他站点已发布的稿件到本站栏目：沿用来源的三审，来源更正、撤稿时随之更新。"""
    hub = hub_of(ctx)
    result = hub.reuse.reuse(user, article_ref, list(targets), feeds=not no_feeds)
    waited = None if wait is None else wait_for_deliveries(ctx, result.article_id, wait)
    if as_json:
        emit_json(result_json(result) | ({"deliveries": waited} if waited else {}))
        return
    report(result, as_json, "已引用")


@library.command("offer")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--to", "to_site", required=True, help="接收站点（代码或简称）")
@click.option("--note", default="", help="附言")
@as_option
@json_option
@click.pass_context
def offer(ctx: click.Context, article_ref: str, to_site: str, note: str, user: str,
          as_json: bool) -> None:  # fmt: skip
    """推送：把本单位审定的稿件推送给其他站点，由对方审核后采用。"""
    hub = hub_of(ctx)
    row = hub.reuse.get(hub.reuse.offer(user, article_ref, to_site, note))
    emit_json(row) if as_json else click.echo(_flow_line(row))


@library.command("submit")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--note", default="", help="附言")
@as_option
@json_option
@click.pass_context
def submit(ctx: click.Context, article_ref: str, note: str, user: str, as_json: bool) -> None:
    """信息报送：把本单位审定的稿件报送到上级站点（sites.yaml 的 parent）。"""
    hub = hub_of(ctx)
    row = hub.reuse.get(hub.reuse.submit(user, article_ref, note))
    emit_json(row) if as_json else click.echo(_flow_line(row))


@library.command("accept")
@click.argument("reuse_id", metavar="FLOW")
@click.option(
    "--column", "columns", multiple=True, required=True, help="采用到本站的栏目（可重复）"
)
@as_option
@json_option
@click.pass_context
def accept(ctx: click.Context, reuse_id: str, columns: tuple[str, ...], user: str,
           as_json: bool) -> None:  # fmt: skip
    """采用：在本站建立副本（保留来源），进入本站三审。"""
    hub = hub_of(ctx)
    row = hub.reuse.accept(user, _flow_id(ctx, reuse_id), list(columns))
    if as_json:
        emit_json(row)
        return
    click.echo(_flow_line(row))
    click.echo(f"  本站副本 {short_id(str(row['copy_article']))} 已送审")


@library.command("decline")
@click.argument("reuse_id", metavar="FLOW")
@click.option("--reason", required=True, help="退回理由（对方可见）")
@as_option
@json_option
@click.pass_context
def decline(ctx: click.Context, reuse_id: str, reason: str, user: str, as_json: bool) -> None:
    """退回（不予采用），说明理由。"""
    row = hub_of(ctx).reuse.decline(user, _flow_id(ctx, reuse_id), reason)
    emit_json(row) if as_json else click.echo(_flow_line(row))


@library.command("list")
@click.option("--site", "site_ref", default=None, help="站点（默认：您有角色的全部站点）")
@click.option("--outgoing", is_flag=True, help="看本站推送、报送出去的（默认看收到的）")
@click.option("--kind", type=click.Choice(["reference", "offer", "submission"]), default=None)
@click.option("--status", type=click.Choice(["offered", "accepted", "declined", "withdrawn"]),
              default=None)  # fmt: skip
@as_option
@json_option
@click.pass_context
def list_flows(ctx: click.Context, site_ref: str | None, outgoing: bool, kind: str | None,
               status: str | None, user: str, as_json: bool) -> None:  # fmt: skip
    """收到（或推送、报送出去）的信息及其状态。"""
    hub = hub_of(ctx)
    directory = hub.config.directory
    actor = directory.acting(user)
    from hub.web.security import can_see_site

    sites = [s.code for s in directory.sites if can_see_site(actor, s.code)]
    if site_ref:
        code = directory.site(site_ref).code
        sites = [code] if code in sites else []
    rows = hub.reuse.listing(sites, incoming=not outgoing, kind=kind, status=status)
    if as_json:
        emit_json(rows)
        return
    click.echo(f"共 {len(rows)} 条")
    for row in rows:
        click.echo(_flow_line(row))


@library.command("ingest")
@click.argument("where", metavar="FEED")
@click.option("--site", "site_ref", required=True, help="收录到的站点（代码或简称）")
@click.option("--column", required=True, help="收录到的栏目")
@as_option
@json_option
@click.pass_context
def ingest(ctx: click.Context, where: str, site_ref: str, column: str, user: str,
           as_json: bool) -> None:  # fmt: skip
    """网上抓取：把其他站点 RSS/Atom 订阅源（地址或文件）或网页（文章页，或栏目列表页中链接的文章，附件一并收录）中的信息收录为本站栏目的草稿（保留来源和原文链接，重复的不再收录），再经本站三审发布。"""
    from hub.commands.ingest_service import IngestService

    hub = hub_of(ctx)
    report = IngestService(hub.articles, hub.media).ingest(user, where, site_ref, column)
    if as_json:
        emit_json(report.as_json())
        return
    click.echo(f"新收录 {len(report.created)} 条，更新 {len(report.updated)} 条，"
               f"已收录未变 {len(report.unchanged)} 条，跳过 {len(report.skipped)} 条")  # fmt: skip


@library.command("migrate")
@click.argument("where", metavar="ARCHIVE", type=click.Path(path_type=Path))
@click.option("--site", "site_ref", required=True, help="迁入的站点（代码或简称）")
@click.option("--from", "base_url", required=True,
              help="原网站地址（存档中页面的路径接在其后，如 http://www.old.gov.cn/）")  # fmt: skip
@click.option("--column", default=None,
              help="页面未注明栏目（ColumnName）或栏目名称对应不上时放入的栏目")  # fmt: skip
@click.option("--map", "pairs", multiple=True, metavar="原栏目名称=本站栏目",
              help="原网站栏目名称与本站栏目的对应，可重复")  # fmt: skip
@click.option("--system", "source_system", default="", help="原网站系统名称（记入迁移记录）")
@click.option("--limit", type=click.IntRange(1), default=None, help="本次最多处理的页面数")
@as_option
@json_option
@click.pass_context
def migrate(ctx: click.Context, where: Path, site_ref: str, base_url: str, column: str | None,
            pairs: tuple[str, ...], source_system: str, limit: int | None, user: str,
            as_json: bool) -> None:  # fmt: skip
    """站点迁移：把原网站的存档（镜像目录或 zip）整批迁入本站——按网页标签读取标题、发布时间、来源和栏目，附件与图片存入媒体库，保留原发布时间和原地址；中断后再次运行从中断处继续，已迁入的不会重复（运维或管理员）。页面由投递引擎（hub serve）生成。有页面未能迁入时退出码为 1。"""
    import sys

    from hub.commands.migration_service import MigrationService, iter_pairs

    hub = hub_of(ctx)
    service = MigrationService(hub.articles, hub.media, hub.catch_up)
    mapping = dict(iter_pairs(pairs))
    if as_json:
        report = service.migrate(user, where, site_ref, base_url, column=column,
                                 columns_by_name=mapping, source_system=source_system,
                                 limit=limit)  # fmt: skip
        emit_json(report.as_json())
        ctx.exit(1 if report.failed else 0)
    with click.progressbar(length=1, label="迁移页面", show_pos=True, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(1)

        report = service.migrate(user, where, site_ref, base_url, column=column,
                                 columns_by_name=mapping, source_system=source_system,
                                 limit=limit, progress=progress)  # fmt: skip
    click.echo(f"共 {report.pages} 个页面：迁入 {report.imported} 篇，此前已迁入 {report.already} 篇，"
               f"非文章页 {report.not_articles} 个，未能迁入 {report.failed} 个；"
               f"附件和图片 {report.files} 个，存档中缺少 {report.missing_files} 个（保留原链接）")  # fmt: skip
    for problem in report.problems:
        click.echo(f"  - {problem}")
    if report.failed:
        ctx.exit(1)


@library.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--site", "sites", multiple=True, help="只导出这些站点（可重复；默认全部）")
@json_option
@click.pass_context
def export(ctx: click.Context, path: Path, sites: tuple[str, ...], as_json: bool) -> None:
    """归档导出：各站点在线的全部页面及其元数据（网页元数据、政策文件元数据、审核签发记录），附校验清单（系统管理员）。"""
    from hub.cli.auth import require_admin
    from hub.commands.library_export import export_library

    require_admin(ctx)
    done = export_library(hub_of(ctx), path, list(sites) or None)
    if as_json:
        emit_json(done)
        return
    click.echo(f"已导出 {done['records']} 个页面（{done['files']} 个文件）到 {done['path']}")


@library.command("speed")
@click.argument("article_ref", metavar="ARTICLE")
@json_option
@click.pass_context
def speed(ctx: click.Context, article_ref: str, as_json: bool) -> None:
    """转载时效：各站点何时转载（引用或采用）了这份文件，距来源发布多少小时。"""
    found = hub_of(ctx).reuse.repost_speed(article_ref)
    if as_json:
        emit_json(found)
        return
    click.echo(
        f"已转载 {found['reposted']}/{found['of']} 个站点，其中 24 小时内 {found['within_24h']} 个"
    )
    for site in found["sites"]:
        when = f"{site['hours']} 小时" if site["hours"] is not None else "—"
        click.echo(
            f"  {site['site_name']}  {'已转载' if site['reposted_at'] else '未转载'}  {when}"
        )


def _flow_id(ctx: click.Context, ref: str) -> str:
    """A flow by its id or the end of it (as lists show it)."""
    from hub.projections.reuses import REUSES_TABLE
    from workflows.errors import DomainError

    hub = hub_of(ctx)
    hub.catch_up()
    if len(ref) >= 36:
        return ref
    ids = [
        str(r[0])
        for r in hub.store.rows(REUSES_TABLE, {}, ("reuse_id",))
        if str(r[0]).endswith(ref)
    ]
    if len(ids) != 1:
        raise DomainError("REUSE_NOT_FOUND", f"没有（或不止一条）流转记录 {ref}")
    return ids[0]
