"""`hub events tail`: the global event log, newest last, optionally followed live."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import click

from hub.cli.articles import json_option
from hub.cli.context import hub_of
from workflows.beijing_time import beijing_text

if TYPE_CHECKING:  # loaded where the commands run, not with `--help`
    from events.envelope import RecordedEvent
    from hub.setup.directory import Directory


def _line(event: RecordedEvent, as_json: bool, directory: Directory) -> str:
    """One event of the log: where it is (position, stream, type, for operators) and what it
    says (who, by name, and what, naming sites and targets)."""
    from hub.projections.history import describe

    if as_json:
        return json.dumps(event.as_dict(), ensure_ascii=False)
    return (
        f"{event.global_position:>7}  {beijing_text(event.occurred_at, 'second')}  "
        f"{event.stream_id}@{event.stream_version}  {event.type}  "
        f"{directory.user_name(event.actor.user_id)}({event.actor.role})  "
        f"{describe(event.payload, directory)}"
    )


@click.group("events")
def events() -> None:
    """事件日志。"""


@events.command("tail")
@click.option(
    "--limit",
    "-n",
    default=20,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="显示最近多少条",
)
@click.option("--after", type=click.IntRange(0), help="从该全局位置之后开始（替代 --limit）")
@click.option("--follow", "-f", is_flag=True, help="持续显示新事件（Ctrl-C 结束）")
@click.option("--interval", default=0.5, show_default=True, type=click.FloatRange(0.05, 60))
@json_option
@click.pass_context
def tail(
    ctx: click.Context, limit: int, after: int | None, follow: bool, interval: float, as_json: bool
) -> None:
    """显示事件日志的最近部分（--json 每行一个事件）。"""
    hub = hub_of(ctx)
    store, directory = hub.store, hub.config.directory
    position = after if after is not None else max(store.head_position() - limit, 0)
    try:
        while True:
            for event in store.read_all(position, 1000):
                click.echo(_line(event, as_json, directory))
                position = event.global_position
            if not follow:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
