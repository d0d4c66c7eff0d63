"""Audit: replay every article stream from the stored events and check the review rules held.

The decider enforces the rules when commands run; the audit proves it afterwards from the
history alone (an inspector's question: "was every published revision reviewed three times,
by three different people, none of them its author?"). It folds each stream with the same
`evolve` the hub uses and checks each approval, approval for publication and publication
against the state it was made in.

Streams are independent, so the replay splits them between worker processes (`workers`),
each reading its own share of the streams from the store (`EventStore.iter_payloads`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import structlog

from events.store import EventStore
from workflows.article_events import (
    ArticleApproved,
    ArticleCreated,
    ArticlePublished,
    PublicationScheduled,
    StageApproved,
)
from workflows.article_state import ArticleState, evolve, initial_state
from workflows.publication import Publication

log = structlog.get_logger(__name__)

ARTICLE_PREFIX = "article-"


class Problem(NamedTuple):
    """One broken rule found in one article's history."""

    article_id: str
    version: int  # the stream version of the event that broke it
    code: str
    message: str


@dataclass
class AuditReport:
    """What the audit replayed and what it found."""

    events: int = 0
    articles: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    def merge(self, other: AuditReport) -> None:
        self.events += other.events
        self.articles += other.articles
        self.by_status.update(other.by_status)
        self.problems.extend(other.problems)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(state: ArticleState, event: object) -> list[tuple[str, str]]:
    """The rules an event must satisfy in the state it was recorded in: (code, message)."""
    found: list[tuple[str, str]] = []
    if not state.exists and not isinstance(event, ArticleCreated):
        found.append(("EVENT_BEFORE_CREATION", f"{type(event).__name__} 早于稿件创建"))
        return found
    match event:
        case StageApproved():
            if event.approver == state.author:
                found.append(("AUTHOR_APPROVED", f"作者 {event.approver} 审核了自己的稿件"))
            if any(a.user_id == event.approver for a in state.approvals):
                found.append(("SAME_REVIEWER_TWICE", f"{event.approver} 审核了同一稿件的两个环节"))
            if (event.revision, event.content_hash) != (state.revision, state.content_hash):
                found.append(("APPROVED_OTHER_REVISION", f"审核的不是当前修订 {state.revision}"))
        case ArticleApproved():
            stages = [s.id for s in state.workflow.stages] if state.workflow else []
            if [a.stage for a in state.approvals] != stages:
                found.append(("REVIEW_INCOMPLETE", "审核环节不完整即通过"))
            if any(a.content_hash != event.content_hash for a in state.approvals):
                found.append(("APPROVALS_OF_OTHER_CONTENT", "各环节审核的内容与通过的内容不一致"))
            if event.content_hash != state.content_hash:
                found.append(("APPROVED_HASH_MISMATCH", "通过的内容哈希与当前修订不一致"))
            if state.needs_signoff and not state.signed_off_by:
                found.append(("SIGNOFF_MISSING", "重大或敏感稿件未经领导签批即通过"))
        case ArticlePublished() | PublicationScheduled():
            found.extend(_check_publication(state, event.publication))
    return found


def _check_publication(state: ArticleState, publication: Publication) -> list[tuple[str, str]]:
    if (publication.revision, publication.content_hash) != (
        state.approved_revision,
        state.approved_hash,
    ):
        return [("PUBLISHED_UNAPPROVED", f"发布的修订 {publication.revision} 未经审核通过")]
    return []


def audit_part(store: EventStore, part: int = 0, parts: int = 1) -> AuditReport:
    """Replay and check the article streams of one partition (all of them by default)."""
    report = AuditReport()
    states: dict[str, tuple[int, ArticleState]] = {}
    get = states.get
    blank = (0, initial_state)
    # The replay keeps every state until the end and creates no reference cycles: the
    # cyclic GC would only re-scan the growing heap (about a fifth of the time), so it pauses.
    enabled = gc.isenabled()
    gc.disable()
    try:
        for stream, payload in store.iter_payloads(ARTICLE_PREFIX, part=part, parts=parts):
            version, state = get(stream, blank)
            version += 1
            if type(payload) in _CHECKED or not state.exists:
                for code, message in check(state, payload):
                    report.problems.append(
                        Problem(stream[len(ARTICLE_PREFIX) :], version, code, message)
                    )
            states[stream] = (version, evolve(state, payload))
    finally:
        if enabled:
            gc.enable()
    report.events = sum(version for version, _ in states.values())
    report.articles = len(states)
    report.by_status.update(str(state.status) for _, state in states.values())
    return report


_CHECKED = (StageApproved, ArticleApproved, ArticlePublished, PublicationScheduled)

# Set in the parent before the workers fork; each worker opens its own connection with it.
_open_store: Callable[[], EventStore] | None = None


def _worker(task: tuple[int, int]) -> AuditReport:
    assert _open_store is not None
    store = _open_store()
    try:
        return audit_part(store, *task)
    finally:
        store.close()


def audit(
    store: EventStore, open_store: Callable[[], EventStore] | None = None, workers: int = 1
) -> AuditReport:
    """Replay every article stream and check it; with `workers` > 1 and `open_store` (which
    opens another handle on the same store), the streams are split between processes."""
    global _open_store
    report = AuditReport()
    if workers <= 1 or open_store is None or "fork" not in multiprocessing.get_all_start_methods():
        report.merge(audit_part(store))
    else:
        _open_store = open_store
        gc.freeze()  # the workers' collections then leave the inherited pages unshared
        try:
            # Forked workers inherit the loaded code (no imports to repeat) and share nothing
            # else: each reads its partition through its own connection.
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for part in pool.map(_worker, [(i, workers) for i in range(workers)]):
                    report.merge(part)
        finally:
            gc.unfreeze()
            _open_store = None
    report.problems.sort(key=lambda p: (p.article_id, p.version))
    log.info(
        "audit.done",
        events=report.events,
        articles=report.articles,
        problems=len(report.problems),
        workers=workers,
    )
    return report


def default_workers() -> int:
    """One worker per CPU this process may use."""
    return max(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 1)
