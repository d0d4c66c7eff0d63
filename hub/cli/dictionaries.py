"""`hub dictionaries` (the recorded versions of the check dictionaries) and `hub recheck`
(check everything approved again with the current dictionaries, and list what now fails)."""

from __future__ import annotations

import sys
from typing import Any

import click

from hub.cli.articles import as_option, json_option
from hub.cli.checks import finding_lines
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from workflows.beijing_time import beijing_text


@click.command("dictionaries")
@json_option
@click.pass_context
def dictionaries(ctx: click.Context, as_json: bool) -> None:
    """校验词库：现行版本、各词库条目数，以及每次变更的记录。"""
    from hub.commands.dictionary_records import change_json, dictionary_history
    from workflows.dictionary_events import DICTIONARY_LABELS

    hub = hub_of(ctx)
    current = hub.config.dictionaries
    history = [change_json(e) for e in dictionary_history(hub.store)]
    data: dict[str, Any] = {
        "version": hub.config.checks.version,
        "terms": current.term_count(),
        "counts": current.counts(),
        "history": history,
    }
    if as_json:
        emit_json(data)
        return
    click.echo(f"现行词库版本 {data['version']}，可匹配词条 {data['terms']} 个")
    for name, count in data["counts"].items():
        click.echo(f"  {DICTIONARY_LABELS.get(name, name)}: {count}")
    click.echo(f"变更记录 {len(history)} 次：")
    for item in reversed(history):
        before = item["previous_version"] or "（首次记录）"
        click.echo(
            f"  {beijing_text(item['recorded_at'], 'second')}  {before} → {item['version']}  {item['summary']}"
        )


@click.command("recheck")
@click.option("--site", "site_ref", default=None, help="只复检这个站点的稿件")
@as_option
@json_option
@click.pass_context
def recheck(ctx: click.Context, site_ref: str | None, user: str, as_json: bool) -> None:
    """词库更新后，用现行词库复检全部已审定（及已发布）的稿件，列出现在不能通过的。"""
    from workflows.checks.findings import Finding

    hub = hub_of(ctx)
    site = hub.config.directory.site(site_ref).code if site_ref else None
    ids = hub.rechecker.candidates(site)
    if as_json:
        result = hub.rechecker.run(user, site_ref, article_ids=ids)
        emit_json(result.as_dict())
        return
    with click.progressbar(
        length=max(len(ids), 1), label="复检稿件", show_pos=True, file=sys.stderr
    ) as bar:
        result = hub.rechecker.run(user, site_ref, progress=bar.update, article_ids=ids)
    change = result.dictionaries
    click.echo(
        f"词库版本 {change['version']}（{beijing_text(change['recorded_at'], 'second')} 起启用；"
        f"较上一版本：{change['summary']}）"
    )
    click.echo(
        f"复检 {result.checked} 篇（词库 {result.dictionary_version}；"
        f"其中 {result.unchanged} 篇已用此版本校验过），{len(result.failing)} 篇现在不能通过："
    )
    for item in result.failing:
        click.echo(
            f"\n{item['id']}  {item['title']}（站点 {item['site']}，第 {item['revision']} 版）"
        )
        for data in item["findings"]:
            finding = Finding.model_validate({k: v for k, v in data.items() if k != "new"})
            lines = finding_lines(finding)
            if data["new"]:
                lines[0] += "  （新发现）"
            click.echo("\n".join("  " + line for line in lines))
