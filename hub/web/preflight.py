"""Before the click: which accounts of a publication plan would refuse the article now, and
why (a WeChat title over 32 characters, a Weibo post that cannot fit, an expired Weibo
authorisation, a circuit open after repeated failures), so the plan says it instead of a
delivery failing after 已发布."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from channels.contract import ChannelError
from channels.wechat.render import wechat_body, wechat_title
from channels.weibo.adapter import WeiboAdapter
from hub.web.preview import draft_item
from workflows.article_state import ArticleState
from workflows.publication import Channel, Target

if TYPE_CHECKING:
    from hub.runtime.embedded import EmbeddedHub


def preflight(hub: EmbeddedHub, state: ArticleState) -> dict[str, list[str]]:
    """For each configured account (`channel:id`), the reasons it would refuse the current
    revision now; accounts with none are left out."""
    if state.content is None:
        return {}
    health = {row["account"]: row for row in hub.delivery_service.accounts()}
    found: dict[str, list[str]] = {}
    for account in hub.config.directory.accounts:
        if account.channel not in hub.adapters:
            continue
        target = Target(channel=account.channel, account=account.id)
        reasons = _account_state(account.channel, health.get(account.id, {}))
        reasons += _content(hub, state, target)
        if reasons:
            found[target.key] = reasons
    return found


def _account_state(channel: str, row: dict[str, Any]) -> list[str]:
    reasons = []
    if row.get("circuit") == "open":
        reasons.append("连续投递失败，渠道已暂停（熔断），恢复前不会投递")
    token = row.get("token")
    if channel == Channel.WEIBO and token and token != "有效":
        reasons.append(f"微博{token}，请账号管理员重新授权（hub channels authorize）")
    return reasons


def _content(hub: EmbeddedHub, state: ArticleState, target: Target) -> list[str]:
    assert state.content is not None
    try:
        if target.channel is Channel.WECHAT:
            wechat_title(state.content.title)
            wechat_body(state.content.body_html, lambda src: src)
        elif isinstance(weibo := hub.adapters[target.channel], WeiboAdapter):
            weibo.text(draft_item(hub, state, target))
    except ChannelError as exc:
        return [exc.reason]
    return []
