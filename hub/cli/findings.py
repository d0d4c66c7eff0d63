"""System-check findings of an article: list them, apply fixes, and accept REVIEW findings."""

from __future__ import annotations

import click

from hub.cli.articles import article, as_option, json_option, report, result_json
from hub.cli.checks import finding_lines
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from hub.cli.reviews import review


@article.command("findings")
@click.argument("article_ref", metavar="ARTICLE")
@json_option
@click.pass_context
def findings(ctx: click.Context, article_ref: str, as_json: bool) -> None:
    """查看稿件当前版本的系统校验结果（送审时记录的，以及按现行词库重新校验的）。"""
    from workflows.checks.findings import Finding
    from workflows.checks.html_parse import html_to_text

    hub = hub_of(ctx)
    data = hub.articles.findings(article_ref)
    if as_json:
        emit_json(data)
        return
    state, _ = hub.articles.state(article_ref)
    assert state.content is not None
    plains = {"title": state.content.title, "body": html_to_text(state.content.body_html).text}
    current = [Finding.model_validate(f) for f in data["current"]]
    overridden = {f["id"] for f in data["recorded"] if f["overridden"]}
    click.echo(
        f"稿件 {data['id']} 第 {data['revision']} 版：按现行词库（{data['dictionary_version']}）"
        f"校验发现 {len(current)} 项问题"
    )
    for finding in current:
        lines = finding_lines(finding, plains.get(finding.field))
        if finding.id in overridden:
            lines[0] += "  （已人工确认）"
        click.echo("\n".join(lines))


@article.command("fix")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--finding", "finding_ids", multiple=True, help="只修改这些问题（默认全部可修改的）")
@as_option
@json_option
@click.pass_context
def fix(
    ctx: click.Context, article_ref: str, finding_ids: tuple[str, ...], user: str, as_json: bool
) -> None:
    """一键套用校验给出的修改建议，生成新版本。"""
    result, applied, skipped = hub_of(ctx).articles.fix(user, article_ref, list(finding_ids))
    if as_json:
        emit_json(
            result_json(result)
            | {"applied": [f.id for f in applied], "skipped": [f.id for f in skipped]}
        )
        return
    for finding in applied:
        click.echo(f"已修改 {finding.id}: “{finding.text}” → “{finding.fix}”")
    for finding in skipped:
        click.echo(f"未能自动修改 {finding.id}（请手工修改）")
    report(result, as_json, "已生成新版本")


@review.command("override")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--finding", "finding_id", required=True, help="问题编号（见 hub article findings）")
@click.option("--reason", required=True, help="确认理由")
@as_option
@json_option
@click.pass_context
def override(
    ctx: click.Context, article_ref: str, finding_id: str, reason: str, user: str, as_json: bool
) -> None:
    """审核人确认一项“需人工确认”的校验问题可以发布，须写明理由。"""
    result = hub_of(ctx).articles.override(user, article_ref, finding_id, reason)
    report(result, as_json, f"已确认 {finding_id}")
