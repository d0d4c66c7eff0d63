"""The `hub` command line. Every command goes through the same services as the web will."""

from __future__ import annotations

import gc
import os
import sqlite3
import sys
from pathlib import Path

import click

from hub.cli.lazy_group import Entry, LazyGroup
from hub.cli.output import emit_error, wants_json
from workflows.errors import DomainError, ErrorCode

# Every top-level command: name -> where it lives and its short help. `hub --help` lists them
# from here and a command's module loads only when it runs (a test keeps this table true).
COMMANDS: dict[str, Entry] = {
    "article": Entry("hub.cli.articles", "article", "稿件：起草、修改、送审、撤回、归档、查看。", ("hub.cli.findings",)),
    "audit": Entry("hub.cli.system", "audit_command", "核验事件库的完整性（哈希链、封印、签名检查点），并按事件重放全部稿件，核查三审规则 是否始终得到遵守。发现问题时退出码为 1，并指出第一个不成立的事件。"),
    "backup": Entry("hub.cli.system", "backup_command", "在线备份嵌入式事件库（含读模型）、登录与渠道的小库和媒体文件（中枢运行时也可备份）。须系统管理员。 不含密钥文件（审计密钥须另行保管）和站点页面（可用 hub sites render 重新生成）。"),
    "channels": Entry("hub.cli.channels", "channels", "渠道账号：健康状况、授权；按事件重建客户端稿件流与大屏播单。"),
    "check": Entry("hub.cli.checks", "check", "校验一个文件（.txt .html .docx .pdf .xlsx）作为稿件正文，列出问题与修改建议。"),
    "correct": Entry("hub.cli.publishing", "correct", "更正已发布的稿件：新版本重新三审，审定后自动替换所有已发布目标上的旧版本。"),
    "crawl": Entry("hub.cli.supervision", "crawl", "链接巡查：错链断链、外链暗链、线上页面与各渠道副本的严重表述错误。"),
    "deliver": Entry("hub.cli.deliveries", "deliver", "执行一轮后台工作（到时的定时发布与到期下线、更正稿自动发布、投递）；hub serve 会持续执行。"),
    "deliveries": Entry("hub.cli.deliveries", "deliveries", "投递台账：每篇稿件每个发布目标的投递状态。"),
    "delivery": Entry("hub.cli.deliveries", "delivery", "单个投递的处理：重试、取消。"),
    "demo": Entry("hub.cli.demo", "demo", "引导演示：起草 → 三审（含一次退回）→ 审定 → 发布到两个站点，再演示重大事项的领导签批。"),
    "dictionaries": Entry("hub.cli.dictionaries", "dictionaries", "校验词库：现行版本、各词库条目数，以及每次变更的记录。"),
    "events": Entry("hub.cli.events", "events", "事件日志。"),
    "freshness": Entry("hub.cli.supervision", "freshness", "更新情况：每个站点的首页、栏目和新媒体账号距单项否决还有几天（来自发布记录）。"),
    "init": Entry("hub.cli.system", "init", "检查配置并初始化事件库（系统管理员；首次启动、尚无管理员密码时可直接运行）。"),
    "login": Entry("hub.cli.logins", "login", "登录命令行：验证密码后，把令牌存入只有当前系统用户可读的文件；之后的命令以该用户身份执行。"),
    "library": Entry("hub.cli.library", "library", "资源库流转：引用（共享调用）、推送与采用、信息报送与退回、转载时效。"),
    "live": Entry("hub.cli.live", "live", "某一时刻站点（栏目）或账号上在线的稿件：哪一版、何时发出、谁审核签发（按事件回溯）。"),
    "logout": Entry("hub.cli.logins", "logout", "退出命令行登录：吊销令牌并删除令牌文件。"),
    "order": Entry("hub.cli.supervision", "order", "单个工单：查看、派单、整改、退回、延期、销号。"),
    "orders": Entry("hub.cli.supervision", "orders", "工单列表（发现 → 派单 → 整改 → 复核 → 销号）。"),
    "passwd": Entry("hub.cli.logins", "passwd", "设置用户的登录密码（至少 10 个字符，不能是常见密码、重复或连续字符、键盘顺序或含用户名； 该用户已登录的会话和接口令牌全部失效）。"),
    "probe": Entry("hub.cli.supervision", "probe", "可用性探测：按国家检查方法（15 秒超时，连续两次失败确认）探测各站点首页与栏目页。"),
    "publish": Entry("hub.cli.publishing", "publish", "发布已审定的稿件（先审后发）：立即或定时，发布前再次进行系统强制校验。"),
    "rebuild": Entry("hub.cli.system", "rebuild", "删除并按事件重放全部投影（稿件列表、待审队列、稿件历史）。须系统管理员。"),
    "recheck": Entry("hub.cli.dictionaries", "recheck", "词库更新后，用现行词库复检全部已审定（及已发布）的稿件，列出现在不能通过的。"),
    "relay": Entry("hub.cli.distributed", "relay", "把事件库的事件按提交顺序发布到 Kafka（分布式运行时；崩溃后从检查点续发，不遗漏）。"),
    "report": Entry("hub.cli.reports", "report", "年度报表与季度通报（数据来自记录，可导出 xlsx、docx）。"),
    "restore": Entry("hub.cli.system", "restore_command", "把备份恢复到新目录，逐个核对文件并核验事件库的哈希链与签名检查点（不改动正在运行的中枢）。"),
    "retract": Entry("hub.cli.publishing", "retract", "撤稿：从所有已发布的目标撤下（定时未发布的则取消定时）；--site 只撤下一个站点上的。"),
    "review": Entry("hub.cli.reviews", "review", "审核：待审队列、审核通过、退回、领导签批。", ("hub.cli.findings",)),
    "schedule": Entry("hub.cli.publishing", "schedule", "修改定时发布时间或到期下线时间；已审定未发布的稿件则按 --at 定时发布。"),
    "scorecard": Entry("hub.cli.reports", "scorecard_command", "检查指标模拟评分：单项否决、已知扣分项与未监测项（来自发布、探测与工单记录）。"),
    "search": Entry("hub.cli.search", "search", "一搜即达：检索各站点在线的信息（标题、正文、文号、发文机关），可按站点、栏目、频道、发文机关、年份筛选。"),
    "serve": Entry("hub.cli.serve", "serve", "运行中枢：网站、客户端稿件流、大屏、渠道沙箱与投递引擎。Ctrl-C 退出。"),
    "sites": Entry("hub.cli.system", "sites", "站群：站点与栏目（hub sites render 按事件重新生成站点）。"),
    "status": Entry("hub.cli.distributed", "status", "各组件状态：事件库、转发进程（relay）积压、Kafka 消费组积压、Redis 与存活的投递进程。"),
    "supervise": Entry("hub.cli.supervision", "supervise", "立即按发布记录检查一遍更新情况：开出、记录或销号工单（hub serve 每 5 分钟自动执行）。"),
    "timers": Entry("hub.cli.publishing", "timers", "执行已到时间的定时发布和到期下线（hub serve 会自动执行），并显示下一个时间点。"),
    "token": Entry("hub.cli.logins", "token", "接口（API）令牌：给机器调用 /api/v1 用，按 Authorization: Bearer 令牌 传入。"),
    "users": Entry("hub.cli.system", "users", "用户与各站点角色。"),
    "worker": Entry("hub.cli.distributed", "worker", "分布式运行时的工作进程（Faust）：从 Kafka 消费事件。可在多台机器上运行多个。"),
}  # fmt: skip


@click.group(
    cls=LazyGroup,
    entries=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="配置目录（默认: ./config）",
)
@click.pass_context
def cli(ctx: click.Context, config_dir: Path | None) -> None:
    """政府网站集约化平台 · 发布中枢（publishing hub）命令行。"""
    from hub.cli.context import HubContext, default_config_dir
    from hub.runtime.logs import configure_logging  # applied when something first logs

    configure_logging(os.environ.get("HUB_LOG_LEVEL", "warning").lower())
    if isinstance(ctx.obj, HubContext) and config_dir is None:
        return  # a command another command runs (the demo's steps): its configuration and hub
    state = HubContext(config_dir or default_config_dir())
    ctx.obj = state
    ctx.call_on_close(state.close)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; every failure is one line (or one JSON object) and exit 1."""
    args = sys.argv[1:] if argv is None else argv
    as_json = wants_json(args)
    code = 0
    try:
        # Outside standalone mode click returns (not raises) the code of `ctx.exit(code)`.
        returned = cli.main(args=args, prog_name="hub", standalone_mode=False)
        if isinstance(returned, int):
            code = returned
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.Abort:
        emit_error(ErrorCode.ABORTED, "已取消", as_json)
        code = 1
    except click.UsageError as exc:
        emit_error(ErrorCode.USAGE, exc.format_message(), as_json)
        code = 2
    except DomainError as exc:
        emit_error(exc.code, exc.message, as_json, exc.details or None)
        code = 1
    except click.ClickException as exc:
        emit_error(ErrorCode.USAGE, exc.format_message(), as_json)
        code = exc.exit_code or 1
    except Exception as exc:  # the last line of defence: never a traceback for a user
        code = _report(exc, as_json)
    # What is alive now (the modules, the event and configuration models, the hub's object
    # graph) lives until the process ends: frozen, the interpreter's last collections skip
    # it instead of tracing it all (30 ms of a command's 0.3 s). Objects are still released
    # and finalised as modules are cleared; __del__ of objects alive at exit was never promised.
    gc.freeze()
    sys.exit(code)


def _report(exc: Exception, as_json: bool) -> int:
    """Say what went wrong in one line; the modules that could raise `exc` are loaded."""
    from pydantic import ValidationError

    from events.registry import RegistryError
    from events.sqlite_store import is_busy
    from events.store import StoreBusy, StoreError
    from hub.commands.article_service import invalid_input
    from hub.distributed.errors import BusError
    from hub.setup.config import ConfigError

    if isinstance(exc, ValidationError):
        err = invalid_input(exc)
        emit_error(err.code, err.message, as_json)
    elif isinstance(exc, ConfigError | StoreError | RegistryError | BusError):
        emit_error(exc.code, exc.message, as_json)
    elif isinstance(exc, sqlite3.OperationalError) and is_busy(exc):
        busy = StoreBusy()
        emit_error(busy.code, busy.message, as_json)
    else:
        from events.log import get_logger

        log = get_logger(__name__)
        log.error("cli.internal_error", error=repr(exc))
        log.debug("cli.internal_error_trace", exc_info=True)
        emit_error(ErrorCode.INTERNAL, f"内部错误: {exc!r}", as_json)
    return 1
