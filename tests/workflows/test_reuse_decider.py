"""The flow of offers and submissions between sites, as a decider: random sequences of
commands by random people never break its rules, and a reference (共享调用) onto another
site is decided like a publication there, with the source's reviews standing."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from events.envelope import Event
from workflows.article_commands import ActingUser
from workflows.errors import DomainError
from workflows.publication_decider import publishes_on
from workflows.reuse_decider import (
    Accept,
    Decline,
    Offer,
    RecordSourceChange,
    ReuseCommand,
    ReuseState,
    ReuseStatus,
    decide,
    evolve,
)
from workflows.reuse_events import ReuseAccepted, ReuseDeclined, ReuseOffered, SourceChanged
from workflows.vocabulary import Role

CITY, PORTAL, DEPT = "9901000001", "9900000001", "9900000012"
PEOPLE = {
    "city_editor": ActingUser("city_editor", {CITY: frozenset({Role.EDITOR})}),
    "city_reviewer": ActingUser("city_reviewer", {CITY: frozenset({Role.FIRST_REVIEWER})}),
    "portal_editor": ActingUser("portal_editor", {PORTAL: frozenset({Role.EDITOR})}),
    "portal_operator": ActingUser("portal_operator", {"*": frozenset({Role.OPERATOR})}),
    "dept_editor": ActingUser("dept_editor", {DEPT: frozenset({Role.EDITOR})}),
    "stranger": ActingUser("stranger", {}),
}
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def offer(who: str, kind: str, to_site: str, reviewed: bool) -> Offer:
    return Offer("r1", kind, "a1", CITY, 2, "sha256:x", "标题", to_site, PEOPLE[who], NOW,
                 reviewed, upward=to_site == PORTAL)  # fmt: skip


commands = st.one_of(
    st.builds(offer, st.sampled_from(sorted(PEOPLE)), st.sampled_from(["offer", "submission"]),
              st.sampled_from([CITY, PORTAL, DEPT]), st.booleans()),
    st.builds(lambda who, cols: Accept("r1", "copy-1", cols, PEOPLE[who]),
              st.sampled_from(sorted(PEOPLE)), st.sampled_from([(), ("notices",)])),
    st.builds(lambda who, reason: Decline("r1", reason, PEOPLE[who]),
              st.sampled_from(sorted(PEOPLE)), st.sampled_from(["", "  ", "请补充数据"])),
    st.builds(lambda change, rev: RecordSourceChange("r1", change, rev, False),
              st.sampled_from(["corrected", "retracted", "moved"]), st.integers(2, 4)),
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(commands, max_size=12))
def test_random_flows_keep_the_rules(sequence: list[ReuseCommand]) -> None:
    state = ReuseState()
    history: list[Event] = []
    for command in sequence:
        before = state
        try:
            events = decide(command, state)
        except DomainError:
            continue
        for event in events:
            state = evolve(state, event)
            history.append(event)
            match event:
                case ReuseOffered():
                    assert isinstance(command, Offer) and command.source_reviewed
                    assert event.to_site != event.source_site
                    assert event.kind != "submission" or command.upward  # only upward
                    held = command.actor.roles_on(CITY)
                    assert Role.EDITOR in held or publishes_on(command.actor, CITY)
                    assert before.status in (ReuseStatus.NONE, ReuseStatus.DECLINED)
                case ReuseAccepted() | ReuseDeclined():
                    assert isinstance(command, Accept | Decline)
                    assert before.status is ReuseStatus.OFFERED  # decided once per offer
                    assert publishes_on(command.actor, before.to_site)  # by the receiver
                    assert not isinstance(event, ReuseDeclined) or event.reason.strip()
                case SourceChanged():
                    assert before.status is ReuseStatus.ACCEPTED
                    assert (event.change, event.revision) not in before.changes
    accepted = [e for e in history if isinstance(e, ReuseAccepted)]
    assert len(accepted) <= 1  # accepted once: it is terminal
    if accepted:
        assert state.status is ReuseStatus.ACCEPTED


def test_a_submission_that_is_not_upward_is_refused_with_its_code() -> None:
    try:
        decide(offer("city_editor", "submission", DEPT, True), ReuseState())
    except DomainError as exc:
        assert exc.code == "NOT_UPWARD"
    else:
        raise AssertionError("a sideways submission was accepted")
