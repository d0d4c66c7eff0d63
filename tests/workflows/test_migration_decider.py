"""The import rule of a migration (迁移), as properties over random pages, times and people:
an import by the platform's staff makes a live article dated as the old system published it,
approved as that system reviewed it, on the site's own columns only; nothing else imports,
nothing imports twice, nothing dated ahead imports; after it the article is an ordinary one
(a correction goes through the three reviews)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workflows.builders import EDITOR, SITE, WORKFLOW, content, run, user
from workflows.article_commands import EditArticle, ImportArticle, PublishArticle
from workflows.article_state import initial_state
from workflows.errors import DomainError
from workflows.publication import Channel
from workflows.vocabulary import ArticleStatus

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
OPERATOR = user("ops", "operator")
ROLES = ("editor", "first_reviewer", "final_reviewer", "leader", "operator", "admin", "supervisor")


def importing(actor=OPERATOR, when=NOW - timedelta(days=400), columns=("notices",),  # type: ignore[no-untyped-def]
              title="关于做好春节期间安全生产工作的通知"):  # fmt: skip
    return ImportArticle(article_id="m1", site=SITE, columns=tuple(columns),
                         content=content(title=title), workflow=WORKFLOW, actor=actor,
                         source_url="http://www.old.gov.cn/tzgg/t1.html", published_at=when,
                         publication_id="p1", now=NOW)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    roles=st.sets(st.sampled_from(ROLES), max_size=3),
    days=st.integers(min_value=-30, max_value=20 * 365),
    columns=st.lists(st.sampled_from(("notices", "news", "policy")), min_size=0, max_size=3),
    title=st.text(alphabet="关于印发工作方案的通知意见公告", min_size=1, max_size=30),
)
def test_an_import_is_live_dated_and_approved_or_refused(
    roles: set[str], days: int, columns: list[str], title: str
) -> None:
    actor = user("someone", *roles)
    when = NOW - timedelta(days=days)
    command = importing(actor, when, columns, title)
    allowed = bool(roles & {"operator", "admin"})
    if not allowed or not columns or when > NOW:
        with pytest.raises(DomainError) as refused:
            run(initial_state, command)
        expected = ("SITE_ROLE_REQUIRED" if not allowed else "COLUMN_REQUIRED" if not columns
                    else "PUBLISHED_IN_FUTURE")  # fmt: skip
        assert refused.value.code == expected
        return
    state, events = run(initial_state, command)
    assert [type(e).__name__ for e in events] == ["ArticleCreated", "ArticleImported",
                                                  "ArticlePublished"]  # fmt: skip
    assert state.status is ArticleStatus.PUBLISHED and state.live is not None
    assert state.live.publish_at == when and state.approved_hash == state.content_hash
    assert {t.channel for t in state.live.targets} == {Channel.WEBSITE}  # no app, no screen
    assert {t.account for t in state.live.targets} == {SITE}
    assert sorted(t.column or "" for t in state.live.targets) == sorted(set(columns))
    with pytest.raises(DomainError) as twice:
        run(state, command)
    assert twice.value.code == "ARTICLE_EXISTS"


def test_after_the_import_a_correction_is_reviewed_here() -> None:
    state, _ = run(initial_state, importing())
    edited, _ = run(state, EditArticle("m1", content(title="关于做好春节期间安全生产工作的通知（更正）"),
                                       EDITOR))  # fmt: skip
    assert edited.status is ArticleStatus.IN_REVIEW  # the correction goes through 三审
    with pytest.raises(DomainError) as unreviewed:
        run(edited, PublishArticle("m1", OPERATOR, NOW, "p2"))
    assert unreviewed.value.code == "INVALID_STATE"
