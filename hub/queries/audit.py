"""Audit: replay every article stream from the stored events and check the review rules held.

The decider enforces the rules when commands run; the audit proves it afterwards from the
history alone (an inspector's question: "was every published revision reviewed three times,
by three different people, none of them its author?"). It folds each stream with the same
`evolve` the hub uses and checks each approval, approval for publication and publication
against the state it was made in.

Streams are independent, so the replay splits them into ranges of about equal numbers of
events (`EventStore.split_streams`), one per worker process, each reading its range stream
after stream (`EventStore.iter_payloads`).
"""

from __future__ import annotations

import gc
import os
import pickle
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import workflows.event_types  # noqa: F401  (every event type: this reads events it did not write)
from events.log import get_logger
from events.store import EventStore, StreamRange
from workflows.article_decider import ARTICLES
from workflows.article_events import (
    ArticleApproved,
    ArticleCreated,
    ArticleImported,
    ArticlePublished,
    PublicationScheduled,
    StageApproved,
)
from workflows.article_state import ArticleState, evolve, initial_state
from workflows.vocabulary import ArticleStatus

log = get_logger(__name__)

ARTICLE_PREFIX = ARTICLES.prefix


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


def check(state: ArticleState, event: object, version: int) -> list[tuple[str, str]]:
    """The rules an event at stream `version` must satisfy in the state it was recorded in:
    (code, message) for each rule it broke."""
    if version == 1:
        if type(event) is not ArticleCreated:
            return [("EVENT_BEFORE_CREATION", f"{type(event).__name__} 早于稿件创建")]
        return []
    rules = _RULES.get(type(event))
    return rules(state, event) if rules is not None else []


def _stage_approved(state: ArticleState, event: StageApproved) -> list[tuple[str, str]]:
    found = []
    approver = event.approver
    if approver == state.author:
        found.append(("AUTHOR_APPROVED", f"作者 {approver} 审核了自己的稿件"))
    for approval in state.approvals:
        if approval.user_id == approver:
            found.append(("SAME_REVIEWER_TWICE", f"{approver} 审核了同一稿件的两个环节"))
            break
    if event.revision != state.revision or event.content_hash != state.content_hash:
        found.append(("APPROVED_OTHER_REVISION", f"审核的不是当前修订 {state.revision}"))
    return found


def _approved(state: ArticleState, event: ArticleApproved) -> list[tuple[str, str]]:
    found = []
    approvals = state.approvals
    stages = state.workflow.stages if state.workflow else ()
    complete = len(approvals) == len(stages)
    other_content = False
    for approval, stage in zip(approvals, stages, strict=False):
        complete = complete and approval.stage == stage.id
        other_content = other_content or approval.content_hash != event.content_hash
    if not complete:
        found.append(("REVIEW_INCOMPLETE", "审核环节不完整即通过"))
    if other_content or any(a.content_hash != event.content_hash for a in approvals[len(stages) :]):
        found.append(("APPROVALS_OF_OTHER_CONTENT", "各环节审核的内容与通过的内容不一致"))
    if event.content_hash != state.content_hash:
        found.append(("APPROVED_HASH_MISMATCH", "通过的内容哈希与当前修订不一致"))
    if not state.signed_off_by and state.needs_signoff:
        found.append(("SIGNOFF_MISSING", "重大或敏感稿件未经领导签批即通过"))
    return found


def _published(
    state: ArticleState, event: ArticlePublished | PublicationScheduled
) -> list[tuple[str, str]]:
    publication = event.publication
    if (publication.revision, publication.content_hash) != (
        state.approved_revision,
        state.approved_hash,
    ):
        return [("PUBLISHED_UNAPPROVED", f"发布的修订 {publication.revision} 未经审核通过")]
    return []


def _imported(state: ArticleState, event: ArticleImported) -> list[tuple[str, str]]:
    """An import stands for the previous system's review only as the article's first step:
    its revision 1, nothing reviewed or published here before it."""
    fresh = (state.status is ArticleStatus.DRAFT and state.revision == 1 == event.revision
             and not state.approvals and state.approved_hash is None and state.live is None)  # fmt: skip
    if not fresh or event.content_hash != state.content_hash:
        return [("IMPORT_NOT_FIRST", "迁移记录不在稿件创建之后（迁移只能带入原系统发布的第 1 版）")]
    return []


def _created_again(state: ArticleState, event: ArticleCreated) -> list[tuple[str, str]]:
    return [("CREATED_AGAIN", "稿件被重复创建（将抹去此前的审核记录）")]


# The rules of each event type; events of other types are only folded.
_RULES: dict[type, Callable[[ArticleState, Any], list[tuple[str, str]]]] = {
    StageApproved: _stage_approved,
    ArticleApproved: _approved,
    ArticlePublished: _published,
    PublicationScheduled: _published,
    ArticleCreated: _created_again,
    ArticleImported: _imported,
}


def audit_part(store: EventStore, within: StreamRange | None = None) -> AuditReport:
    """Replay and check the article streams `within` a range (all of them by default)."""
    report = AuditReport()
    rules_for = _RULES.get
    problems = report.problems
    by_status = report.by_status
    current, version, state = "", 0, initial_state
    # The store yields stream after stream, so each state is finished (and freed) when the
    # next stream begins. Folding allocates many objects and frees them by reference count;
    # the cyclic GC, which they would trigger, would only scan them in vain, so it pauses.
    enabled = gc.isenabled()
    gc.disable()
    try:
        for stream, payload in store.iter_payloads(ARTICLE_PREFIX, within=within):
            if stream != current:
                if version:
                    report.events += version
                    by_status[state.status] += 1
                current, version, state = stream, 0, initial_state
            version += 1
            if version == 1 or rules_for(type(payload)) is not None:
                for code, message in check(state, payload, version):
                    problems.append(Problem(ARTICLES.entity(stream), version, code, message))
            state = evolve(state, payload)
        if version:
            report.events += version
            by_status[state.status] += 1
    finally:
        if enabled:
            gc.enable()
    report.articles = by_status.total()
    report.by_status = Counter({str(status): n for status, n in by_status.items()})
    return report


def audit(
    store: EventStore, open_store: Callable[[], EventStore] | None = None, workers: int = 1
) -> AuditReport:
    """Replay every article stream and check it; with `workers` > 1 and `open_store` (which
    opens another handle on the same store), the streams are split between processes.

    The workers are forked: they inherit the loaded code (nothing to import again) and share
    nothing else, each reading its range through its own connection. Call it where no other
    thread is inside the store (the CLI); a fork copies only the calling thread.
    """
    report = AuditReport()
    if workers <= 1 or open_store is None or not hasattr(os, "fork"):
        report.merge(audit_part(store))
    else:
        # Split once, here: every worker then reads a range of streams fixed before any of
        # them started, even while new events arrive. This process replays the first range.
        first, *others = store.split_streams(ARTICLE_PREFIX, workers)
        gc.freeze()  # the workers' collections then leave the inherited pages unshared
        try:
            children = [_fork_worker(open_store, within) for within in others]
        finally:
            gc.unfreeze()
        try:
            report.merge(audit_part(store, first))
        finally:
            for child in children:
                report.merge(_collect(*child))
    report.problems.sort(key=lambda p: (p.article_id, p.version))
    log.info(
        "audit.done",
        events=report.events,
        articles=report.articles,
        problems=len(report.problems),
        workers=workers,
    )
    return report


def _fork_worker(open_store: Callable[[], EventStore], within: StreamRange) -> tuple[int, int]:
    """Fork a worker auditing `within`; it sends its pickled report (or error) down a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        return pid, read_end
    os.close(read_end)
    status = 0
    try:
        store = open_store()
        try:
            outcome: AuditReport | BaseException = audit_part(store, within)
        finally:
            store.close()
    except BaseException as exc:  # reported to the parent, which raises it
        outcome, status = RuntimeError(f"audit worker failed: {exc!r}"), 1
    try:
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(outcome, pipe)
    finally:
        os._exit(status)  # no atexit handlers or buffers of the parent run twice


def _collect(pid: int, read_end: int) -> AuditReport:
    """The report a forked worker sent; its error, or a crash without one, is raised here."""
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"audit worker {pid} died without a report (status {status})")
    outcome = pickle.loads(data)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def default_workers() -> int:
    """One worker per CPU this process may use."""
    return max(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 1)
