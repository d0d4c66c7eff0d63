"""The scale-out engine: a real OpenSearch node (Maven Central's distribution, run as nobody
on loopback) answers the labelled set exactly as the embedded engine does (the same top ten
for every judged query), and a hub configured with `search_url` keeps it from the log:
found once published, gone when withdrawn or retracted, the same after a rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.search_corpus import corpus, judged
from bench.search_engines import doc_of, settings
from hub.runtime.embedded import EmbeddedHub
from hub.search.analysis import add_words
from hub.search.opensearch_engine import OpenSearchEngine
from hub.search.query import SearchQuery, terms_of
from hub.search.tantivy_engine import TantivyEngine
from tests.conftest import CONFIG
from tests.helpers import approved
from tests.servers import OpenSearchServer, opensearch  # noqa: F401  (the node)

pytestmark = pytest.mark.slow


def test_both_engines_answer_the_judged_set_alike(
    opensearch: OpenSearchServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    items, rules = corpus(), settings(True)
    add_words(rules.dictionary())
    embedded = TantivyEngine(tmp_path / "index")
    remote = OpenSearchEngine(opensearch.url, "judged")
    remote.clear()
    docs = {item.key: [doc_of(item)] for item in items}
    embedded.replace(docs, 7)
    remote.replace(docs, 7)
    assert remote.position() == 7 and remote.count() == len(items)
    for case in judged(items):
        query = SearchQuery(q=case.query, size=10)
        terms = terms_of(case.query, rules)
        here = [d.article_id for d, _ in embedded.search(query, terms).docs]
        there = [d.article_id for d, _ in remote.search(query, terms).docs]
        assert here == there, case.query
    filtered = SearchQuery(q="通知", vertical="policy", year="2024", size=50)
    one, other = (
        embedded.search(filtered, terms_of("通知", rules)),
        remote.search(filtered, terms_of("通知", rules)),
    )
    assert one.total == other.total > 0 and one.facets == other.facets
    remote.close()


def test_a_hub_keeps_an_opensearch_index_from_its_log(
    opensearch: OpenSearchServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    (config / "hub.yaml").write_text(
        f"database: {tmp_path / 'hub.sqlite3'}\nsearch_url: {opensearch.url}\n"
        f"search_index: hub-{tmp_path.name.lower()[-20:]}\nlog_level: warning\n", encoding="utf-8")  # fmt: skip
    with EmbeddedHub.open(config) as hub:
        article = approved(
            hub, "<p>各有关单位：请做好住房公积金缴存工作。</p>", "关于做好住房公积金缴存工作的通知"
        )
        hub.publishing.publish("qianli", article, ["gov/notices", "drc/notices"], feeds=False)
        for _ in range(3):
            hub.work()
        found = hub.search.search(SearchQuery(q="公积金"))
        assert {h.doc.site for h in found.hits} == {"gov", "drc"}
        assert "<mark>住房公积金</mark>" in str(found.hits[0].title_html)
        hub.publishing.retract("zhoumin", article, "与本站职能无关")
        for _ in range(3):
            hub.work()
        assert [h.doc.site for h in hub.search.search(SearchQuery(q="公积金")).hits] == ["gov"]
        assert hub.search.rebuild() == 1
        assert [h.doc.site for h in hub.search.search(SearchQuery(q="公积金")).hits] == ["gov"]
        hub.publishing.retract("qianli", article, "有误")
        for _ in range(3):
            hub.work()
        assert hub.search.search(SearchQuery(q="公积金")).total == 0
