"""Which of an article's commands a user may issue now: the decider itself is asked with a
probe command, so the interface never offers what the rules would refuse for who the user is
(and never needs a second copy of those rules)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from workflows.article_commands import (
    ActingUser,
    ApproveStage,
    ArchiveArticle,
    ArticleCommand,
    PublishArticle,
    RecheckArticle,
    ReschedulePublication,
    RetractArticle,
    ReturnArticle,
    SignOff,
    SubmitArticle,
    WithdrawArticle,
)
from workflows.article_decider import decide
from workflows.article_state import ArticleState
from workflows.errors import ROLE_REFUSALS, DomainError
from workflows.publication_decider import retraction_scope

# Refusals that say "not you": anything else (a finding to accept first, nothing to publish)
# means the user holds the right and the form explains the rest.
NOT_YOURS = ROLE_REFUSALS | {"INVALID_STATE"}

Probe = Callable[[str, ActingUser, ArticleState, datetime, Mapping[str, str]], ArticleCommand]

_PROBES: dict[str, Probe] = {
    "submit": lambda a, u, s, now, ts: SubmitArticle(a, u),
    "approve": lambda a, u, s, now, ts: ApproveStage(
        a, s.revision, s.current_stage.gates if s.current_stage else (), u,
        content_hash=s.content_hash,
    ),
    "return": lambda a, u, s, now, ts: ReturnArticle(a, ("probe",), u),
    "signoff": lambda a, u, s, now, ts: SignOff(a, s.revision, u),
    "withdraw": lambda a, u, s, now, ts: WithdrawArticle(a, u),
    "archive": lambda a, u, s, now, ts: ArchiveArticle(a, u, "probe"),
    "publish": lambda a, u, s, now, ts: PublishArticle(a, u, now, "probe"),
    "retract": lambda a, u, s, now, ts: RetractArticle(
        a, u, now, "probe", sites=retraction_scope(u, s, ts), target_sites=ts
    ),
    "reschedule": lambda a, u, s, now, ts: ReschedulePublication(a, u, now, clear_expiry=True),
    "recheck": lambda a, u, s, now, ts: RecheckArticle(a, u),
}  # fmt: skip


def may(
    action: str,
    actor: ActingUser,
    state: ArticleState,
    now: datetime,
    target_sites: Mapping[str, str] | None = None,
) -> bool:
    """Whether `actor` may issue `action` on the article now (unknown actions: False)."""
    probe = _PROBES.get(action)
    if probe is None or not state.article_id:
        return False
    try:
        decide(probe(state.article_id, actor, state, now, target_sites or {}), state)
    except DomainError as refused:
        return refused.code not in NOT_YOURS
    return True
