"""Who the command line acts as, and how they proved it.

A command acts as a user only with that user's credentials: an API token in `HUB_TOKEN`, or
the one `hub login` stored in the user's token file (readable by the OS user alone; a file
that others can read is refused). `--as USER` without credentials is accepted only when the
hub runs its demo (`demo_logins`). Administrative commands (init, rebuild, backup, restore,
passwords of others) need the admin role; on a hub where no administrator has a password yet,
`hub init` and `hub passwd` may set one up (the first start).

How the actor was authenticated is recorded with every event the command writes
(`events.envelope.authenticated_via`): `cli-token:<token id>` or `cli-demo`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.cli.context import hub_of
from workflows.errors import DomainError

if TYPE_CHECKING:
    from hub.runtime.embedded import EmbeddedHub

ADMIN = "admin"


def token_file(hub: EmbeddedHub) -> Path:
    """Where `hub login` keeps this user's token for this hub (one file per configuration)."""
    if os.environ.get("HUB_TOKEN_FILE"):
        return Path(os.environ["HUB_TOKEN_FILE"])
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    tag = hashlib.sha256(str(hub.config.root.resolve()).encode()).hexdigest()[:12]
    return home / "hub" / f"token-{tag}"


def write_token(path: Path, secret: str) -> None:
    """Store a token readable and writable by this OS user only (folder 0700, file 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(secret + "\n")


def _stored_token(path: Path) -> str | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or info.st_uid != os.getuid():
        raise DomainError("LOGIN_REQUIRED", f"令牌文件 {path} 的权限过宽（其他用户可读），已拒绝使用；"
                                            "请删除后重新 hub login")  # fmt: skip
    return path.read_text(encoding="utf-8").strip() or None


def credentials(hub: EmbeddedHub) -> tuple[str, str] | None:
    """The user the presented token belongs to and how it was presented, or None (no
    token). A token that does not open is refused, never ignored."""
    secret = os.environ.get("HUB_TOKEN") or _stored_token(token_file(hub))
    if not secret:
        return None
    owner = hub.logins.token_owner(secret)
    if owner is None:
        raise DomainError(
            "LOGIN_FAILED", "令牌无效、已过期或已吊销：请重新 hub login（或更换 HUB_TOKEN）"
        )
    user, token_id = owner
    return user, f"cli-token:{token_id}"


def acting_user(ctx: click.Context, requested: str | None) -> str:
    """The user a command acts as (`--as`, checked against the credentials)."""
    hub = hub_of(ctx)
    found = credentials(hub)
    if found is not None:
        user, via = found
        if requested and requested != user:
            raise DomainError("ACT_AS_OTHER", f"已登录为 {user}，不能以 {requested} 的身份操作")
    elif requested and hub.config.settings.demo_logins:
        user, via = requested, "cli-demo"
    elif requested:
        raise DomainError("LOGIN_REQUIRED", f"以 {requested} 的身份操作须先登录：hub login {requested}"
                                            "（或设置 HUB_TOKEN）；--as 只在演示模式下免登录")  # fmt: skip
    else:
        raise DomainError("LOGIN_REQUIRED", "须先登录：hub login 用户名（或设置 HUB_TOKEN），"
                                            "演示模式下可用 --as 用户名")  # fmt: skip
    hub.config.directory.user(user)  # a user no longer configured acts no more
    _via().set(via)
    return user


def is_admin(hub: EmbeddedHub, user: str) -> bool:
    person = hub.config.directory.user(user)
    return any(ADMIN in roles for roles in person.roles.values())


def require_admin(ctx: click.Context, *, bootstrap: bool = False) -> str:
    """The administrator a command runs for; `bootstrap`: on a hub where no administrator
    has a password yet, the OS user who runs it is trusted to set one up."""
    hub = hub_of(ctx)
    if hub.config.settings.demo_logins and credentials(hub) is None:
        _via().set("cli-demo")
        return "system"
    if bootstrap and not any(hub.logins.has_password(u.id) for u in hub.config.directory.users
                             if is_admin(hub, u.id)):  # fmt: skip
        _via().set("cli-bootstrap")
        return "system"
    user = acting_user(ctx, None)
    if not is_admin(hub, user):
        raise DomainError("ADMIN_REQUIRED", f"{user} 没有系统管理员（admin）角色，不能执行此命令")
    return user


def _resolve(ctx: click.Context, _: click.Parameter, value: str | None) -> str:
    return acting_user(ctx, value)


as_option = click.option(
    "--as", "user", default=None, metavar="USER", callback=_resolve, expose_value=True,
    help="操作用户：须与已登录（hub login / HUB_TOKEN）的用户一致；演示模式下可免登录直接指定",
)  # fmt: skip


def _via() -> ContextVar[str | None]:
    """`events.envelope.authenticated_via` (loaded with the hub, not with `--help`)."""
    from events.envelope import authenticated_via

    return authenticated_via
