"""`--wait` for one-shot commands: a publish, a retraction or a correction's final approval
appends its events and returns; with `--wait` the command also runs the background work in
this process (as `hub serve` does) until the article's deliveries settle."""

from __future__ import annotations

import functools
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import click

from hub.cli.articles import report, result_json
from hub.cli.context import hub_of
from hub.cli.output import emit_json

if TYPE_CHECKING:
    from hub.commands.article_service import ArticleResult

WAIT_LIMIT_S = 300.0
_wait = click.option(
    "--wait",
    "wait",
    is_flag=True,
    help="在本命令中执行投递，直到本稿件的投递完成（未运行 hub serve 时使用）",
)
_wait_timeout = click.option(
    "--wait-timeout",
    "wait_timeout",
    type=click.FloatRange(0, 3600),
    default=WAIT_LIMIT_S,
    show_default=True,
    help="--wait 的最长秒数（之后未完成的投递由 hub serve 继续）",
)


def wait_option(fn: Any) -> Any:
    """`--wait` and `--wait-timeout`, passed to the command as `wait` (the seconds to wait,
    or None)."""

    @functools.wraps(fn)
    def command(*args: Any, wait: bool, wait_timeout: float, **kwargs: Any) -> Any:
        return fn(*args, wait=wait_timeout if wait else None, **kwargs)

    return _wait(_wait_timeout(command))


def wait_for_deliveries(
    ctx: click.Context, article_id: str, timeout: float = WAIT_LIMIT_S
) -> dict[str, Any]:
    """Run rounds until no delivery of the article's live publication (all of its deliveries,
    once it is taken down) is unsettled, or `timeout` passes; how many are in each status."""
    hub = hub_of(ctx)
    from hub.projections.deliveries import UNSETTLED, deliveries_of

    deadline = time.monotonic() + timeout
    while True:
        done = hub.work()
        state, _ = hub.articles.commands.load(article_id)
        live = state.live.publication_id if state.live else None
        ours = [
            d
            for d in deliveries_of(hub.store, article_id)
            if live is None or d.publication_id == live
        ]
        unsettled = [d for d in ours if str(d.status) in UNSETTLED]
        if not unsettled or time.monotonic() > deadline:
            break
        time.sleep(0 if done.deliveries.attempted else 0.05)
    return {"statuses": dict(Counter(str(d.status) for d in ours)), "unsettled": len(unsettled)}


def echo_waited(waited: dict[str, Any]) -> None:
    """投递：已送达 3，失败 1 (and what is still open when the wait timed out)."""
    from workflows.delivery_decider import DELIVERY_STATUS_LABELS

    counts = "，".join(
        f"{DELIVERY_STATUS_LABELS.get(status, status)} {n}"
        for status, n in sorted(waited["statuses"].items())
    )
    click.echo(f"投递：{counts or '无'}")
    if waited["unsettled"]:
        click.echo(
            f"  仍有 {waited['unsettled']} 个投递未完成，hub serve 会继续执行（hub deliveries 查看）"
        )


def report_waiting(
    ctx: click.Context, result: ArticleResult, as_json: bool, wait: float | None, done: str
) -> None:
    """`report`, after waiting up to `wait` seconds for the deliveries when asked to."""
    waited = None if wait is None else wait_for_deliveries(ctx, result.article_id, wait)
    if as_json:
        emit_json(result_json(result) | ({"deliveries": waited} if waited else {}))
        return
    report(result, as_json, done)
    if waited:
        echo_waited(waited)
