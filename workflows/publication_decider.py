"""Publication rules of the article stream (先审后发): publish now or later to targets, move
or cancel a schedule, release a due schedule, retract or expire what is live. Pure, no I/O;
the time is passed in with each command."""

from __future__ import annotations

from datetime import datetime

from events.envelope import Event
from workflows.article_commands import (
    ActingUser,
    PublishArticle,
    ReleasePublication,
    ReschedulePublication,
    RetractArticle,
)
from workflows.article_events import (
    ArticlePublished,
    ArticleRetracted,
    PublicationCancelled,
    PublicationRescheduled,
    PublicationScheduled,
)
from workflows.article_guards import checked_event, require_role, require_status
from workflows.article_state import ArticleState
from workflows.errors import DomainError
from workflows.publication import Publication, merge_targets
from workflows.vocabulary import ArticleStatus, Role

PUBLISHERS = (Role.EDITOR, Role.OPERATOR, Role.ADMIN)
_PUBLISHABLE = (ArticleStatus.APPROVED, ArticleStatus.PUBLISHED, ArticleStatus.RETRACTED)


def publishing_role(actor: ActingUser, site: str) -> str:
    """The role an actor publishes in on a site (the first of `PUBLISHERS` they hold)."""
    held = actor.roles_on(site)
    return next((r for r in PUBLISHERS if r in held), Role.EDITOR)


def _require_publisher(actor: ActingUser, state: ArticleState) -> None:
    if not any(role in actor.roles_on(state.site) for role in PUBLISHERS):
        require_role(actor, state.site, Role.EDITOR)


def _require_expiry_after(expire_at: datetime | None, start: datetime) -> None:
    if expire_at is not None and expire_at <= start:
        raise DomainError(
            "EXPIRY_BEFORE_PUBLICATION",
            "下线时间必须晚于发布时间",
            expire_at=expire_at.isoformat(),
        )


def _require_aware(*moments: datetime | None) -> None:
    if any(m is not None and m.tzinfo is None for m in moments):
        raise DomainError("TIME_ZONE_REQUIRED", "时间必须带时区")


def publish(command: PublishArticle, state: ArticleState) -> list[Event]:
    _require_publisher(command.actor, state)
    if state.status is ArticleStatus.SCHEDULED:
        raise DomainError("PUBLICATION_SCHEDULED", "稿件已定时发布，请改期或先撤销定时")
    require_status(state, _PUBLISHABLE, "发布")
    if state.approved_hash != state.content_hash:
        raise DomainError("NOT_APPROVED", "当前版本未经三审审定，不能发布（先审后发）")
    _require_aware(command.now, command.publish_at, command.expire_at)
    live = state.live
    at = command.publish_at or command.now
    scheduled = at > command.now
    added = tuple(t for t in merge_targets(command.targets) if not live or t not in live.targets)
    if live is not None and live.revision == state.revision:
        # Already out in this revision: publishing again adds targets, at once.
        if not added:
            raise DomainError("NOTHING_TO_PUBLISH", "所选目标均已发布过本版本")
        if scheduled:
            raise DomainError("SCHEDULE_NOT_ALLOWED", "已发布的稿件追加发布目标时不能定时")
    elif live is None and not command.targets:
        raise DomainError("TARGETS_REQUIRED", "请至少选择一个发布目标（站点栏目或账号）")
    expire_at = command.expire_at or (live.expire_at if live else None)
    _require_expiry_after(expire_at, at)
    publication = Publication(
        publication_id=command.publication_id,
        revision=state.revision,
        content_hash=state.content_hash,
        targets=merge_targets(live.targets if live else (), command.targets),
        publish_at=at,
        expire_at=expire_at,
        notify=command.notify,
        mass_send=command.mass_send,
    )
    checked = checked_event(command.report, state.revision, state.content_hash, "publish")
    if checked.blocked:
        return [checked]  # recorded; the service reports CHECKS_BLOCKED
    if scheduled:
        return [checked, PublicationScheduled(publication=publication, scheduled_by=_who(command))]
    return [checked, _published(publication, state, _who(command))]


def _who(command: PublishArticle | ReleasePublication | RetractArticle) -> str:
    return command.actor.user_id


def _published(publication: Publication, state: ArticleState, by: str) -> ArticlePublished:
    live = state.live
    return ArticlePublished(
        publication=publication,
        published_by=by,
        added_targets=tuple(t for t in publication.targets if not live or t not in live.targets),
        replaces_revision=live.revision if live and live.revision != publication.revision else None,
    )


def reschedule(command: ReschedulePublication, state: ArticleState) -> list[Event]:
    _require_publisher(command.actor, state)
    _require_aware(command.now, command.publish_at, command.expire_at)
    target: Publication | None = state.scheduled or state.live
    if target is None:
        raise DomainError("NOT_PUBLISHED", "稿件没有定时或已发布的版本，无需改期")
    if command.publish_at is not None:
        if state.scheduled is None:
            raise DomainError("ALREADY_PUBLISHED", "稿件已发布，只能修改下线时间")
        if command.publish_at <= command.now:
            raise DomainError("PUBLISH_TIME_PAST", "定时发布时间必须晚于当前时间")
    publish_at = command.publish_at or target.publish_at
    expire_at = None if command.clear_expiry else (command.expire_at or target.expire_at)
    _require_expiry_after(expire_at, max(publish_at, command.now))
    if (publish_at, expire_at) == (target.publish_at, target.expire_at):
        raise DomainError("NOTHING_CHANGED", "时间没有变化")
    return [
        PublicationRescheduled(
            publication_id=target.publication_id,
            publish_at=publish_at,
            expire_at=expire_at,
            rescheduled_by=command.actor.user_id,
        )
    ]


def release(command: ReleasePublication, state: ArticleState) -> list[Event]:
    _require_publisher(command.actor, state)
    require_status(state, (ArticleStatus.SCHEDULED,), "按时发布")
    scheduled = state.scheduled
    assert scheduled is not None
    if command.now < scheduled.publish_at:
        raise DomainError("NOT_DUE", f"定时发布时间 {scheduled.publish_at.isoformat()} 未到")
    checked = checked_event(command.report, state.revision, state.content_hash, "publish")
    if checked.blocked:
        return [
            checked,
            PublicationCancelled(
                publication_id=scheduled.publication_id,
                cancelled_by=command.actor.user_id,
                reason="发布前系统强制校验未通过，定时发布已取消",
            ),
        ]
    return [checked, _published(scheduled, state, _who(command))]


def retract(command: RetractArticle, state: ArticleState) -> list[Event]:
    _require_publisher(command.actor, state)
    live, scheduled = state.live, state.scheduled
    reason = command.reason.strip()
    if command.expired:
        if live is None or live.expire_at is None:
            raise DomainError("NOT_PUBLISHED", "稿件没有设置下线时间的已发布版本")
        if command.now < live.expire_at:
            raise DomainError("NOT_DUE", f"下线时间 {live.expire_at.isoformat()} 未到")
        reason = reason or "到期自动下线"
    elif not reason:
        raise DomainError("REASON_REQUIRED", "撤稿必须填写原因")
    if live is None and scheduled is None:
        raise DomainError("NOT_PUBLISHED", "稿件未发布，无需撤稿")
    events: list[Event] = []
    if scheduled is not None and not command.expired:
        events.append(
            PublicationCancelled(
                publication_id=scheduled.publication_id,
                cancelled_by=command.actor.user_id,
                reason=reason,
            )
        )
    if live is not None:
        events.append(
            ArticleRetracted(
                publication_id=live.publication_id,
                revision=live.revision,
                targets=live.targets,
                retracted_by=command.actor.user_id,
                reason=reason,
                expired=command.expired,
            )
        )
    return events
