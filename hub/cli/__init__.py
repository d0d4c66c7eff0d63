"""The `hub` command line. Every command goes through the same services as the web will."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import click
import structlog
from pydantic import ValidationError

from events.registry import RegistryError
from events.sqlite_store import is_busy
from events.store import StoreBusy, StoreError
from hub.cli.context import HubContext, default_config_dir
from hub.cli.output import emit_error, wants_json
from hub.commands.article_service import invalid_input
from hub.distributed.errors import BusError
from hub.runtime.logs import configure_logging
from hub.setup.config import ConfigError
from workflows.errors import DomainError, ErrorCode

log = structlog.get_logger(__name__)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    configure_logging(os.environ.get("HUB_LOG_LEVEL", "warning").lower())
    if isinstance(ctx.obj, HubContext) and config_dir is None:
        return  # a command another command runs (the demo's steps): its configuration and hub
    state = HubContext(config_dir or default_config_dir())
    ctx.obj = state
    ctx.call_on_close(state.close)


def _register() -> None:
    from hub.cli import (
        articles,
        channels,
        checks,
        deliveries,
        demo,
        dictionaries,
        distributed,
        events,
        findings,
        logins,
        publishing,
        reports,
        reviews,
        serve,
        supervision,
        system,
    )

    for module in (
        articles,
        reviews,
        publishing,
        deliveries,
        channels,
        checks,
        findings,
        dictionaries,
        events,
        supervision,
        reports,
        system,
        logins,
        serve,
        distributed,
        demo,
    ):
        module.register(cli)


_register()


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
    except ValidationError as exc:
        err = invalid_input(exc)
        emit_error(err.code, err.message, as_json)
        code = 1
    except (ConfigError, StoreError, RegistryError, BusError) as exc:
        emit_error(exc.code, exc.message, as_json)
        code = 1
    except click.ClickException as exc:
        emit_error(ErrorCode.USAGE, exc.format_message(), as_json)
        code = exc.exit_code or 1
    except Exception as exc:  # the last line of defence: never a traceback for a user
        if isinstance(exc, sqlite3.OperationalError) and is_busy(exc):
            busy = StoreBusy()
            emit_error(busy.code, busy.message, as_json)
        else:
            log.error("cli.internal_error", error=repr(exc))
            log.debug("cli.internal_error_trace", exc_info=True)
            emit_error(ErrorCode.INTERNAL, f"内部错误: {exc!r}", as_json)
        code = 1
    sys.exit(code)
