"""`hub review ...`: queue, approve, return, sign off."""

from __future__ import annotations

import click

from hub.cli.articles import as_option, json_option, report
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from hub.cli.waiting import report_waiting, wait_option


@click.group("review")
def review() -> None:
    """审核：待审队列、审核通过、退回、领导签批。"""


@review.command("queue")
@as_option
@json_option
@click.pass_context
def queue(ctx: click.Context, user: str, as_json: bool) -> None:
    """我的待审队列。"""
    hub = hub_of(ctx)
    items = hub.articles.review_queue(user)
    if as_json:
        emit_json(items)
        return
    if not items:
        click.echo("（没有待审稿件）")
    for item in items:
        site = hub.config.directory.site_name(item["site"])
        click.echo(
            f"{item['id']}  {item['stage_name']}  v{item['revision']}  {item['title']}  ·{site}"
        )


@review.command("approve")
@click.argument("article_ref", metavar="ARTICLE")
@click.option(
    "--gates",
    required=True,
    help="确认的把关项，逗号分隔: political,legal,policy,secrecy,wording,public_opinion",
)
@click.option("--revision", type=int, help="审核的版本号（默认当前版本）")
@click.option("--hash", "content_hash", help="审核的内容摘要（可选，防止审到已变的内容）")
@click.option("--stage", help="审核环节（可选，须为当前环节）")
@click.option("--opinion", default="", help="审核意见")
@wait_option
@as_option
@json_option
@click.pass_context
def approve(
    ctx: click.Context,
    article_ref: str,
    gates: str,
    revision: int | None,
    content_hash: str | None,
    stage: str | None,
    opinion: str,
    wait: float | None,
    user: str,
    as_json: bool,
) -> None:
    """审核通过当前环节（更正稿终审通过后自动发布；--wait 等待其投递完成）。"""
    gate_list = [g.strip() for g in gates.split(",") if g.strip()]
    result = hub_of(ctx).articles.approve(
        user,
        article_ref,
        gate_list,
        revision=revision,
        content_hash=content_hash,
        opinion=opinion,
        stage=stage,
    )
    report_waiting(ctx, result, as_json, wait, "审核通过")


@review.command("return")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--reason", "reasons", required=True, multiple=True, help="退回理由（可多次指定）")
@click.option("--stage", help="审核环节（可选，须为当前环节）")
@as_option
@json_option
@click.pass_context
def return_article(
    ctx: click.Context,
    article_ref: str,
    reasons: tuple[str, ...],
    stage: str | None,
    user: str,
    as_json: bool,
) -> None:
    """退回稿件给编辑，须写明理由。"""
    result = hub_of(ctx).articles.return_(user, article_ref, list(reasons), stage)
    report(result, as_json, "已退回")


@review.command("signoff")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--revision", type=int, help="签批的版本号（默认当前版本）")
@click.option("--opinion", default="", help="签批意见")
@wait_option
@as_option
@json_option
@click.pass_context
def signoff(
    ctx: click.Context,
    article_ref: str,
    revision: int | None,
    opinion: str,
    wait: float | None,
    user: str,
    as_json: bool,
) -> None:
    """领导签批（重大或敏感事项）。"""
    result = hub_of(ctx).articles.sign_off(user, article_ref, revision=revision, opinion=opinion)
    report_waiting(ctx, result, as_json, wait, "已签批")
