"""Search over what is live (一搜即达), kept from the log: found once published and never
before; gone from a site when withdrawn there, everywhere when retracted; a correction
replaces the words found; a rebuild answers as the incremental index did. On both
databases."""

from __future__ import annotations

from datetime import timedelta

from hub.runtime.clock import utc_now
from hub.runtime.embedded import EmbeddedHub
from hub.search.query import SearchQuery
from tests.helpers import STAGES, approved
from tests.servers import both_databases  # noqa: F401  (these tests run on both databases)


def found(hub: EmbeddedHub, q: str, **filters: str) -> list[tuple[str, str]]:
    """(article, site) of every hit (first page of 50)."""
    page = hub.search.search(SearchQuery(q=q, size=50, **filters))  # type: ignore[arg-type]
    return [(h.doc.article_id, h.doc.site) for h in page.hits]


def settle(hub: EmbeddedHub, rounds: int = 3) -> None:
    for _ in range(rounds):
        hub.work()


def test_only_what_is_live_is_found(hub: EmbeddedHub) -> None:
    body = "<p>各有关单位：为做好住房公积金提取工作，现将有关事项通知如下。</p>"
    draft = hub.articles.create("zhangwei", "gov", ["notices"], "关于住房公积金的草稿", body)
    approved(hub, body, "关于做好住房公积金提取工作的通知（待发）")  # approved, not published
    later = approved(hub, body, "关于做好住房公积金提取工作的通知（定时）")
    hub.publishing.publish("qianli", later, ["gov/notices"], at=utc_now() + timedelta(days=1),
                           feeds=False)  # fmt: skip
    live = approved(hub, body, "关于做好住房公积金提取工作的通知")
    hub.publishing.publish("qianli", live, ["gov/notices", "drc/notices"], feeds=False)
    settle(hub)
    assert sorted(found(hub, "公积金")) == sorted([(live, "gov"), (live, "drc")])
    assert draft.article_id not in {a for a, _ in found(hub, "草稿")}
    assert found(hub, "待发") == [] and found(hub, "定时") == []
    assert found(hub, "公积金", site="drc") == [(live, "drc")]
    # Withdrawn by drc's staff: gone from drc only.
    hub.publishing.retract("zhoumin", live, "与本站职能无关")
    settle(hub)
    assert found(hub, "公积金") == [(live, "gov")]
    # A correction: the new words are found, the old ones no more.
    hub.publishing.correct("zhangwei", live, title="关于做好住房公积金提取工作的通知（更正）",
                           body_html="<p>各有关单位：现将公积金提取的办理时限调整为五个工作日。</p>")  # fmt: skip
    for user, gates in STAGES:
        hub.articles.approve(user, live, gates)
    settle(hub)
    assert found(hub, "办理时限") == [(live, "gov")]
    assert found(hub, "为做好") == []  # in the old body only
    partly = hub.search.search(SearchQuery(q="各有关单位 为做好"))
    assert partly.partial and [h.doc.article_id for h in partly.hits] == [live]
    hits = hub.search.search(SearchQuery(q="公积金")).hits
    assert hits[0].doc.title.endswith("（更正）")
    # Retracted: gone everywhere.
    hub.publishing.retract("qianli", live, "有误")
    settle(hub)
    assert found(hub, "公积金") == []


def test_a_rebuild_answers_as_the_incremental_index(hub: EmbeddedHub) -> None:
    titles = ["关于推进一网通办改革的实施意见", "关于优化营商环境的若干措施",
              "关于做好医疗保障工作的通知", "关于开展安全生产大检查的通知"]  # fmt: skip
    for title in titles:
        article = approved(hub, f"<p>{title}正文。各有关单位遵照执行。</p>", title)
        hub.publishing.publish("qianli", article, ["gov/notices"], feeds=False)
    settle(hub)
    queries = ["通知", "一网通办", "网上办事", "医保", "营商环境 措施", "各有关单位"]
    before = {q: found(hub, q) for q in queries}
    assert all(before[q] for q in queries), before
    assert hub.search.rebuild() == len(titles)
    assert {q: found(hub, q) for q in queries} == before
    hub.rebuild()  # every projection and the index again
    assert {q: found(hub, q) for q in queries} == before
    assert hub.search.engine.count() == len(titles)
