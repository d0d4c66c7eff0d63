"""How an article will look on each of its targets before it goes out (发布预览): the site's
own page template, the app's article view, the large screen's card. Rendered by the
channels' own code from the current revision, with no side effect on any channel.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from channels.contract import ChannelError, DeliveryItem, first_image
from channels.wechat.render import wechat_body, wechat_title
from channels.weibo.text import units
from hub.runtime.embedded import EmbeddedHub
from hub.web.pages import TEMPLATES
from workflows.article_state import ArticleState
from workflows.beijing_time import beijing_text
from workflows.delivery_events import DeliveryAction
from workflows.errors import DomainError
from workflows.publication import CHANNEL_LABELS, Channel, Target

# What a preview page may do inside the article page's frame: show, not run.
HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'self'; img-src 'self' http: https:; "
    "style-src 'self' 'unsafe-inline'",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
}


def preview_targets(hub: EmbeddedHub, state: ArticleState) -> list[dict[str, str]]:
    """The targets publishing would reach by default (its columns and the accounts they feed,
    or where it is live), of channels this hub delivers to."""
    targets: tuple[Target, ...] = state.live.targets if state.live else ()
    if not targets:
        targets = hub.publishing.targets_for(state, [], feeds=True)
    directory = hub.config.directory
    choices = []
    for target in targets:
        if target.channel not in hub.adapters:
            continue
        if target.channel is Channel.WEBSITE:
            site = directory.site(target.account)
            column = site.column(str(target.column))
            name = f"{site.name} · {column.name if column else target.column}"
        else:
            name = directory.account(target.account).name
        choices.append({"key": target.key, "label": f"{CHANNEL_LABELS[target.channel]}：{name}"})
    return choices


def draft_item(hub: EmbeddedHub, state: ArticleState, target: Target) -> DeliveryItem:
    """The current revision as a channel would receive it, for previews and preflight (no
    delivery exists, nothing is sent)."""
    assert state.content is not None
    site = hub.config.directory.site(state.site)
    return DeliveryItem(
        delivery_id="preview",
        article_id=state.article_id,
        revision=state.revision,
        content_hash=state.content_hash,
        target=target,
        action=DeliveryAction.PUBLISH,
        content=state.content,
        published_at=datetime.now(UTC),
        article_site=site.key,
        article_column=state.columns[0] if state.columns else "",
    )


def render_preview(hub: EmbeddedHub, state: ArticleState, target_key: str) -> str:
    """The page of `target_key` (one of `preview_targets`) for the current revision."""
    if target_key not in {t["key"] for t in preview_targets(hub, state)}:
        raise DomainError("TARGET_UNKNOWN", f"稿件不会发布到 {target_key}，无法预览")
    assert state.content is not None
    target = Target.parse(target_key)
    item = draft_item(hub, state, target)
    adapter: Any = hub.adapters[target.channel]
    if target.channel is Channel.WEBSITE:
        page = adapter.render(item, local_media=False)
        key = hub.config.directory.site(target.account).key
        # The page links its styles relative to where it will live on the site.
        return page.replace("<head>", f'<head><base href="/sites/{key}/{target.column}/">', 1)
    if target.channel is Channel.SCREEN:
        card = adapter.screen_item(item)
        return TEMPLATES.get_template("console/preview_screen.html").render(card=card)
    published_at = beijing_text(item.published_at)
    account_name = hub.config.directory.account(target.account).name
    if target.channel is Channel.WECHAT:
        return _wechat(adapter, item, account_name, published_at)
    if target.channel is Channel.WEIBO:
        return _weibo(adapter, item, account_name, published_at)
    return TEMPLATES.get_template("console/preview_app.html").render(
        content=state.content, meta=state.content.metadata, account=target.account,
        published_at=beijing_text(item.published_at),
    )  # fmt: skip


def _wechat(adapter: Any, item: DeliveryItem, account_name: str, published_at: str) -> str:
    """The article as WeChat will show it: its HTML subset, and what would stop it."""
    problems = []
    content = item.content
    try:
        title = wechat_title(content.title)
    except ChannelError as exc:
        title, problems = content.title, [exc.reason]
    try:
        body = wechat_body(content.body_html, lambda src: src)  # the hub's images, as-is
    except ChannelError as exc:
        body, problems = "", [*problems, exc.reason]
    return TEMPLATES.get_template("console/preview_wechat.html").render(
        title=title, body=body, problems=problems, account=item.target.account,
        account_name=account_name, author=content.metadata.source[:16],
        published_at=published_at[:10], source_url=adapter.link(item) if adapter.link else "",
    )  # fmt: skip


def _weibo(adapter: Any, item: DeliveryItem, account_name: str, published_at: str) -> str:
    """The post as Weibo will show it: its text (within 140), the link and the picture."""
    link = adapter.link(item)
    try:
        text = adapter.text(item)
    except ChannelError as exc:
        return TEMPLATES.get_template("console/preview_weibo.html").render(
            problem=exc.reason, account=item.target.account)  # fmt: skip
    first = first_image(item.content.body_html)
    return TEMPLATES.get_template("console/preview_weibo.html").render(
        problem="", account=item.target.account, account_name=account_name,
        published_at=published_at, text_before=text.removesuffix(link), link=link,
        picture=first or "", units=units(text),
    )  # fmt: skip
