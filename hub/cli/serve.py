"""`hub serve`: the sites, the app feed, the screens, the channel sandboxes and the delivery
engine, together, until Ctrl-C."""

from __future__ import annotations

import signal
import socket
import threading
from types import FrameType

import click

from hub.cli.context import HubContext, hub_of
from workflows.vocabulary import ROLE_LABELS


@click.command("serve")
@click.option("--host", default=None, help="监听地址（默认 hub.yaml 的 host，127.0.0.1）")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="中枢端口（默认 8800）")
@click.option("--sandbox-port", type=click.IntRange(0, 65535), default=None,
              help="渠道沙箱端口（默认 8801）")  # fmt: skip
@click.option("--no-sandboxes", is_flag=True, help="不启动渠道沙箱（对接真实渠道时）")
@click.option("--no-engine", is_flag=True, help="不运行投递引擎（另有进程运行时）")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    sandbox_port: int | None,
    no_sandboxes: bool,
    no_engine: bool,
) -> None:
    """运行中枢：网站、客户端稿件流、大屏、渠道沙箱与投递引擎。Ctrl-C 退出。"""
    from hub.runtime.server import serve as start  # the web stack loads only for `hub serve`
    from workflows.publication import Channel

    if sandbox_port is not None and not no_sandboxes:
        # The channels' URLs follow the sandboxes unless set explicitly; port 0 (any free
        # port) is chosen here, so the URLs can name it before the hub opens.
        sandbox_port = sandbox_port or free_port(host or "127.0.0.1")
        context = ctx.find_object(HubContext)
        assert context is not None  # the group made it
        context.overrides["sandbox_port"] = sandbox_port
    hub = hub_of(ctx)
    settings = hub.config.settings
    distributed = settings.runtime == "distributed"
    no_engine = no_engine or distributed  # the delivery workers deliver (hub worker)
    host = host or settings.host
    serving = start(
        hub,
        host,
        settings.port if port is None else port,
        None if no_sandboxes else (settings.sandbox_port if sandbox_port is None else sandbox_port),
        engine=not no_engine,
    )
    base = serving.hub_server.url
    click.echo(f"发布中枢已启动：{base}/")
    click.echo(f"  工作台（编辑、审核、运维）：{base}/console    接口文档：{base}/api/docs")
    click.echo(f"  一屏调度（监管：更新倒计时、可用性、工单）：{base}/console/supervision")
    passwords = hub.demo_passwords()
    if passwords:
        click.echo("  演示用户（用户名 / 密码，角色）：")
        for user in hub.config.directory.users:
            roles = "；".join(
                f"{site}: " + "、".join(ROLE_LABELS[r] for r in rs)
                for site, rs in user.roles.items()
            )
            click.echo(f"    {user.id:<10} {passwords[user.id]}  {user.name}（{roles}）")
    for site in hub.config.directory.sites:
        click.echo(f"  网站  {site.name}：{base}/sites/{site.key}/index.html")
    for account in hub.config.directory.accounts:
        if account.channel is Channel.APP:
            click.echo(f"  客户端稿件流  {account.name}：{base}/app/v1/feed?app={account.id}")
        if account.channel is Channel.SCREEN:
            token = hub.screen_token(account.id)
            click.echo(
                f"  大屏  {account.name}：{base}/screen/v1/screens/{account.id}/display#token={token}"
            )
    if serving.sandbox_server is not None:
        sandbox = serving.sandbox_server.url
        click.echo(f"  渠道沙箱（微信公众号、微博已发布的内容）：{sandbox}/_sandbox/")
        click.echo(f"  渠道沙箱（JPush 推送记录）：{sandbox}/_sandbox/jpush/pushes")
    if distributed:
        click.echo(
            "分布式运行时：本节点只提供网站与接口；投递由 hub worker 进程执行。按 Ctrl-C 退出。"
        )
    else:
        click.echo("投递引擎" + ("运行中" if not no_engine else "未启动") + "。按 Ctrl-C 退出。")
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stopped.wait()
    click.echo("正在停止…")
    serving.stop()


def free_port(host: str) -> int:
    """A port nobody listens on now (the sandboxes take it a moment later)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
