"""`hub demo`: a guided tour through the CLI, so a new user sees the whole review story."""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

import click

from hub.cli.context import hub_of
from workflows.errors import DomainError

NOTICE_BODY = """<p>各市、县（区）人民政府，省直各单位：</p>
<p>为进一步提升政府网站和政务新媒体服务水平，根据《政府网站发展指引》有关要求，现就开展
2026年度政府网站与政务新媒体自查工作通知如下。</p>
<h2>一、自查范围</h2>
<p>全省各级行政机关开办的政府网站和政务新媒体账号。</p>
<h2>二、时间安排</h2>
<p>请于2026年12月15日前完成自查，并将自查报告报送省政府办公厅。</p>
<p>联系电话：0000-12345678。</p>"""


def _step(title: str) -> None:
    click.echo()
    click.secho(f"== {title}", bold=True)


def _run(ctx: click.Context, line: str) -> None:
    """Show a command line as a user would type it, then run it in this process."""
    click.secho(f"$ hub {line}", fg="cyan")
    from hub.cli import cli

    with ctx.scope(cleanup=False):
        cli.main(args=shlex.split(line), prog_name="hub", standalone_mode=False, obj=ctx.obj)


@click.command("demo")
@click.pass_context
def demo(ctx: click.Context) -> None:
    """引导演示：起草 → 三审（含一次退回）→ 审定 → 发布到两个站点，再演示重大事项的领导签批。"""
    hub = hub_of(ctx)
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "notice.html"
        body.write_text(NOTICE_BODY, encoding="utf-8")
        fixed = Path(tmp) / "notice-v2.html"
        fixed.write_text(NOTICE_BODY.replace("12月15日", "12月20日"), encoding="utf-8")

        _step("1. 编辑张伟起草一篇通知公告")
        result = hub.articles.create(
            "zhangwei",
            "gov",
            ["notices"],
            "关于开展2026年度政府网站与政务新媒体自查工作的通知",
            body.read_text(encoding="utf-8"),
            {"source": "示范省人民政府办公厅", "doc_number": "示政办函〔2026〕58号"},
        )
        article = result.article_id
        click.secho(
            "$ hub article create --site gov --column notices --title '…' "
            "--body-file notice.html --as zhangwei",
            fg="cyan",
        )
        click.echo(f"已创建：稿件 {article}（第 1 版，草稿）")
        _run(ctx, f"article submit {article} --as zhangwei")

        _step("2. 初审：李婷确认文字关、保密关")
        _run(ctx, "review queue --as liting")
        _run(
            ctx, f"review approve {article} --gates wording,secrecy --opinion 文字规范 --as liting"
        )

        _step("3. 复审：王强发现时间安排有误，退回并写明理由")
        _run(ctx, f"review return {article} --reason '自查截止时间应为12月20日' --as wangqiang")

        _step("4. 编辑修改后重新送审（新版本从初审重新开始）")
        _run(ctx, f"article edit {article} --body-file {fixed} --as zhangwei")
        _run(ctx, f"article submit {article} --as zhangwei")

        _step("5. 三位不同的审核人依次审核通过")
        _run(ctx, f"review approve {article} --gates wording,secrecy --as liting")
        _run(ctx, f"review approve {article} --gates legal,policy,wording --as wangqiang")
        _run(ctx, f"review approve {article} --gates political,policy,public_opinion --as chenjing")

        _step("6. 作者不能审核自己的稿件（系统拒绝）")
        second = hub.articles.create(
            "liuyang",
            "gov",
            ["news-gov"],
            "省政府召开全省数字政府建设推进会",
            "<p>11月20日，省政府召开全省数字政府建设推进会。</p>",
            {"major": True, "source": "示范省人民政府办公厅"},
        ).article_id
        hub.articles.submit("liuyang", second)
        click.secho(
            f"$ hub review approve {second} --gates wording,secrecy --as liuyang", fg="cyan"
        )
        try:
            hub.articles.approve("liuyang", second, ["wording", "secrecy"])
        except Exception as exc:  # shown to the user as the CLI would
            click.echo(f"错误 {getattr(exc, 'code', '')}: {getattr(exc, 'message', exc)}")

        _step("7. 重大事项：三审之后须领导签批")
        hub.articles.approve("liting", second, ["wording", "secrecy"])
        hub.articles.approve("wangqiang", second, ["legal", "policy", "wording"])
        hub.articles.approve("chenjing", second, ["political", "policy", "public_opinion"])
        _run(ctx, f"article show {second}")
        _run(ctx, f"review signoff {second} --opinion 同意发布 --as zhaolei")

        _step("8. 发布（先审后发）：发布前再次系统校验；编辑只能发布到本站栏目")
        _run(ctx, f"publish {article} --to gov/notices --no-feeds --as zhangwei")
        click.secho("（发布到其他站点须在该站点有发布权限：张伟在发展改革委网站没有）", fg="cyan")
        try:
            _run(ctx, f"publish {article} --to drc/notices --no-feeds --as zhangwei")
        except DomainError as exc:  # shown to the user as the CLI would
            click.echo(f"错误 {exc.code}: {exc.message}")
        _run(ctx, f"publish {article} --to drc/notices --no-feeds --as qianli")
        _run(ctx, f"deliveries --article {article}")

        _step("9. 完整历史：谁、何时、对哪个版本、做了什么")
        _run(ctx, f"article history {article}")
        _run(ctx, f"article show {article}")
        page = hub.config.sites_root / "gov" / "notices" / f"{article}.html"
    click.echo()
    click.echo(f"网站页面已生成：{page}")
    click.echo(
        "演示结束。继续试试：hub article list、hub review queue --as chenjing、"
        "hub correct / hub retract、hub deliveries、hub events tail、hub --help"
    )
