"""The processes of the distributed runtime: `hub relay` (store → Kafka) and, later in this
module, the workers and `hub status`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

import click

from hub.cli.articles import json_option
from hub.cli.context import HubContext
from hub.cli.output import emit_json
from hub.runtime.logs import configure_logging

if TYPE_CHECKING:  # loaded where the commands run, not with `--help`
    from hub.setup.config import HubConfig


def _config(ctx: click.Context) -> HubConfig:
    from hub.setup.config import ConfigError, load_config

    context = ctx.find_object(HubContext)
    assert context is not None  # the group made it
    config = load_config(context.config_dir, context.overrides)
    configure_logging(config.settings.log_level)
    if not config.settings.kafka_servers:
        raise ConfigError(
            "未配置 Kafka：在 hub.yaml 设置 kafka_servers（或环境变量 HUB_KAFKA_SERVERS）"
        )
    return config


def _until_signalled() -> threading.Event:
    """An event set by SIGTERM or SIGINT (a process manager's stop, Ctrl-C)."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


@click.command("relay")
@click.option("--once", is_flag=True, help="发布当前已有的全部事件后退出")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=2000, show_default=True,
              help="每批读取并发布的事件数")  # fmt: skip
@json_option
@click.pass_context
def relay(ctx: click.Context, once: bool, batch_size: int, as_json: bool) -> None:
    """把事件库的事件按提交顺序发布到 Kafka（分布式运行时；崩溃后从检查点续发，不遗漏）。"""
    from events.sql_store import SQLEventStore
    from events.stores import open_store
    from hub.distributed.relay import Relay, producer
    from hub.distributed.topics import Topics, ensure_topics

    config = _config(ctx)
    settings = config.settings
    topics = Topics.of(settings)
    ensure_topics(settings.kafka_servers, topics)
    store = open_store(config.database, durable=settings.durable)
    assert isinstance(store, SQLEventStore)
    kafka = producer(settings.kafka_servers)
    worker = Relay(store, kafka, topics, batch_size=batch_size)
    try:
        if once:
            total = worker.publish()
            if as_json:
                emit_json({"published": total, "topic": topics.events})
                return
            click.echo(f"已发布 {total} 个事件到 {topics.events}")
            return
        click.echo(f"转发中：{config.database_shown} → Kafka {settings.kafka_servers} "
                   f"{topics.events}。按 Ctrl-C 退出。")  # fmt: skip
        worker.run(_until_signalled())
    finally:
        kafka.close(timeout=10)
        store.close()


@click.command("worker")
@click.option("--role", type=click.Choice(["projections", "delivery", "all"]), default="all",
              show_default=True,
              help="projections：把事件折叠进读模型；delivery：向渠道投递（按账号分区）；all：两者（两个进程）")  # fmt: skip
@json_option
@click.pass_context
def worker(ctx: click.Context, role: str, as_json: bool) -> None:
    """分布式运行时的工作进程（Faust）：从 Kafka 消费事件。可在多台机器上运行多个。"""
    from hub.setup.config import ConfigError

    config = _config(ctx)
    context = ctx.find_object(HubContext)
    assert context is not None
    if role != "projections" and not config.settings.redis_url:
        raise ConfigError("投递工作进程需要 Redis：在 hub.yaml 设置 redis_url（或 HUB_REDIS_URL）")
    if role == "all":
        _run_both(context)
    elif role == "delivery":
        from hub.distributed import delivery_worker

        delivery_worker.run(context.config_dir, context.overrides)
    else:
        _run_projections(config)


def _run_projections(config: HubConfig) -> None:
    from faust import Worker

    from events.stores import open_store
    from hub.distributed.ledger_channel import publish_ledger
    from hub.distributed.redis_client import redis_client
    from hub.distributed.topics import Topics, ensure_topics
    from hub.distributed.worker import ProjectionFolder, faust_app, projections_agent
    from hub.projections import all_projections

    settings = config.settings
    topics = Topics.of(settings)
    ensure_topics(settings.kafka_servers, topics)
    store = open_store(config.database, durable=settings.durable)
    projections = all_projections(store, config.directory)
    # The web nodes' boards hear of the delivery ledger's commits made here.
    publisher = (
        publish_ledger(projections, redis_client(settings.redis_url), settings.kafka_prefix)
        if settings.redis_url
        else None
    )
    try:
        folder = ProjectionFolder(store, projections)
        caught = folder.catch_up()
        click.echo(f"读模型已从事件库补齐 {caught} 个事件；开始消费 {topics.events}"
                   f"（{topics.group('projections')}）")  # fmt: skip
        app = faust_app(config, "projections")
        projections_agent(app, topics, folder)
        Worker(app, loglevel=settings.log_level.upper(), quiet=True).execute_from_commandline()
    finally:
        store.close()
        if publisher is not None:
            publisher.close()


def _run_both(context: HubContext) -> None:
    """A projections worker and a delivery worker, as two child processes (each is one Faust
    app in its own consumer group); stopping this stops both."""
    env = {**os.environ, "HUB_CONFIG": str(context.config_dir)}
    children = [
        subprocess.Popen([sys.executable, "-m", "hub", "worker", "--role", role], env=env)
        for role in ("projections", "delivery")
    ]
    stop = _until_signalled()
    while not stop.is_set() and all(child.poll() is None for child in children):
        stop.wait(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        child.wait(30)


@click.command("status")
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """各组件状态：事件库、转发进程（relay）积压、Kafka 消费组积压、Redis 与存活的投递进程。"""
    from events.stores import open_store
    from hub.distributed.status import status as collect
    from hub.setup.config import load_config

    context = ctx.find_object(HubContext)
    assert context is not None
    config = load_config(context.config_dir, context.overrides)
    store = open_store(config.database, durable=config.settings.durable)
    try:
        report = collect(config, store)
    finally:
        store.close()
    if as_json:
        emit_json(report)
    else:
        click.echo(f"运行方式  {report['runtime']}")
        db = report["store"]
        click.echo(f"事件库    {'正常' if db['ok'] else '异常'}  {db.get('database', db.get('error'))}"
                   f"  事件 {db.get('head')}  未完成投递 {db.get('unsettled_deliveries')}")  # fmt: skip
        if "relay" in report:
            click.echo(
                f"转发      检查点 {report['relay']['checkpoint']}  积压 {report['relay']['lag']}"
            )
            kafka = report["kafka"]
            if kafka["ok"]:
                for group, info in kafka["groups"].items():
                    click.echo(f"Kafka     消费组 {group}  积压 {info['lag']}"
                               + ("" if info["joined"] else "（尚无进程加入）"))  # fmt: skip
            else:
                click.echo(f"Kafka     异常  {kafka['error']}")
        if "redis" in report:
            redis_state = report["redis"]
            click.echo("Redis     " + (f"正常  投递进程 {len(redis_state['delivery_workers'])} 个"
                                       if redis_state["ok"] else f"异常  {redis_state['error']}"))  # fmt: skip
    down = [
        name for name, part in report.items() if isinstance(part, dict) and part.get("ok") is False
    ]
    if down:
        ctx.exit(1)
