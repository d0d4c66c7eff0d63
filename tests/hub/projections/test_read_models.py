"""Every read model of the hub, on both databases: what each answers after a day's work
(articles, review queues, history, publications, the delivery ledger and its tallies, search,
media links), that a rebuild from the log gives the same tables, and that a table written by
an older release is rebuilt rather than misread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events.recorder import Column, Table
from events.subscriptions import catch_up, created_in
from hub.projections import delivery_sources, media_refs
from hub.projections.articles import ARTICLE_LIST, REVIEW_QUEUE, ArticlesProjection
from hub.projections.deliveries import (
    DELIVERIES_TABLE,
    deliveries_of,
    due_with_versions,
    unsettled_count,
)
from hub.projections.history import HISTORY
from hub.projections.index_numbers import INDEX_NUMBERS
from hub.projections.media_refs import media_access
from hub.projections.publications import LIVE_TARGETS, PUBLICATIONS
from hub.queries.article_search import ArticleQuery, Visibility
from hub.runtime.embedded import EmbeddedHub
from tests.helpers import NOTICE, approved
from tests.servers import both_databases  # noqa: F401  (every test here runs on both)
from workflows.errors import DomainError

TABLES = (ARTICLE_LIST, REVIEW_QUEUE, HISTORY, INDEX_NUMBERS, PUBLICATIONS, LIVE_TARGETS,
          DELIVERIES_TABLE, delivery_sources.HOMES, delivery_sources.REVISIONS,
          delivery_sources.PUBLICATIONS, media_refs.MEDIA_REFS, media_refs.ARTICLE_SITES)  # fmt: skip
MEDIA = "/media/" + "ab" * 32 + ".png"


def settle(hub: EmbeddedHub) -> None:
    for _ in range(20):
        hub.work()
        if not unsettled_count(hub.store):
            return
    raise AssertionError("deliveries did not settle")


def a_days_work(hub: EmbeddedHub) -> dict[str, str]:
    """Three articles: one live on the site and the app, one waiting for 复审, one draft."""
    live = approved(hub, body=NOTICE + f'<p><img src="{MEDIA}" alt="图"></p>',
                    title="关于开展安全生产大检查的通知")  # fmt: skip
    hub.publishing.publish("qianli", live, ["gov/notices", "app:sf-app"], feeds=False)
    waiting = hub.articles.create("zhangwei", "gov", ["notices"], "防汛工作安排", NOTICE)
    hub.articles.submit("zhangwei", waiting.article_id)
    hub.articles.approve("liting", waiting.article_id, ["wording", "secrecy"])
    draft = hub.articles.create("zhangwei", "gov", ["news"], "Spring 春季植树活动", NOTICE)
    settle(hub)
    hub.catch_up()
    return {"live": live, "waiting": waiting.article_id, "draft": draft.article_id}


def snapshot(hub: EmbeddedHub) -> dict[str, list[tuple[Any, ...]]]:
    return {t.name: sorted(hub.store.rows(t, {}, t.of_the_log), key=repr) for t in TABLES}


def test_each_read_model_answers_what_the_day_did(hub: EmbeddedHub) -> None:
    ids = a_days_work(hub)
    recent = hub.articles.recent()
    assert [i["id"] for i in recent][:3] == [ids["draft"], ids["waiting"], ids["live"]]
    assert {i["status"] for i in hub.articles.recent(status="published")} == {"published"}
    assert hub.articles.titles({ids["live"], "nope"}) == {
        ids["live"]: "关于开展安全生产大检查的通知"
    }
    # A unique start or end of an id finds the article.
    assert hub.articles.resolve(ids["draft"][:-3]) == ids["draft"]
    assert hub.articles.resolve(ids["draft"][-8:]) == ids["draft"]
    # 复审 waits for wangqiang, not for the 初审 reviewer who approved it.
    assert [q["id"] for q in hub.articles.review_queue("wangqiang")] == [ids["waiting"]]
    assert hub.articles.review_queue("liting") == []
    timeline = hub.articles.timeline(ids["live"])
    assert len(timeline) == len(hub.articles.history(ids["live"]))
    # The delivery ledger: both targets delivered, in the order planned; nothing due.
    ledger = deliveries_of(hub.store, ids["live"])
    assert [(d.target.key if d.target else "", str(d.status)) for d in ledger] == [
        ("website:9900000001/notices", "delivered"), ("app:sf-app", "delivered")]  # fmt: skip
    later = datetime.now(UTC) + timedelta(days=1)
    assert due_with_versions(hub.store, later) == [] and unsettled_count(hub.store) == 0
    service = hub.delivery_service
    rollup = service.rollup(ids["live"], None, None)
    assert rollup["total"][""] == {"delivered": 2}
    assert rollup["channels"] == {"website": {"delivered": 1}, "app": {"delivered": 1}}
    app = next(a for a in service.accounts() if a["account"] == "sf-app")
    assert app["deliveries"] == {"delivered": 1} and app["last_delivered_at"]
    assert service.latest_change() == max(d["change"] for d in service.changed_since(0))
    assert service.resolve(ledger[0].delivery_id[:10]) == ledger[0].delivery_id
    assert [d["target"] for d in service.find(account="sf-app")] == ["app:sf-app"]
    # The file in the live article is public; its site's staff see it in drafts too.
    assert media_access(hub.store, MEDIA.rsplit("/", 1)[1]) == (True, {"9900000001"})
    assert hub.rechecker.candidates() == [ids["live"]]


def test_search_finds_words_filters_and_pages_on_either_database(hub: EmbeddedHub) -> None:
    ids = a_days_work(hub)
    everyone = None

    def found(visible: Visibility | None = everyone, **fields: Any) -> list[str]:
        items, _ = hub.articles.search(ArticleQuery(**fields), visible)
        return [i["id"] for i in items]

    assert found(q="安全生产") == [ids["live"]]  # full text, in the body's title
    assert found(q="有关事项") == [ids["draft"], ids["waiting"], ids["live"]]  # newest first
    assert found(q="spring") == [ids["draft"]]  # Latin letters in any case
    assert found(q="防汛") == [ids["waiting"]]  # two characters: the titles
    assert found(q="100%_") == []  # LIKE's wildcards are text
    assert found(q="安全\x00生产") == [ids["live"]]  # control characters are not searched for
    assert found(q="\x00\x01") == found()
    with pytest.raises(DomainError) as refused:
        found(author="zhang\x00wei")
    assert refused.value.code == "INVALID_INPUT"
    assert found(column="news") == [ids["draft"]]
    assert found(status="in_review", site="9900000001") == [ids["waiting"]]
    assert found(channel="app") == [ids["live"]]
    # A caller of another site sees only what is live on its targets.
    outsider = Visibility(frozenset({"other"}), frozenset({"app:sf-app"}))
    assert found(outsider, q="有关事项") == [ids["live"]]
    assert found(Visibility(frozenset({"other"}))) == []
    # Pages of one: every article once, in order, for a list and for a text search.
    for fields in ({}, {"q": "有关事项"}):
        seen, cursor = [], None
        while True:
            items, cursor = hub.articles.search(ArticleQuery(limit=1, cursor=cursor, **fields),
                                                None)  # fmt: skip
            seen += [i["id"] for i in items]
            if cursor is None:
                break
        assert sorted(seen) == sorted(ids.values()) and len(seen) == 3


def test_a_rebuild_from_the_log_gives_the_same_tables(hub: EmbeddedHub) -> None:
    a_days_work(hub)
    before = snapshot(hub)
    assert all(before[t.name] for t in (ARTICLE_LIST, DELIVERIES_TABLE, LIVE_TARGETS, HISTORY))
    searched = hub.articles.search(ArticleQuery(q="有关事项"), None)
    hub.rebuild()
    assert snapshot(hub) == before
    assert hub.articles.search(ArticleQuery(q="有关事项"), None) == searched


def test_a_table_of_an_older_shape_is_rebuilt_from_the_log(hub: EmbeddedHub) -> None:
    ids = a_days_work(hub)
    projection = ArticlesProjection(hub.store)
    older = Table(ARTICLE_LIST.name, (Column("article_id", key=True), Column("title")))
    with hub.store.subscriber_transaction(projection.name) as tx:
        tx.drop(ARTICLE_LIST)
        tx.create(older)  # what an older release left, its checkpoint at the head
        tx.upsert(older, [("stale", "旧")])
    created_in(hub.store).discard(projection.name)  # as a new process would start
    catch_up(hub.store, projection)
    assert sorted(r[0] for r in hub.store.rows(ARTICLE_LIST, {}, ("article_id",))) == sorted(
        ids.values()
    )
