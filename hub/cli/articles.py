"""`hub article ...`: draft, edit, submit, withdraw, archive, show, history, list."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hub.cli.auth import as_option
from hub.cli.context import hub_of
from hub.cli.output import emit_json, person, short_id
from hub.runtime.clock import beijing_minute
from workflows.beijing_time import beijing_text
from workflows.errors import DomainError
from workflows.vocabulary import (
    GATE_LABELS,
    ROLE_LABELS,
    SENSITIVITY_LABELS,
    STATUS_LABELS,
    ArticleStatus,
)

if TYPE_CHECKING:  # the services load when a command opens the hub
    from hub.commands.article_service import ArticleResult

json_option = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供脚本使用）")


def read_body(path: Path) -> str:
    """Read a body file (HTML, or plain text turned into paragraphs)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DomainError("FILE_UNREADABLE", f"无法读取正文文件 {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("FILE_NOT_UTF8", f"正文文件 {path} 不是 UTF-8 编码") from None
    if path.suffix.lower() in (".html", ".htm") or text.lstrip().startswith("<"):
        return text
    from html import escape

    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    return "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def result_json(result: ArticleResult) -> dict[str, Any]:
    """What every write command prints with `--json`."""
    state = result.state
    return {
        "id": result.article_id,
        "status": str(state.status),
        "waiting_for": state.waiting_for,
        "revision": state.revision,
        "content_hash": state.content_hash,
        "stream_version": result.version,
        "live": state.live.as_json() if state.live else None,
        "scheduled": state.scheduled.as_json() if state.scheduled else None,
        "events": [
            {"event_id": i, "type": t}
            for i, t in zip(result.event_ids, result.event_types, strict=True)
        ],
    }


def report(result: ArticleResult, as_json: bool, done: str) -> None:
    """Print a write command's outcome."""
    if as_json:
        emit_json(result_json(result))
        return
    state = result.state
    where = STATUS_LABELS[state.status]
    stage = state.current_stage
    if stage is not None:  # 审核中，待初审 (待领导签批 says it all by itself)
        where += f"，待{stage.name}"
    title = f"《{state.content.title}》" if state.content else ""
    click.echo(f"{done}：稿件{title} {result.article_id}（第 {state.revision} 版，{where}）")


def metadata_options(fn: Any) -> Any:
    """Options for the government metadata fields (7c)."""
    options = [
        click.option("--source", help="来源 ContentSource"),
        click.option("--author", "byline", help="作者（署名）"),
        click.option("--summary", help="摘要"),
        click.option("--keywords", help="关键词，逗号分隔"),
        click.option("--doc-number", help="发文字号（文号），如 示政办发〔2026〕12号"),
        click.option("--index-number", help="索引号，如 000014349/2026-00012"),
        click.option("--issuing-agency", help="发文机关"),
        click.option(
            "--written-date", type=click.DateTime(["%Y-%m-%d"]), help="成文日期 YYYY-MM-DD"
        ),
        click.option("--subject-category", help="主题分类"),
        click.option(
            "--disclosure",
            type=click.Choice(["proactive", "on_request", "not_disclosed"]),
            help="公开方式",
        ),
        click.option("--disclosure-reason", help="不予公开理由"),
        click.option(
            "--sensitivity",
            type=click.Choice([str(s) for s in SENSITIVITY_LABELS]),
            help="信息等级: normal 普通 / important 重要 / sensitive 敏感",
        ),
        click.option("--major/--not-major", default=None, help="重大事项（须领导签批）"),
        click.option("--repost/--original", default=None, help="转载（须注明来源）或原创"),
        click.option(
            "--pii-exemption",
            type=click.Choice(["punishment", "mandatory", "none"]),
            help="个人信息公开依据: punishment 惩戒公示 / mandatory 强制性披露 / none",
        ),
        click.option("--related", multiple=True, help="关联稿件编号（政策文件与解读），可重复"),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def collect_metadata(values: dict[str, Any]) -> dict[str, Any]:
    """The metadata fields the user set, under their model names."""
    mapping = {
        "source": "source",
        "byline": "author",
        "summary": "summary",
        "doc_number": "doc_number",
        "index_number": "index_number",
        "issuing_agency": "issuing_agency",
        "subject_category": "subject_category",
        "disclosure": "disclosure_type",
        "disclosure_reason": "disclosure_reason",
        "sensitivity": "sensitivity",
        "major": "major",
        "repost": "repost",
    }
    metadata = {field: values[opt] for opt, field in mapping.items() if values.get(opt) is not None}
    if values.get("keywords") is not None:
        metadata["keywords"] = [k.strip() for k in values["keywords"].split(",") if k.strip()]
    exemption = values.get("pii_exemption")
    if exemption is not None:
        metadata["pii_exemption"] = "" if exemption == "none" else exemption
    if values.get("related"):
        metadata["related_articles"] = list(values["related"])
    written = values.get("written_date")
    if written is not None:
        metadata["written_date"] = date(written.year, written.month, written.day).isoformat()
    return metadata


@click.group("article")
def article() -> None:
    """稿件：起草、修改、送审、撤回、归档、查看。"""


@article.command("create")
@click.option("--site", required=True, help="站点 key 或网站标识码")
@click.option("--column", "columns", required=True, multiple=True, help="栏目（可多次指定）")
@click.option("--title", required=True, help="标题")
@click.option("--body-file", required=True, type=click.Path(path_type=Path), help="正文文件")
@metadata_options
@as_option
@json_option
@click.pass_context
def create(
    ctx: click.Context,
    site: str,
    columns: tuple[str, ...],
    title: str,
    body_file: Path,
    user: str,
    as_json: bool,
    **meta: Any,
) -> None:
    """起草一篇新稿件。"""
    result = hub_of(ctx).articles.create(
        user, site, list(columns), title, read_body(body_file), collect_metadata(meta)
    )
    report(result, as_json, "已创建")


@article.command("edit")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--title", help="新标题")
@click.option("--body-file", type=click.Path(path_type=Path), help="新正文文件")
@metadata_options
@as_option
@json_option
@click.pass_context
def edit(
    ctx: click.Context,
    article_ref: str,
    title: str | None,
    body_file: Path | None,
    user: str,
    as_json: bool,
    **meta: Any,
) -> None:
    """修改稿件，生成新版本（已有审核意见作废，重新从初审开始）。"""
    body = read_body(body_file) if body_file else None
    result = hub_of(ctx).articles.edit(
        user, article_ref, title=title, body_html=body, metadata=collect_metadata(meta)
    )
    report(result, as_json, "已修改")


@article.command("submit")
@click.argument("article_ref", metavar="ARTICLE")
@as_option
@json_option
@click.pass_context
def submit(ctx: click.Context, article_ref: str, user: str, as_json: bool) -> None:
    """送审：进入初审。"""
    report(hub_of(ctx).articles.submit(user, article_ref), as_json, "已送审")


@article.command("withdraw")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--reason", default="", help="撤回原因")
@as_option
@json_option
@click.pass_context
def withdraw(ctx: click.Context, article_ref: str, reason: str, user: str, as_json: bool) -> None:
    """撤回送审，稿件回到草稿。"""
    report(hub_of(ctx).articles.withdraw(user, article_ref, reason), as_json, "已撤回")


@article.command("archive")
@click.argument("article_ref", metavar="ARTICLE")
@click.option("--reason", default="", help="归档原因")
@as_option
@json_option
@click.pass_context
def archive(ctx: click.Context, article_ref: str, reason: str, user: str, as_json: bool) -> None:
    """归档稿件（审核中的稿件须先撤回）。"""
    report(hub_of(ctx).articles.archive(user, article_ref, reason), as_json, "已归档")


@article.command("show")
@click.argument("article_ref", metavar="ARTICLE")
@json_option
@click.pass_context
def show(ctx: click.Context, article_ref: str, as_json: bool) -> None:
    """查看稿件：状态、当前版本、内容摘要、已有审核。"""
    hub = hub_of(ctx)
    data = hub.articles.show(article_ref)
    if as_json:
        emit_json(data)
        return
    directory = hub.config.directory
    site = directory.site(data["site"]["code"])
    columns = "、".join(
        f"{column.name}（{column_id}）" if (column := site.column(column_id)) else column_id
        for column_id in data["columns"]
    )
    lines = [
        f"稿件    {data['id']}",
        f"标题    {data['title']}",
        f"站点    {data['site']['name']}（{data['site']['code']}）  栏目 {columns}",
        f"状态    {data['status_label']}"
        + (f"，待{data['waiting_label']}" if data["status"] == "in_review" else ""),
        f"版本    第 {data['revision']} 版  {data['content_hash']}",
        f"作者    {person(directory, data['author'])}    流程 {data['workflow']['name']}"
        + ("（须领导签批）" if data["needs_signoff"] else ""),
    ]
    for approval in data["approvals"]:
        gates = "、".join(GATE_LABELS.get(g, g) for g in approval["gates"])
        lines.append(
            f"审核    {approval['stage_name']}：{person(directory, approval['user'])} "
            f"第 {approval['revision']} 版  把关 {gates}"
        )
    if data["signed_off_by"]:
        lines.append(f"签批    {person(directory, data['signed_off_by'])}")
    if data["delivery"] and data["delivery"]["label"]:
        lines.append(f"投递    {data['delivery']['label']}")
    if data["approved_hash"]:
        lines.append(f"审定    第 {data['approved_revision']} 版 {data['approved_hash']}")
    for label, key in (("已发布", "live"), ("定时", "scheduled")):
        publication = data[key]
        if publication:
            expiry = (
                f"，{beijing_minute(publication['expire_at'])} 下线"
                if publication["expire_at"]
                else ""
            )
            targets = "、".join(directory.target_name(t) for t in publication["targets"])
            lines.append(
                f"{label}    第 {publication['revision']} 版 {beijing_minute(publication['publish_at'])}"
                f"{expiry} → {targets}"
            )
    if data["last_return"]:
        ret = data["last_return"]
        lines.append(
            f"退回    {ret['stage_name']} 由 {person(directory, ret['by'])}：{'；'.join(ret['reasons'])}"
        )
    click.echo("\n".join(lines))


@article.command("history")
@click.argument("article_ref", metavar="ARTICLE")
@json_option
@click.pass_context
def history(ctx: click.Context, article_ref: str, as_json: bool) -> None:
    """稿件的完整历史：谁在何时对哪个版本做了什么。"""
    hub = hub_of(ctx)
    if as_json:
        emit_json([event.as_dict() for event in hub.articles.history(article_ref)])
        return
    directory = hub.config.directory
    for item in hub.articles.timeline(article_ref):
        role = ROLE_LABELS.get(item["role"], item["role"])
        click.echo(
            f"{item['version']:>3}  {beijing_text(item['occurred_at'], 'second')}  "
            f"{directory.user_name(item['actor'])}（{role}）  {item['summary']}"
        )


@article.command("list")
@click.option("--site", help="站点 key 或网站标识码")
@click.option("--status", type=click.Choice([s.value for s in ArticleStatus if s.value != "new"]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@click.pass_context
def list_articles(
    ctx: click.Context, site: str | None, status: str | None, limit: int, as_json: bool
) -> None:
    """稿件列表（最近更新在前）。"""
    hub = hub_of(ctx)
    items = hub.articles.recent(site, status, limit)
    if as_json:
        emit_json(items)
        return
    if not items:
        click.echo("（没有稿件）")
    for item in items:
        label = STATUS_LABELS[ArticleStatus(item["status"])]
        click.echo(
            f"{short_id(item['id'])}  {label:<6}  v{item['revision']}  {item['title']}"
            f"  ·{hub.config.directory.site_name(item['site'])}"
        )
