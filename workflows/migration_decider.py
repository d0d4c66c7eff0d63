"""Migration (迁移) of a site's archive: a page its previous system published comes over as an
article that is live at once, with its original date. The review happened in that system; the
import records where the page came from and who brought it over, so the audit can tell an
imported revision from one that skipped review here. Pure, no I/O."""

from __future__ import annotations

from events.envelope import Event
from workflows.article_commands import ImportArticle
from workflows.article_events import ArticleCreated, ArticleImported, ArticlePublished
from workflows.article_state import ArticleState
from workflows.errors import DomainError
from workflows.publication import Channel, Publication, Target
from workflows.vocabulary import Role

IMPORTERS = (Role.ADMIN, Role.OPERATOR)  # the platform's staff migrate; editors write anew


def import_article(command: ImportArticle, state: ArticleState) -> list[Event]:
    if state.exists:
        raise DomainError("ARTICLE_EXISTS", f"稿件 {command.article_id} 已存在")
    if not any(r in command.actor.roles_on(command.site) for r in IMPORTERS):
        raise DomainError("SITE_ROLE_REQUIRED",
                          f"用户 {command.actor.user_id} 在该站点没有运维或管理员权限，不能迁移存档",
                          user=command.actor.user_id, site=command.site)  # fmt: skip
    if not command.columns:
        raise DomainError("COLUMN_REQUIRED", "稿件至少要放入一个栏目")
    published = command.published_at
    if published.tzinfo is None or command.now.tzinfo is None:
        raise DomainError("TIME_ZONE_REQUIRED", "时间必须带时区")
    if published > command.now:
        raise DomainError("PUBLISHED_IN_FUTURE", "原发布时间晚于当前时间")
    if not command.source_url.strip():
        raise DomainError("SOURCE_REQUIRED", "迁移的页面须注明原地址")
    content_hash = command.content.content_hash()
    targets = tuple(Target(channel=Channel.WEBSITE, account=command.site, column=c)
                    for c in dict.fromkeys(command.columns))  # fmt: skip
    by = command.actor.user_id
    created = ArticleCreated(
        article_id=command.article_id,
        site=command.site,
        columns=command.columns,
        author=by,
        workflow=command.workflow,
        revision=1,
        content=command.content,
        content_hash=content_hash,
    )
    imported = ArticleImported(
        revision=1,
        content_hash=content_hash,
        source_url=command.source_url,
        original_published_at=published,
        imported_by=by,
        source_system=command.source_system,
    )
    publication = Publication(
        publication_id=command.publication_id,
        revision=1,
        content_hash=content_hash,
        targets=targets,
        publish_at=published,
    )
    return [
        created,
        imported,
        ArticlePublished(
            publication=publication,
            published_by=by,
            added_targets=targets,
            original_published_at=published,
        ),
    ]
