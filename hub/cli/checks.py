"""`hub check FILE`: run the pre-publish checks over a document, without touching the store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hub.cli.articles import json_option, read_body
from hub.cli.context import HubContext
from hub.cli.output import emit_json
from workflows.errors import DomainError

if TYPE_CHECKING:  # the checks engine loads when `hub check` runs (other commands use the lines)
    from workflows.checks.engine import CheckReport
    from workflows.checks.findings import Finding
    from workflows.content import ArticleMetadata

# Exit status of `hub check` (README): 0 nothing blocks, 3 a BLOCK finding (the document may
# not be published as it is), 1 an error, 2 a usage error — a script can gate on it.
BLOCKED_EXIT = 3

_FIELD_LABELS = {"title": "标题", "body": "正文", "article": "稿件", "metadata.summary": "摘要"}


def field_label(name: str) -> str:
    """A field name as users read it."""
    if name.startswith("attachment:"):
        return "附件 " + name.removeprefix("attachment:")
    if name.startswith("metadata."):
        return _FIELD_LABELS.get(name, "元数据 " + name.removeprefix("metadata."))
    return _FIELD_LABELS.get(name, name)


def finding_lines(finding: Finding, plain: str | None = None) -> list[str]:
    """A finding as a few lines of text, with its surroundings when the text is at hand."""
    from workflows.checks.findings import SEVERITY_LABELS

    head = (
        f"[{SEVERITY_LABELS[finding.severity]}] {finding.rule} {field_label(finding.field)}"
        + (f" {finding.start}-{finding.end}" if finding.end > finding.start else "")
        + f"  {finding.id}"
    )
    lines = [head, f"    {finding.message}"]
    if finding.text:
        excerpt = f"“{finding.text}”"
        if plain is not None and finding.end <= len(plain):
            before = plain[max(0, finding.start - 12) : finding.start].replace("\n", " ")
            after = plain[finding.end : finding.end + 12].replace("\n", " ")
            excerpt = f"…{before}【{finding.text}】{after}…"
        lines.append(f"    原文: {excerpt}")
    if finding.fix is not None:
        lines.append(f"    建议: {finding.fix or '（删除）'}")
    return lines


def report_json(report: CheckReport) -> dict[str, Any]:
    """The report in the documented JSON shape."""
    return {
        "dictionary_version": report.dictionary_version,
        "counts": report.counts(),
        "blocked": report.blocked,
        "findings": [
            {
                "id": f.id,
                "rule": f.rule,
                "severity": f.severity.value,
                "field": f.field,
                "start": f.start,
                "end": f.end,
                "text": f.text,
                "message": f.message,
                "fix": f.fix,
            }
            for f in report.findings
        ],
    }


@click.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--title", default="", help="标题（默认: 文件名）")
@click.option("--site", default=None, help="站点（决定索引号前段码）")
@click.option("--column", default=None, help="栏目（决定栏目类型相关规则）")
@click.option("--as-of", "as_of", default=None, help="按此日期核对领导职务等（默认今天）")
@click.option(
    "--attach", "attachments", multiple=True, type=click.Path(path_type=Path), help="附件，可重复"
)
@click.option(
    "--meta",
    "meta_file",
    type=click.Path(path_type=Path),
    help="元数据文件（YAML 或 JSON：doc_number、index_number、source、repost 等）",
)
@json_option
@click.pass_context
def check(
    ctx: click.Context,
    file: Path,
    title: str,
    site: str | None,
    column: str | None,
    as_of: str | None,
    attachments: tuple[Path, ...],
    meta_file: Path | None,
    as_json: bool,
) -> None:
    """校验一个文件（.txt .html .docx .pdf .xlsx）作为稿件正文，列出问题与修改建议。

    退出码：0 无拦截项；3 有拦截项（不能照此发布）；1 出错；2 用法错误。"""
    from hub.setup.config import load_config
    from workflows.checks.document import CheckContext
    from workflows.checks.engine import run_checks
    from workflows.checks.html_parse import html_to_text

    state = ctx.find_object(HubContext)
    assert state is not None  # the group made it
    config = load_config(state.config_dir)
    is_html = file.suffix.lower() in (".html", ".htm")
    body = read_body(file) if is_html else _text_of(file)
    files = tuple((p.name, _text_of(p)) for p in attachments)
    column_type = org_code = None
    if site:
        found = config.directory.site(site)
        org_code = found.org_code
        if column:
            column_type = config.directory.column(found, column).type
    context = CheckContext(
        phase="check", as_of=_date(as_of), column_type=column_type, org_code=org_code
    )
    report = run_checks(
        title or file.stem,
        body,
        _metadata(meta_file),
        config.checks,
        context,
        files,
        body_is_html=is_html,
    )
    if as_json:
        emit_json(report_json(report))
        if report.blocked:
            ctx.exit(BLOCKED_EXIT)
        return
    counts = report.counts()
    click.echo(
        f"校验 {file.name}: 拦截 {counts['BLOCK']} 项，需人工确认 {counts['REVIEW']} 项，"
        f"提示 {counts['WARN']} 项（词库版本 {report.dictionary_version}）"
    )
    plains = {
        "title": title or file.stem,
        "body": html_to_text(body).text if is_html else body,
        **dict(files),
    }
    for finding in report.findings:
        key = finding.field.removeprefix("attachment:")
        click.echo("\n".join(finding_lines(finding, plains.get(finding.field, plains.get(key)))))
    if report.blocked:
        ctx.exit(BLOCKED_EXIT)


def _text_of(path: Path) -> str:
    from hub.content.attachments import AttachmentError, extract_text

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DomainError("FILE_UNREADABLE", f"无法读取文件 {path}: {exc.strerror}") from None
    try:
        return extract_text(path.name, data)
    except AttachmentError as exc:
        raise DomainError(exc.code, exc.message) from None


def _metadata(path: Path | None) -> ArticleMetadata:
    """Metadata from a YAML (or JSON) mapping, validated like the article's own."""
    import yaml

    from hub.setup.config import parse_yaml
    from workflows.content import ArticleMetadata

    if path is None:
        return ArticleMetadata()
    try:
        data = parse_yaml(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise DomainError("FILE_UNREADABLE", f"无法读取文件 {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise DomainError("INVALID_INPUT", f"{path.name}: 不是有效的 YAML/JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DomainError("INVALID_INPUT", f"{path.name}: 元数据应为映射（字段: 值）")
    return ArticleMetadata.model_validate(data)


def _date(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("INVALID_INPUT", f"日期格式应为 YYYY-MM-DD: {value}") from None
