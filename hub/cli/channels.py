"""`hub channels health|authorize`: the channel accounts as the operators see them."""

from __future__ import annotations

import click

from hub.cli.articles import json_option
from hub.cli.auth import require_admin
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from workflows.errors import DomainError
from workflows.vocabulary import CHANNEL_LABELS, Channel


@click.group("channels")
def channels() -> None:
    """渠道账号：健康状况、授权；按事件重建客户端稿件流与大屏播单。"""


@channels.command("health")
@click.option("--channel", type=click.Choice([str(c) for c in Channel]), default=None,
              help="只看这个渠道")  # fmt: skip
@click.option("--all", "everything", is_flag=True, help="也列出网站")
@json_option
@click.pass_context
def health(ctx: click.Context, channel: str | None, everything: bool, as_json: bool) -> None:
    """每个账号的健康状况：令牌、配额、熔断、投递情况与最近的错误。"""
    from workflows.delivery_decider import DELIVERY_STATUS_LABELS

    rows = [
        row
        for row in hub_of(ctx).delivery_service.accounts()
        if (channel is None or row["channel"] == channel)
        and (everything or channel == "website" or row["channel"] != "website")
    ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        circuit = (
            "熔断中，至 " + row["circuit_until"][11:19] if row["circuit"] == "open" else "正常"
        )
        parts = [f"{CHANNEL_LABELS.get(row['channel'], row['channel'])} {row['account']} "
                 f"{row['name']}", f"  连接：{circuit}（连续失败 {row['consecutive_failures']} 次）"]  # fmt: skip
        token = row.get("token") or row.get("push")
        if token:
            expiry = row.get("token_expires_at") or row.get("token_expires_in") or ""
            parts.append(f"  令牌：{token}{'，到期 ' + str(expiry) if expiry else ''}")
        if row.get("quota_remaining"):
            parts.append(f"  配额剩余：{row['quota_remaining']}")
        counts = "，".join(f"{DELIVERY_STATUS_LABELS.get(k, k)} {v}"
                           for k, v in sorted(row["deliveries"].items())) or "无"  # fmt: skip
        parts.append(f"  投递：{counts}")
        if row["last_error"]:
            parts.append(f"  最近错误：{row['last_error']}")
        click.echo("\n".join(parts))


@channels.command("authorize")
@click.argument("account")
@click.option("--code", default=None, help="账号持有人在微博授权页同意后，回调地址中的 code")
@json_option
@click.pass_context
def authorize(ctx: click.Context, account: str, code: str | None, as_json: bool) -> None:
    """微博账号授权（OAuth2 授权码）：先打印授权页地址，持有人同意后用 --code 换取令牌。"""
    from channels.contract import ChannelError
    from hub.delivery.accounts import is_local

    hub = hub_of(ctx)
    found = hub.config.directory.account(account)
    if found.channel is Channel.WECHAT:
        message = "微信公众号无需授权：中枢用 AppID 与 AppSecret 自动获取 access_token"
        if as_json:
            emit_json({"account": account, "message": message})
        else:
            click.echo(message)
        return
    if found.channel is not Channel.WEIBO:
        raise DomainError(
            "INVALID_INPUT", f"账号 {account} 是{CHANNEL_LABELS[found.channel]}，无需授权"
        )
    api = hub.adapters[Channel.WEIBO].accounts.get(account)  # type: ignore[attr-defined]
    if api is None:
        problem = hub.adapters[Channel.WEIBO].problems.get(account, "")  # type: ignore[attr-defined]
        raise DomainError("CHANNEL_NOT_CONFIGURED", f"微博账号 {account} 未配置完整：{problem}")
    try:
        if code:
            token = api.exchange(code)
        elif is_local(api.base_url):
            token = api.authorize_locally()  # the sandbox consents without a browser
        elif as_json:
            emit_json({"account": account, "authorize_url": api.authorize_url()})
            return
        else:
            click.echo("请账号持有人在浏览器中打开并同意授权：")
            click.echo(f"  {api.authorize_url()}")
            click.echo(f"再运行：hub channels authorize {account} --code <回调地址中的 code>")
            return
    except ChannelError as exc:
        raise DomainError("CHANNEL_AUTHORIZE_FAILED", f"微博授权失败：{exc.reason}") from None
    days = (token.expires_at - api.clock()) / 86_400
    if as_json:
        emit_json({"account": account, "expires_in_days": round(days, 1)})
        return
    click.echo(f"已授权 {account}（{found.name}），令牌 {days:.1f} 天后到期")


@channels.command("render")
@click.argument("account_refs", metavar="[ACCOUNT]...", nargs=-1)
@click.option("--channel", "channel_name", type=click.Choice(["app", "screen"]), default=None,
              help="只重建这个渠道（默认客户端与大屏都重建）")  # fmt: skip
@json_option
@click.pass_context
def render_command(
    ctx: click.Context, account_refs: tuple[str, ...], channel_name: str | None, as_json: bool
) -> None:
    """按事件重建客户端稿件流和大屏播单（渠道的小库丢失或损坏后）：内容、版本与顺序同原来一致，
    变更号从原来的之后接着编，客户端和大屏从任何游标同步都不会漏掉。须系统管理员。"""
    from hub.commands.feed_render import FEED_CHANNELS, accounts_of, render_feeds

    require_admin(ctx)
    hub = hub_of(ctx)
    directory = hub.config.directory
    chosen = [c for c in FEED_CHANNELS if channel_name in (None, str(c))]
    wanted = {c: [a for a in accounts_of(hub, c) if not account_refs or a in account_refs]
              for c in chosen}  # fmt: skip
    for ref in account_refs:
        account = directory.account(ref)  # unknown: ACCOUNT_NOT_FOUND
        if account.channel not in chosen:
            raise DomainError("INVALID_INPUT", f"账号 {ref} 是{CHANNEL_LABELS[account.channel]}，"
                              "只有客户端和大屏可以重建")  # fmt: skip
    written = {str(c): render_feeds(hub, c, accounts) for c, accounts in wanted.items()}
    if as_json:
        emit_json(written)
        return
    for channel, counts in written.items():
        for name, entries in counts.items():
            click.echo(f"{CHANNEL_LABELS[Channel(channel)]} {name}：{entries} 条")
    click.echo(f"已重建 {sum(len(c) for c in written.values())} 个账号")
