"""Property tests: random command sequences never break the three-review invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from events.envelope import Event
from events.registry import default_registry
from tests.workflows.builders import (
    EDITOR,
    GATES,
    OUTSIDER,
    SITE,
    WORKFLOW,
    content,
    run,
    user,
)
from workflows.article_commands import (
    ApproveStage,
    ArchiveArticle,
    CreateArticle,
    EditArticle,
    PublishArticle,
    ReleasePublication,
    RetractArticle,
    ReturnArticle,
    SignOff,
    SubmitArticle,
    WithdrawArticle,
)
from workflows.article_events import (
    ArticleApproved,
    ArticleCreated,
    ArticlePublished,
    ArticleRetracted,
    ArticleReturned,
    ArticleRevised,
    ArticleSignedOff,
    ArticleSubmitted,
    ArticleWithdrawn,
    PublicationScheduled,
    StageApproved,
)
from workflows.article_state import ArticleState, fold, initial_state
from workflows.errors import DomainError
from workflows.publication import Target
from workflows.vocabulary import ArticleStatus

USERS = [
    EDITOR,
    user("editor2", "editor", "first_reviewer"),
    user("r1", "first_reviewer"),
    user("r12", "first_reviewer", "second_reviewer"),
    user("r23", "second_reviewer", "final_reviewer"),
    user("r3", "final_reviewer"),
    user("boss", "leader", "final_reviewer"),
    user("leader", "leader"),
    user("admin", "admin"),
    OUTSIDER,
]
TITLES = ["通知一", "通知二", "通知三"]
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TARGETS = [
    Target(channel="website", account=SITE, column="notices"),
    Target(channel="website", account="9900000012", column="news"),
    Target(channel="app", account="sf-app"),
    Target(channel="screen", account="hall-1"),
]
PUBLISHING = (ArticleStatus.APPROVED, ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED)

users = st.sampled_from(USERS)
ALL_GATES = ("political", "legal", "policy", "secrecy", "wording", "public_opinion")
# An approver is either anyone (None: a user holding the waiting stage's role, chosen by
# index) or a random user, so that sequences both progress and probe the refusals.
approvals = st.tuples(
    st.just("approve"),
    st.one_of(st.none(), st.none(), users),
    st.sampled_from(["all", "all", "all", "first", "partial"]),
    st.sampled_from([0, 0, 0, -1]),
    st.integers(0, 5),
)
BY_KIND = {
    "approve": approvals,
    "submit": st.tuples(st.just("submit"), st.one_of(st.none(), users), st.integers(0, 5)),
    "edit": st.tuples(st.just("edit"), users, st.sampled_from(TITLES), st.booleans()),
    "return": st.tuples(st.just("return"), users, st.sampled_from([(), ("理由",)])),
    "signoff": st.tuples(
        st.just("signoff"),
        st.one_of(st.none(), users),
        st.sampled_from([0, 0, -1]),
        st.integers(0, 5),
    ),
    "withdraw": st.tuples(st.just("withdraw"), users),
    "publish": st.tuples(
        st.just("publish"),
        st.one_of(st.none(), users),
        st.lists(st.sampled_from(TARGETS), max_size=3),
        st.sampled_from([None, None, 3600]),
        st.integers(0, 5),
    ),
    "release": st.tuples(st.just("release"), st.one_of(st.none(), users), st.integers(0, 5)),
    "retract": st.tuples(
        st.just("retract"), st.one_of(st.none(), users), st.booleans(), st.integers(0, 5)
    ),
}
# Approvals are drawn far more often than anything else so that many sequences reach
# approval and sign-off; archiving is tried once, at the end, because it ends the story.
commands = st.sampled_from(
    ["approve"] * 8
    + ["submit"] * 2
    + ["signoff"] * 2
    + ["publish"] * 2
    + ["edit", "return", "withdraw", "release", "retract"]
).flatmap(BY_KIND.__getitem__)


def eligible(state: ArticleState, index: int):
    """A user holding the role that the waiting stage (or sign-off) needs."""
    stage = state.current_stage
    if state.status in (ArticleStatus.DRAFT, ArticleStatus.RETURNED, *PUBLISHING):
        role = "editor"
    else:
        role = stage.role if stage else WORKFLOW.signoff.role
    holders = [u for u in USERS if role in u.roles_on(SITE)]
    return holders[index % len(holders)]


def to_command(step: tuple, state: ArticleState):
    kind, who = step[0], step[1]
    if who is None:
        who = eligible(state, step[-1])
    match kind:
        case "edit":
            return EditArticle("a1", content(title=step[2], major=step[3]), who)
        case "submit":
            return SubmitArticle("a1", who)
        case "approve":
            gates = {"all": ALL_GATES, "first": GATES["first"], "partial": ("wording",)}[step[2]]
            return ApproveStage("a1", state.revision + step[3], gates, who)
        case "return":
            return ReturnArticle("a1", step[2], who)
        case "signoff":
            return SignOff("a1", state.revision + step[2], who)
        case "withdraw":
            return WithdrawArticle("a1", who)
        case "publish":
            at = NOW + timedelta(seconds=step[3]) if step[3] else None
            return PublishArticle("a1", who, NOW, f"p{len(step[2])}", tuple(step[2]), at)
        case "release":
            return ReleasePublication("a1", who, NOW + timedelta(hours=2))
        case "retract":
            return RetractArticle("a1", who, NOW, "撤稿原因" if step[2] else "")
    return ArchiveArticle("a1", who)


def check_log(log: list[Event]) -> None:
    """Invariants over the whole event history of one article."""
    created = log[0]
    assert isinstance(created, ArticleCreated)
    author = created.author
    current_hash, editor = created.content_hash, created.author
    approvers: dict[str, str] = {}  # stage -> user, for the current review round
    approved_hash: str | None = None
    live: tuple[str, ...] = ()  # keys of the targets showing the article
    for event in log[1:]:
        match event:
            case ArticlePublished():
                # 先审后发: only the approved revision goes out, and a correction or an
                # addition reaches every target that already shows the article.
                assert event.publication.content_hash == approved_hash == current_hash
                keys = tuple(t.key for t in event.publication.targets)
                assert set(live) <= set(keys)
                assert {t.key for t in event.added_targets} == set(keys) - set(live)
                live = keys
            case PublicationScheduled():
                assert event.publication.content_hash == approved_hash == current_hash
            case ArticleRetracted():
                assert tuple(t.key for t in event.targets) == live and live
                live = ()
            case ArticleRevised():
                current_hash, editor, approvers = event.content_hash, event.editor, {}
                approved_hash = None
            case ArticleSubmitted() | ArticleReturned() | ArticleWithdrawn():
                approvers = {}
            case StageApproved():
                assert event.approver != author, "the author approved"
                assert event.approver != editor, "the revision's editor approved"
                assert event.approver not in approvers.values(), "one user approved two stages"
                assert event.content_hash == current_hash
                approvers[event.stage] = event.approver
            case ArticleSignedOff():
                assert event.leader not in {author, editor, *approvers.values()}
            case ArticleApproved():
                # what is approved for publication is exactly what all three stages approved
                assert event.content_hash == current_hash
                assert set(approvers) == {s.id for s in WORKFLOW.stages}
                assert len(set(approvers.values())) == 3
                assert event.approvers == approvers
                approved_hash = event.content_hash


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(commands, min_size=5, max_size=60), st.booleans(), st.booleans())
def test_random_sequences_keep_the_invariants(
    steps: list[tuple], submit_first: bool, archive_at_end: bool
) -> None:
    state, log = run(
        initial_state,
        CreateArticle("a1", SITE, ("notices",), content(title=TITLES[0]), WORKFLOW, EDITOR),
    )
    if submit_first:
        state, events = run(state, SubmitArticle("a1", EDITOR))
        log.extend(events)
    for step in steps:
        before = state
        try:
            state, events = run(state, to_command(step, state))
        except DomainError:
            assert state == before
            continue
        log.extend(events)
        check_log(log)
        if state.status is ArticleStatus.APPROVED:
            assert state.approved_hash == state.content_hash
            assert state.content is not None
            assert state.approved_hash == state.content.content_hash()
    if archive_at_end:
        try:
            state, events = run(state, ArchiveArticle("a1", EDITOR))
            log.extend(events)
        except DomainError:
            pass
    note(f"final status: {state.status}")
    note(f"reached approval: {any(isinstance(e, ArticleApproved) for e in log)}")
    note(f"reached publication: {any(isinstance(e, ArticlePublished) for e in log)}")
    # Replaying the stored events (through their serialised form) rebuilds the same state.
    stored = [
        default_registry.decode(
            type(e).type_name, type(e).schema_version, default_registry.encode(e)
        )
        for e in log
    ]
    assert stored == log
    assert fold(stored) == state


@settings(max_examples=100, deadline=None)
@given(st.lists(users, min_size=3, max_size=3))
def test_three_approvals_need_three_distinct_people(people: list) -> None:
    state, _ = run(
        initial_state,
        CreateArticle("a1", SITE, ("notices",), content(), WORKFLOW, EDITOR),
    )
    state, _ = run(state, SubmitArticle("a1", EDITOR))
    approved = []
    for who, stage in zip(people, ["first", "second", "final"], strict=True):
        try:
            state, _ = run(state, ApproveStage("a1", 1, GATES[stage], who))
            approved.append(who.user_id)
        except DomainError:
            break
    if state.status is ArticleStatus.APPROVED:
        assert len(set(approved)) == 3 and EDITOR.user_id not in approved
