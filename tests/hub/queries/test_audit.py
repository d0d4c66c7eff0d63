"""`hub audit`: replaying every article stream finds histories that broke the review rules."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events.envelope import Actor, Event, NewEvent
from events.runner import Runner
from events.store import EventStore
from events.stores import open_store
from hub.queries.audit import audit
from tests.servers import both_databases  # noqa: F401  (these tests run on both databases)
from tests.workflows.builders import EDITOR, GATES, R1, R2, R3, SITE, WORKFLOW, checked, content
from workflows.article_commands import ApproveStage, CreateArticle, SubmitArticle
from workflows.article_decider import ARTICLES, article_decider
from workflows.article_events import (
    ArticleApproved,
    ArticleCreated,
    ArticlePublished,
    ArticleSubmitted,
    StageApproved,
)
from workflows.publication import Publication, Target

ROOT = Path(__file__).resolve().parents[3]
BODY = content()
HASH = BODY.content_hash()


@pytest.fixture
def store(database: str) -> Iterator[EventStore]:
    es = open_store(database, durable=False)
    yield es
    es.close()


def reviewed(service: Runner, article_id: str) -> None:
    service.execute(CreateArticle(article_id, SITE, ("notices",), BODY, WORKFLOW, EDITOR))
    service.execute(SubmitArticle(article_id, EDITOR), prepare=checked)
    for reviewer, stage in ((R1, "first"), (R2, "second"), (R3, "final")):
        service.execute(ApproveStage(article_id, 1, GATES[stage], reviewer))


def forged(store: EventStore, article_id: str, *payloads: Event) -> None:
    """Write a history directly, bypassing the decider (as a tampered database would)."""
    events = [NewEvent(p, Actor("forger", "editor"), "forged") for p in payloads]
    store.append(ARTICLES(article_id), events, 0)


def created() -> ArticleCreated:
    return ArticleCreated(
        article_id="x", site=SITE, columns=("notices",), author="editor", workflow=WORKFLOW,
        revision=1, content=BODY, content_hash=HASH,
    )  # fmt: skip


def submitted() -> ArticleSubmitted:
    return ArticleSubmitted(revision=1, content_hash=HASH, submitted_by="editor", stage="first")


def approval(
    stage: str, approver: str, next_stage: str | None, content_hash: str = HASH
) -> StageApproved:
    return StageApproved(
        stage=stage, stage_name=stage, revision=1, content_hash=content_hash, approver=approver,
        gates=GATES[stage], next_stage=next_stage,
    )  # fmt: skip


def publication(revision: int) -> ArticlePublished:
    target = Target(channel="website", account=SITE, column="notices")
    when = datetime(2026, 11, 23, tzinfo=UTC)
    return ArticlePublished(
        publication=Publication(
            publication_id="p", revision=revision, content_hash=HASH, targets=(target,),
            publish_at=when,
        ),
        published_by="operator",
    )  # fmt: skip


def test_histories_made_by_the_decider_pass(store: EventStore) -> None:
    service = Runner(store, article_decider)
    for i in range(30):
        reviewed(service, f"good-{i}")
    report = audit(store)
    assert report.ok, report.problems
    assert (report.articles, report.events) == (30, 30 * 7)
    assert report.by_status == {"approved": 30}


def test_forged_histories_are_reported_with_the_rule_they_broke(store: EventStore) -> None:
    reviewed(Runner(store, article_decider), "good")
    forged(store, "self-approved", created(), submitted(), approval("first", "editor", "second"))
    forged(
        store, "twice", created(), submitted(), approval("first", "r1", "second"),
        approval("second", "r1", "final"),
    )  # fmt: skip
    forged(
        store, "short", created(), submitted(), approval("first", "r1", "second"),
        approval("second", "r2", "final"),
        ArticleApproved(revision=1, content_hash=HASH, approvers={"first": "r1", "second": "r2"}),
    )  # fmt: skip
    forged(
        store,
        "other-content",
        created(),
        submitted(),
        approval("first", "r1", "second", "sha256:0"),
    )
    forged(store, "unapproved-out", created(), publication(1))
    forged(store, "orphan", approval("first", "r1", "second"))
    forged(store, "recreated", created(), submitted(), approval("first", "r1", "second"), created())
    report = audit(store)
    found = {(p.article_id, p.code, p.version) for p in report.problems}
    assert found == {
        ("self-approved", "AUTHOR_APPROVED", 3),
        ("twice", "SAME_REVIEWER_TWICE", 4),
        ("short", "REVIEW_INCOMPLETE", 5),
        ("other-content", "APPROVED_OTHER_REVISION", 3),
        ("unapproved-out", "PUBLISHED_UNAPPROVED", 2),
        ("orphan", "EVENT_BEFORE_CREATION", 1),
        ("recreated", "CREATED_AGAIN", 4),
    }
    assert report.articles == 8


def test_parallel_workers_find_exactly_what_one_process_finds(
    store: EventStore, database: str
) -> None:
    service = Runner(store, article_decider)
    for i in range(40):
        reviewed(service, f"good-{i:02x}")
    for i in range(6):
        forged(store, f"bad-{i:02x}", created(), submitted(), approval("first", "editor", "second"))
    one = audit(store)
    for workers in (2, 3):
        many = audit(store, lambda: open_store(database, durable=False), workers)
        assert (many.articles, many.events, many.by_status) == (
            one.articles,
            one.events,
            one.by_status,
        )
        assert many.problems == one.problems
    assert len(one.problems) == 6


def test_a_failing_worker_fails_the_audit(store: EventStore, tmp_path: Path) -> None:
    reviewed(Runner(store, article_decider), "good")

    def unreachable() -> EventStore:
        raise OSError("disk unreadable")

    def killed() -> EventStore:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    with pytest.raises(RuntimeError, match="disk unreadable"):
        audit(store, unreachable, workers=2)
    with pytest.raises(RuntimeError, match="died without a report"):
        audit(store, killed, workers=2)
    assert audit(store).ok  # nothing left behind: the store still audits


def test_cli_audit_exits_non_zero_on_problems(tmp_path: Path) -> None:
    config = tmp_path / "config"
    subprocess.run(["cp", "-r", str(ROOT / "config"), str(config)], check=True)
    env = {**os.environ, "HUB_CONFIG": str(config)}

    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub", *args], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip

    done = hub("audit", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["problems"] == []
    database = json.loads(hub("init", "--json").stdout)["database"]
    tampered = open_store(database)
    forged(tampered, "tampered", created(), submitted(), approval("first", "editor", "second"))
    tampered.close()
    done = hub("audit", "--workers", "2")
    assert done.returncode == 1
    assert "AUTHOR_APPROVED" in done.stdout and "发现 1 个问题" in done.stdout
    bad = hub("audit", "--workers", "0")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
