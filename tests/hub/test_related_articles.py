"""P19 with its inputs from the store: a 政策解读 names the 政策文件 it interprets by id (unknown
ids and itself refused, short ids resolved), and a missing back-link is found at submission
until the document links the interpretation too; the console form edits the links."""

from __future__ import annotations

import pytest

from hub.runtime.embedded import EmbeddedHub
from workflows.errors import DomainError

POLICY = "<p>为规范政务公开工作，制定本办法。</p>"
READING = "<p>现就《办法》解读如下。</p>"


def p19(hub: EmbeddedHub, article: str) -> list[str]:
    state, _ = hub.articles.state(article)
    return [f.message for f in state.findings if f.rule == "P19"]


def test_links_are_resolved_from_the_store_and_checked_both_ways(hub: EmbeddedHub) -> None:
    articles = hub.articles
    policy = articles.create("zhangwei", "gov", ["policy-gov"], "示范省政务公开办法",
                             POLICY).article_id  # fmt: skip
    with pytest.raises(DomainError) as refused:
        articles.create("zhangwei", "gov", ["interpretation"], "解读", READING,
                        {"related_articles": ["0000000000000000"]})  # fmt: skip
    assert refused.value.code == "RELATED_NOT_FOUND"
    reading = articles.create("zhangwei", "gov", ["interpretation"], "《办法》解读", READING,
                              {"related_articles": [policy[-12:]]}).article_id  # fmt: skip
    state, _ = articles.state(reading)
    assert state.content is not None and state.content.metadata.related_articles == (policy,)
    with pytest.raises(DomainError) as itself:
        articles.edit("zhangwei", reading, metadata={"related_articles": [reading]})
    assert itself.value.code == "RELATED_NOT_FOUND"
    articles.submit("zhangwei", reading)
    assert any("未反向关联" in m for m in p19(hub, reading))
    articles.withdraw("zhangwei", reading)
    articles.edit("zhangwei", policy, metadata={"related_articles": [reading]})
    articles.submit("zhangwei", reading)
    assert p19(hub, reading) == []
    articles.submit("zhangwei", policy)
    assert p19(hub, policy) == []
    # An interpretation linked to something that is not a 政策文件 is found too.
    other = articles.create("zhangwei", "gov", ["notices"], "通知", POLICY).article_id
    lone = articles.create("zhangwei", "gov", ["interpretation"], "解读二", READING,
                           {"related_articles": [other]}).article_id  # fmt: skip
    articles.submit("zhangwei", lone)
    assert any("须关联所解读的政策文件" in m for m in p19(hub, lone))
