"""Publication rules of the article stream (先审后发): publish now or later to targets, move
or cancel a schedule, release a due schedule, retract or expire what is live. Pure, no I/O;
the time is passed in with each command."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from events.envelope import Event
from workflows.article_commands import (
    ActingUser,
    PublishArticle,
    ReleasePublication,
    ReschedulePublication,
    RetractArticle,
    ReuseArticle,
)
from workflows.article_events import (
    ArticlePublished,
    ArticleRetracted,
    ArticleReused,
    PublicationCancelled,
    PublicationRescheduled,
    PublicationScheduled,
    TargetsWithdrawn,
)
from workflows.article_guards import checked_event, require_role, require_status
from workflows.article_state import ArticleState
from workflows.errors import DomainError
from workflows.publication import Channel, Publication, Target, merge_targets
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


def target_site(target: Target, target_sites: Mapping[str, str], state: ArticleState) -> str:
    """The code of the site that answers for a target: a website target names its site; an
    account belongs to the site the configuration gives it (the article's own if unknown)."""
    if target.channel is Channel.WEBSITE:
        return target.account
    return target_sites.get(target.key, state.site)


def _require_publisher_on_targets(
    actor: ActingUser, targets: tuple[Target, ...], sites: Mapping[str, str], state: ArticleState
) -> None:
    """Each site's organiser (主办单位) answers for what appears on it: publishing to a column
    or account needs a publishing role on the site it belongs to. (A cross-site offer that
    the receiving site accepts will be its own command; it will not pass through here.)"""
    for target in targets:
        _require_publisher_on(actor, target_site(target, sites, state), target.key)


def _require_publisher_on(actor: ActingUser, site: str, target: str = "") -> None:
    if not publishes_on(actor, site):
        where = f"，不能发布到或撤下 {target}" if target else ""
        raise DomainError(
            "SITE_ROLE_REQUIRED",
            f"用户 {actor.user_id} 在站点 {site} 没有发布权限{where}",
            user=actor.user_id,
            site=site,
            target=target,
        )


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
    _require_publisher_on_targets(command.actor, added, command.target_sites, state)
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
    if command.sites and not command.expired:
        return _withdraw(command, state)
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


def retraction_scope(
    actor: ActingUser, state: ArticleState, target_sites: Mapping[str, str]
) -> tuple[str, ...]:
    """The sites a retraction by `actor` covers: () (every target) for a publisher of the
    article's own site; else the receiving sites where the actor publishes."""
    if publishes_on(actor, state.site) or state.live is None:
        return ()
    sites = {target_site(t, target_sites, state) for t in state.live.targets}
    return tuple(sorted(s for s in sites if publishes_on(actor, s)))


def publishes_on(actor: ActingUser, site: str) -> bool:
    """Whether the actor holds a publishing role (`PUBLISHERS`) on a site."""
    return any(role in actor.roles_on(site) for role in PUBLISHERS)


def _withdraw(command: RetractArticle, state: ArticleState) -> list[Event]:
    """A site's own staff take the article off that site's columns and accounts."""
    reason = command.reason.strip()
    if not reason:
        raise DomainError("REASON_REQUIRED", "撤稿必须填写原因")
    live = state.live
    events: list[Event] = []
    for site in command.sites:
        _require_publisher_on(command.actor, site)
        targets = tuple(
            t
            for t in (live.targets if live else ())
            if target_site(t, command.target_sites, state) == site
        )
        if live is None or not targets:
            raise DomainError("NOT_PUBLISHED", f"稿件未在站点 {site} 发布，无需撤稿", site=site)
        events.append(
            TargetsWithdrawn(
                publication_id=live.publication_id,
                revision=live.revision,
                site=site,
                targets=targets,
                withdrawn_by=command.actor.user_id,
                reason=reason,
            )
        )
    return events


def reuse(command: ReuseArticle, state: ArticleState) -> list[Event]:
    """A receiving site's staff place the live revision on their columns. They need a
    publishing role there, none on the source's site: the source's three reviews stand for
    the revision they take (and follow it: a correction or a retraction reaches them)."""
    live = state.live
    if live is None:  # (a correction in review does not stop it: it follows when approved)
        raise DomainError("NOT_PUBLISHED", "只能引用已发布的稿件")
    targets = merge_targets(command.targets)
    if not targets:
        raise DomainError("TARGETS_REQUIRED", "请至少选择本站的一个栏目")
    foreign = [
        t.key for t in targets if target_site(t, command.target_sites, state) != command.site
    ]
    if foreign:
        raise DomainError("TARGET_OTHER_SITE", f"引用只能放到本站的栏目或账号: {', '.join(foreign)}",
                          targets=foreign)  # fmt: skip
    _require_publisher_on_targets(command.actor, targets, command.target_sites, state)
    if command.site == state.site:
        raise DomainError("REUSE_OWN_SITE", "本站稿件请直接发布到本站栏目，无需引用")
    added = tuple(t for t in targets if t not in live.targets)
    if not added:
        raise DomainError("ALREADY_REUSED", "所选栏目已在展示该稿件")
    publication = Publication(
        publication_id=command.publication_id, revision=live.revision,
        content_hash=live.content_hash, targets=merge_targets(live.targets, added),
        publish_at=command.now, expire_at=live.expire_at,
    )  # fmt: skip
    reused = ArticleReused(site=command.site, targets=added, revision=live.revision,
                           content_hash=live.content_hash, reused_by=command.actor.user_id,
                           source_site=state.site, reuse_id=command.reuse_id)  # fmt: skip
    return [reused, _published(publication, state, command.actor.user_id)]
