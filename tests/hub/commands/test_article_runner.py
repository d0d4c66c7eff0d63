"""The command service, sync and asyncio: decide, append, retry once on a stale state."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from events.envelope import SYSTEM_ACTOR, NewEvent
from events.runner import Runner
from events.sqlite_store import SQLiteEventStore
from events.store import AppendResult, ConcurrencyConflict
from tests.servers import both_databases  # noqa: F401  (these tests run on both databases)
from tests.workflows.builders import EDITOR, GATES, R1, R2, R3, SITE, WORKFLOW, checked, content
from workflows.article_commands import ApproveStage, CreateArticle, SubmitArticle
from workflows.article_decider import ARTICLES, article_decider
from workflows.article_events import ArticleChecked
from workflows.errors import DomainError
from workflows.vocabulary import ArticleStatus


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteEventStore]:
    es = SQLiteEventStore(tmp_path / "c.db", durable=False)
    yield es
    es.close()


def create(article_id: str) -> CreateArticle:
    return CreateArticle(article_id, SITE, ("notices",), content(), WORKFLOW, EDITOR)


async def review(service: Runner, article_id: str) -> None:
    await service.execute_async(create(article_id))
    await service.execute_async(SubmitArticle(article_id, EDITOR), prepare=checked)
    for reviewer, stage in ((R1, "first"), (R2, "second"), (R3, "final")):
        await service.execute_async(ApproveStage(article_id, 1, GATES[stage], reviewer))


def test_async_commands_from_many_tasks_all_land(store: SQLiteEventStore) -> None:
    service = Runner(store, article_decider)

    async def main() -> None:
        await asyncio.gather(*(review(service, f"a{i}") for i in range(12)))

    asyncio.run(main())
    fresh = Runner(store, article_decider)  # from the stored events, not the cache
    for i in range(12):
        state, version = fresh.load(f"a{i}")
        assert state.status is ArticleStatus.APPROVED
        assert [a.user_id for a in state.approvals] == ["r1", "r2", "r3"]
        assert version == 7  # created, checked, submitted, three approvals, approved


def test_async_command_on_a_stale_cache_reloads_and_decides_again(
    store: SQLiteEventStore,
) -> None:
    stale, other = Runner(store, article_decider), Runner(store, article_decider)

    async def main() -> None:
        await stale.execute_async(create("a"))
        await stale.execute_async(SubmitArticle("a", EDITOR), prepare=checked)
        await other.execute_async(ApproveStage("a", 1, GATES["first"], R1))
        # `stale` still believes 初审 is waiting; its append conflicts, it reloads, and the
        # second stage is decided on the fresh state.
        result = await stale.execute_async(ApproveStage("a", 1, GATES["second"], R2))
        assert result.state.status is ArticleStatus.IN_REVIEW
        assert [a.stage for a in result.state.approvals] == ["first", "second"]

    asyncio.run(main())


def test_async_domain_errors_and_persistent_conflicts_reach_the_caller(
    store: SQLiteEventStore,
) -> None:
    service = Runner(store, article_decider)

    async def main() -> None:
        await service.execute_async(create("a"))
        with pytest.raises(DomainError) as info:
            await service.execute_async(ApproveStage("a", 1, GATES["first"], R1))
        assert info.value.code == "INVALID_STATE"

    asyncio.run(main())
    assert store.stream_version(ARTICLES("a")) == 1


def test_a_conflict_on_the_retry_is_reported(store: SQLiteEventStore) -> None:
    service = Runner(store, article_decider)
    asyncio.run(service.execute_async(create("a")))
    real_append = store.append_async

    async def another_writer_first(
        stream_id: str, events: Sequence[NewEvent], expected: int
    ) -> AppendResult:
        # Someone else records a check just before every attempt: both attempts are stale.
        check = ArticleChecked(
            revision=1, content_hash=content().content_hash(), phase="recheck",
            dictionary_version="other",
        )  # fmt: skip
        await real_append(stream_id, [NewEvent(check, SYSTEM_ACTOR, "other")], expected)
        return await real_append(stream_id, events, expected)

    store.append_async = another_writer_first  # type: ignore[method-assign]
    with pytest.raises(ConcurrencyConflict):
        asyncio.run(service.execute_async(SubmitArticle("a", EDITOR), prepare=checked))
    assert store.stream_version(ARTICLES("a")) == 3  # created and the other writer's two checks


def test_a_refusal_on_a_stale_cache_is_decided_again_on_the_stored_state(
    store: SQLiteEventStore,
) -> None:
    """Another process approved 初审; this one's cache still shows it waiting. R2's approval
    must not be refused for lacking the 初审 role: the refusal is checked against the store."""
    here, elsewhere = Runner(store, article_decider), Runner(store, article_decider)
    here.execute(create("a"))
    here.execute(SubmitArticle("a", EDITOR), prepare=checked)
    elsewhere.execute(ApproveStage("a", 1, GATES["first"], R1))
    result = here.execute(ApproveStage("a", 1, GATES["second"], R2))
    assert [a.user_id for a in result.state.approvals] == ["r1", "r2"]
    with pytest.raises(DomainError) as info:  # a refusal on the current state stands
        here.execute(ApproveStage("a", 1, GATES["second"], R2))
    assert info.value.code == "STAGE_ROLE_REQUIRED"


@pytest.mark.parametrize("run", ["sync", "async"])
def test_creating_an_article_another_process_created_is_refused(
    store: SQLiteEventStore, run: str
) -> None:
    # A creation takes an article it has not cached to be new without reading the store;
    # the append at version 0 is what proves it, so an existing article is still refused.
    Runner(store, article_decider).execute(create("taken"))
    other = Runner(store, article_decider)
    with pytest.raises(DomainError) as refused:
        if run == "sync":
            other.execute(create("taken"))
        else:
            asyncio.run(other.execute_async(create("taken")))
    assert refused.value.code == "ARTICLE_EXISTS"
    assert store.stream_version(ARTICLES("taken")) == 1
    state, version = other.load("taken")
    assert (state.status, version) == (ArticleStatus.DRAFT, 1)
