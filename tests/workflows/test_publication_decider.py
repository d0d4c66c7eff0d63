"""Publication rules: 先审后发, schedules, additions, corrections, retraction and expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workflows.builders import EDITOR, GATES, R1, R2, R3, SITE, content, created, run, user
from workflows.article_commands import (
    ActingUser,
    ApproveStage,
    ArchiveArticle,
    EditArticle,
    PublishArticle,
    ReleasePublication,
    ReschedulePublication,
    RetractArticle,
    SubmitArticle,
)
from workflows.article_events import (
    ArticleChecked,
    ArticlePublished,
    ArticleRetracted,
    PublicationCancelled,
    PublicationScheduled,
)
from workflows.article_state import ArticleState
from workflows.checks.engine import CheckReport
from workflows.checks.findings import Finding, Severity
from workflows.errors import DomainError
from workflows.publication import Target
from workflows.vocabulary import ArticleStatus

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
GOV = Target(channel="website", account=SITE, column="notices")
APP = Target(channel="app", account="sf-app")
SCREEN = Target(channel="screen", account="hall-1")
OPERATOR = user("op", "operator")


def code_of(state: ArticleState, command: object) -> str:
    with pytest.raises(DomainError) as info:
        run(state, command)  # type: ignore[arg-type]
    return info.value.code


def approve_all(state: ArticleState) -> ArticleState:
    if state.status is not ArticleStatus.IN_REVIEW:
        state, _ = run(state, SubmitArticle("a1", EDITOR))
    for reviewer, stage in ((R1, "first"), (R2, "second"), (R3, "final")):
        state, _ = run(state, ApproveStage("a1", state.revision, GATES[stage], reviewer))
    assert state.status is ArticleStatus.APPROVED
    return state


def publish(state: ArticleState, *targets: Target, **kw: object) -> tuple[ArticleState, list]:
    command = PublishArticle("a1", EDITOR, NOW, f"pub{state.revision}", targets)
    return run(state, replace(command, **kw))  # type: ignore[arg-type]


def test_an_approved_revision_is_published_after_the_publish_checks() -> None:
    state = approve_all(created())
    state, events = publish(state, GOV, APP)
    checked, published = events
    assert isinstance(checked, ArticleChecked) and checked.phase == "publish"
    assert isinstance(published, ArticlePublished)
    assert published.publication.content_hash == state.approved_hash
    assert published.added_targets == (GOV, APP) and published.replaces_revision is None
    assert state.status is ArticleStatus.PUBLISHED and state.live == published.publication


def test_publishing_needs_approval_targets_a_role_and_a_clean_check() -> None:
    draft = created()
    assert code_of(draft, PublishArticle("a1", EDITOR, NOW, "p", (GOV,))) == "INVALID_STATE"
    state = approve_all(created())
    assert code_of(state, PublishArticle("a1", EDITOR, NOW, "p")) == "TARGETS_REQUIRED"
    assert code_of(state, PublishArticle("a1", R1, NOW, "p", (GOV,))) == "SITE_ROLE_REQUIRED"
    assert run(state, PublishArticle("a1", OPERATOR, NOW, "p", (GOV,)))[0].live is not None
    naive = PublishArticle("a1", EDITOR, NOW.replace(tzinfo=None), "p", (GOV,))
    assert code_of(state, naive) == "TIME_ZONE_REQUIRED"
    stale = CheckReport(dictionary_version="v", content_hash="other")
    assert code_of(state, PublishArticle("a1", EDITOR, NOW, "p", (GOV,), report=stale)) == (
        "CHECKS_STALE"
    )
    block = Finding(
        rule="P09", severity=Severity.BLOCK, field="body", start=0, end=1, text="1", message="m"
    )
    blocked = CheckReport(
        dictionary_version="v2", findings=(block,), content_hash=state.content_hash
    )
    after, events = run(state, PublishArticle("a1", EDITOR, NOW, "p", (GOV,), report=blocked))
    assert [type(e) for e in events] == [ArticleChecked] and events[0].blocked
    assert after.status is ArticleStatus.APPROVED and after.live is None


def test_a_schedule_is_released_when_due_moved_or_cancelled() -> None:
    state = approve_all(created())
    state, events = publish(state, GOV, publish_at=LATER, expire_at=LATER + timedelta(days=1))
    assert isinstance(events[1], PublicationScheduled) and state.status is ArticleStatus.SCHEDULED
    assert code_of(state, ReleasePublication("a1", OPERATOR, NOW)) == "NOT_DUE"
    assert code_of(state, EditArticle("a1", content(title="改"), EDITOR)) == (
        "PUBLICATION_SCHEDULED"
    )
    assert code_of(state, PublishArticle("a1", EDITOR, NOW, "p", (APP,))) == (
        "PUBLICATION_SCHEDULED"
    )
    past = ReschedulePublication("a1", EDITOR, NOW, publish_at=NOW - timedelta(minutes=1))
    assert code_of(state, past) == "PUBLISH_TIME_PAST"
    late = ReschedulePublication("a1", EDITOR, NOW, publish_at=LATER + timedelta(days=2))
    assert code_of(state, late) == "EXPIRY_BEFORE_PUBLICATION"
    moved, _ = run(
        state, ReschedulePublication("a1", EDITOR, NOW, publish_at=NOW + timedelta(minutes=30))
    )
    assert moved.scheduled is not None and moved.scheduled.publish_at == NOW + timedelta(minutes=30)
    released, events = run(state, ReleasePublication("a1", OPERATOR, LATER))
    assert isinstance(events[-1], ArticlePublished) and released.status is ArticleStatus.PUBLISHED
    cancelled, events = run(state, RetractArticle("a1", EDITOR, NOW, "暂不发布"))
    assert [type(e) for e in events] == [PublicationCancelled]
    assert cancelled.status is ArticleStatus.APPROVED and cancelled.scheduled is None


def test_publishing_again_adds_targets_only() -> None:
    state, _ = publish(approve_all(created()), GOV)
    assert code_of(state, PublishArticle("a1", EDITOR, NOW, "p2", (GOV,))) == "NOTHING_TO_PUBLISH"
    later = PublishArticle("a1", EDITOR, NOW, "p2", (APP,), publish_at=LATER)
    assert code_of(state, later) == "SCHEDULE_NOT_ALLOWED"
    state, events = run(state, PublishArticle("a1", EDITOR, NOW, "p2", (APP, GOV)))
    assert events[-1].added_targets == (APP,)
    assert state.live is not None and state.live.targets == (GOV, APP)


def test_a_correction_is_reviewed_then_replaces_the_live_revision_everywhere() -> None:
    state, _ = publish(approve_all(created()), GOV, APP)
    state, events = run(state, EditArticle("a1", content(body="<p>更正后的正文</p>"), EDITOR))
    assert state.status is ArticleStatus.IN_REVIEW and state.revision == 2
    assert state.live is not None and state.live.revision == 1  # still live meanwhile
    assert code_of(state, PublishArticle("a1", EDITOR, NOW, "p2")) == "INVALID_STATE"
    state = approve_all(state)
    state, events = run(state, PublishArticle("a1", EDITOR, NOW, "p2", (SCREEN,)))
    published = events[-1]
    assert published.replaces_revision == 1 and published.publication.revision == 2
    assert published.publication.targets == (GOV, APP, SCREEN)
    assert published.added_targets == (SCREEN,)


def test_retraction_and_expiry_take_the_article_off_every_target() -> None:
    state, _ = publish(approve_all(created()), GOV, APP, expire_at=LATER)
    assert code_of(state, RetractArticle("a1", EDITOR, NOW)) == "REASON_REQUIRED"
    assert code_of(state, RetractArticle("a1", OPERATOR, NOW, expired=True)) == "NOT_DUE"
    assert code_of(state, ArchiveArticle("a1", EDITOR)) == "ARTICLE_PUBLISHED"
    retracted, events = run(state, RetractArticle("a1", OPERATOR, NOW, "内容有误"))
    (event,) = events
    assert isinstance(event, ArticleRetracted) and event.targets == (GOV, APP)
    assert retracted.status is ArticleStatus.RETRACTED and retracted.live is None
    assert code_of(retracted, RetractArticle("a1", EDITOR, NOW, "再撤")) == "NOT_PUBLISHED"
    expired, events = run(state, RetractArticle("a1", OPERATOR, LATER, expired=True))
    assert events[0].expired and events[0].reason == "到期自动下线"
    assert expired.status is ArticleStatus.RETRACTED
    # A retracted article can be republished (same approved revision) or edited afresh.
    again, _ = publish(retracted, APP)
    assert again.status is ArticleStatus.PUBLISHED
    edited, _ = run(retracted, EditArticle("a1", content(title="新标题"), EDITOR))
    assert edited.status is ArticleStatus.DRAFT


def test_expiry_can_be_set_or_cleared_on_what_is_live() -> None:
    state, _ = publish(approve_all(created()), GOV)
    move = ReschedulePublication("a1", EDITOR, NOW, publish_at=LATER)
    assert code_of(state, move) == "ALREADY_PUBLISHED"
    state, _ = run(state, ReschedulePublication("a1", EDITOR, NOW, expire_at=LATER))
    assert state.live is not None and state.live.expire_at == LATER
    same = ReschedulePublication("a1", EDITOR, NOW, expire_at=LATER)
    assert code_of(state, same) == "NOTHING_CHANGED"
    state, _ = run(state, ReschedulePublication("a1", EDITOR, NOW, clear_expiry=True))
    assert state.live is not None and state.live.expire_at is None


# -- publishing across sites (property) ------------------------------------------------------

SITES = (SITE, "9900000012", "9901000001")
_TARGET_POOL = [
    *(Target(channel="website", account=s, column=c) for s in SITES for c in ("news", "notices")),
    *(Target(channel="app", account=f"app-{s}") for s in SITES),
]
_OWNER = {t.key: (t.account if t.channel == "website" else t.account[4:]) for t in _TARGET_POOL}


@given(
    publishes_on=st.sets(st.sampled_from(SITES)),
    chosen=st.lists(st.sampled_from(_TARGET_POOL), min_size=1, max_size=5, unique=True),
    withdrawing=st.sampled_from(SITES),
)
@settings(max_examples=60, deadline=None)
def test_publishing_needs_a_role_on_every_target_site_and_withdrawal_keeps_the_rest(
    publishes_on: set[str], chosen: list[Target], withdrawing: str
) -> None:
    actor = ActingUser("p", {s: frozenset({"editor"}) for s in publishes_on})
    state = approve_all(created())
    command = PublishArticle("a1", actor, NOW, "pub1", tuple(chosen), target_sites=_OWNER)
    needed = {_OWNER[t.key] for t in chosen}
    if SITE not in publishes_on or not needed <= publishes_on:
        with pytest.raises(DomainError) as refused:
            run(state, command)
        assert refused.value.code == "SITE_ROLE_REQUIRED"
        return
    state, _ = run(state, command)
    assert state.live is not None and set(state.live.targets) == set(chosen)
    # A publisher of one receiving site only takes the article off that site.
    local = ActingUser("w", {withdrawing: frozenset({"operator"})})
    retract = RetractArticle("a1", local, NOW, "不宜", sites=(withdrawing,), target_sites=_OWNER)
    if withdrawing not in needed:
        with pytest.raises(DomainError):
            run(state, retract)
        return
    after, events = run(state, retract)
    assert [type(e).__name__ for e in events] == ["TargetsWithdrawn"]
    left = {t for t in chosen if _OWNER[t.key] != withdrawing}
    assert set(after.live.targets if after.live else ()) == left
    assert (after.status is ArticleStatus.RETRACTED) == (not left)
