"""`hub search`: 一搜即达 over what is live on the sites, as the public and the console see it
(the same index, the same ranking); `--rebuild` makes the index again from the log."""

from __future__ import annotations

import sys
import time

import click

from hub.cli.articles import json_option
from hub.cli.context import hub_of


@click.command("search")
@click.argument("words", nargs=-1)
@click.option("--site", "site_ref", default=None, help="只查这个站点（代码或简称）")
@click.option("--column", default=None, help="只查这个栏目（栏目标识）")
@click.option("--vertical", type=click.Choice(["policy", "interpretation", "service",
              "organisation", "news"]), default=None,
              help="检索频道：政策文件、政策解读、办事服务、机构职能、新闻动态")  # fmt: skip
@click.option("--agency", default=None, help="发文机关")
@click.option("--year", default=None, help="发布年份，如 2026")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              help="排序：相关度（默认）或发布时间")  # fmt: skip
@click.option("--page", type=click.IntRange(1, 1000), default=1, help="第几页（每页 10 条）")
@click.option("--rebuild", is_flag=True, help="按事件重建检索索引（系统管理员）")
@json_option
@click.pass_context
def search(
    ctx: click.Context, words: tuple[str, ...], site_ref: str | None, column: str | None,
    vertical: str | None, agency: str | None, year: str | None, sort: str, page: int,
    rebuild: bool, as_json: bool,
) -> None:  # fmt: skip
    """一搜即达：检索各站点在线的信息（标题、正文、文号、发文机关），可按站点、栏目、频道、发文机关、年份筛选。"""
    from hub.cli.auth import require_admin
    from hub.cli.output import emit_json
    from hub.search.query import MAX_QUERY, SearchQuery
    from hub.web.search_view import page_as_json

    hub = hub_of(ctx)
    if rebuild:
        require_admin(ctx)
        started = time.perf_counter()
        hub.catch_up()
        total = len(hub.search.live_articles())
        with click.progressbar(length=max(total, 1), label="重建检索索引", show_pos=True,
                               file=sys.stderr) as bar:  # fmt: skip
            count = hub.search.rebuild(progress=bar.update)
        seconds = time.perf_counter() - started
        if as_json:
            emit_json({"articles": count, "documents": hub.search.engine.count(),
                       "seconds": round(seconds, 3)})  # fmt: skip
        else:
            click.echo(f"已重建检索索引：{count} 篇在线稿件，{hub.search.engine.count()} 条索引，"
                       f"用时 {seconds:.2f} 秒")  # fmt: skip
        return
    text = " ".join(words)
    if len(text) > MAX_QUERY:
        raise click.UsageError(f"检索词不能超过 {MAX_QUERY} 个字符")
    site = hub.config.directory.site(site_ref).key if site_ref else None
    hub.catch_up()
    hub.index_for_search()
    found = hub.search.search(SearchQuery(q=text, site=site, column=column, vertical=vertical,
                                          agency=agency, year=year, sort=sort, page=page))  # fmt: skip
    if as_json:
        emit_json(page_as_json(found))
        return
    if found.partial:
        click.echo("没有同时包含全部检索词的信息，以下为包含部分检索词的结果。")
    click.echo(f"共 {found.total} 条（第 {page} 页）")
    for hit in found.hits:
        doc = hit.doc
        number = f"  {doc.doc_number}" if doc.doc_number else ""
        click.echo(f"- {doc.title}{number}")
        click.echo(f"  {doc.site_name} · {'、'.join(doc.column_names)} · {doc.published_at[:10]}"
                   f"  /sites/{doc.site}/{doc.url}")  # fmt: skip
