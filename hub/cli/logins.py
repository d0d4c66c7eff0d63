"""Passwords and API tokens of the web interface: `hub passwd`, `hub token …`."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from hub.cli.articles import json_option
from hub.cli.auth import credentials, require_admin, token_file, write_token
from hub.cli.context import hub_of
from hub.cli.output import emit_json
from workflows.beijing_time import beijing_text
from workflows.errors import DomainError


@click.command("passwd")
@click.argument("user")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取新密码（脚本用）")
@json_option
@click.pass_context
def passwd(ctx: click.Context, user: str, password_stdin: bool, as_json: bool) -> None:
    """设置用户的登录密码（至少 10 个字符，不能是常见密码、重复或连续字符、键盘顺序或含用户名；
    该用户已登录的会话和接口令牌全部失效）。"""
    hub = hub_of(ctx)
    person = hub.config.directory.user(user)  # an unknown user is refused before anything else
    found = credentials(hub)
    if found is None or found[0] != user:  # one's own password, or an administrator's act
        require_admin(ctx, bootstrap=True)
    password = read_password("新密码", password_stdin, confirm=True)
    hub.logins.set_password(user, password, (person.name, person.unit))
    if as_json:
        emit_json({"user": user, "password_set": True})
        return
    click.echo(f"已设置 {user} 的密码（该用户的会话与接口令牌已失效）")


@click.group("token")
def token() -> None:
    """接口（API）令牌：给机器调用 /api/v1 用，按 Authorization: Bearer 令牌 传入。"""


@token.command("create")
@click.option("--as", "user", required=True, help="令牌代表的用户（权限与该用户相同）")
@click.option("--name", default="api", help="用途说明")
@click.option("--days", type=click.IntRange(1, 366), default=90, show_default=True,
              help="有效天数（修改该用户密码后令牌也立即失效）")  # fmt: skip
@json_option
@click.pass_context
def create(ctx: click.Context, user: str, name: str, days: int, as_json: bool) -> None:
    """新建令牌；令牌只显示这一次。"""
    hub = hub_of(ctx)
    hub.config.directory.user(user)
    found = credentials(hub)
    if found is None or found[0] != user:  # one's own token, or an administrator's act
        require_admin(ctx)
    made, secret = hub.logins.create_token(user, name, timedelta(days=days))
    if as_json:
        emit_json({"id": made.token_id, "user": user, "name": made.name, "token": secret,
                   "expires_at": made.expires_at})  # fmt: skip
        return
    click.echo(
        f"令牌 {made.token_id}（{user}，{made.name}，有效至 {beijing_text(made.expires_at)}）："
        f"{secret}\n请妥善保存，之后无法再次查看。"
    )


@token.command("list")
@click.option("--as", "user", default=None, help="只列出该用户的令牌")
@json_option
@click.pass_context
def list_tokens(ctx: click.Context, user: str | None, as_json: bool) -> None:
    """列出令牌（不含令牌本身）。"""
    tokens = hub_of(ctx).logins.tokens(user)
    if as_json:
        emit_json([t.__dict__ for t in tokens])
        return
    for t in tokens:
        state = (
            f"已吊销 {beijing_text(t.revoked_at)}"
            if t.revoked_at
            else f"有效至 {beijing_text(t.expires_at)}"
        )
        click.echo(f"{t.token_id}  {t.user_id:<10} {t.name}  {beijing_text(t.created_at)}  {state}")


@token.command("revoke")
@click.argument("token_id")
@click.pass_context
def revoke(ctx: click.Context, token_id: str) -> None:
    """吊销令牌（立即失效）。"""
    hub_of(ctx).logins.revoke_token(token_id)
    click.echo(f"已吊销令牌 {token_id}")


@click.command("login")
@click.argument("user")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（脚本用）")
@click.option("--days", type=click.IntRange(1, 30), default=7, show_default=True,
              help="登录有效天数")  # fmt: skip
@json_option
@click.pass_context
def login(ctx: click.Context, user: str, password_stdin: bool, days: int, as_json: bool) -> None:
    """登录命令行：验证密码后，把令牌存入只有当前系统用户可读的文件；之后的命令以该用户身份执行。"""
    hub = hub_of(ctx)
    hub.config.directory.user(user)
    password = read_password("密码", password_stdin)
    if not hub.logins.verify(user, password, address="cli"):
        raise DomainError("LOGIN_FAILED", "用户名或密码不正确")
    made, secret = hub.logins.create_token(user, "命令行登录", timedelta(days=days))
    path = token_file(hub)
    write_token(path, secret)
    if as_json:
        emit_json({"user": user, "token_id": made.token_id, "file": str(path),
                   "expires_at": made.expires_at})  # fmt: skip
        return
    click.echo(f"已登录为 {user}（令牌 {made.token_id}，有效至 {beijing_text(made.expires_at)}，"
               f"存于 {path}）")  # fmt: skip


@click.command("logout")
@json_option
@click.pass_context
def logout(ctx: click.Context, as_json: bool) -> None:
    """退出命令行登录：吊销令牌并删除令牌文件。"""
    hub = hub_of(ctx)
    path = token_file(hub)
    secret = path.read_text(encoding="utf-8").strip() if path.exists() else ""
    owner = hub.logins.token_owner(secret) if secret else None
    if owner is not None:
        hub.logins.revoke_token(owner[1])
    path.unlink(missing_ok=True)
    if as_json:
        emit_json({"logged_out": owner[0] if owner else None})
        return
    click.echo(f"已退出登录（{owner[0]}）" if owner else "当前没有登录")


def read_password(label: str, from_stdin: bool, *, confirm: bool = False) -> str:
    """A password from the first line of standard input (scripts), or typed unseen."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(
        click.prompt(label, hide_input=True, confirmation_prompt="再次输入" if confirm else False)
    )
