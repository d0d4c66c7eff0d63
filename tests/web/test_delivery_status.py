"""Partial delivery as a status: an article delivered to some targets and dead on another
says so — 投递失败 1/2 — on its page, in the lists and in the API, with a link to its
deliveries; fully delivered, it says 已送达."""

from __future__ import annotations

from tests.helpers import published_to, settled
from tests.web.conftest import Web


def test_an_article_partly_delivered_says_so_everywhere(web: Web) -> None:
    # The demo's Weibo account is not authorised in this hub: its delivery is dead at once
    # (a credential problem is not retried); the website page is delivered.
    article = published_to(web, ["gov/notices", "weibo:sf-weibo"])
    rows = settled(web, article)
    assert sorted(r["status"] for r in rows) == ["dead", "delivered"], rows
    detail = web.api("zhangwei", "GET", f"/articles/{article}").json()
    assert detail["delivery"] == {"state": "failed", "label": "投递失败 1/2", "total": 2,
                                  "delivered": 1, "going": 0, "failed": 1, "retracted": 0}  # fmt: skip
    session, _ = web.login("zhangwei")
    page = session.get(f"{web.url}/console/articles/{article}", timeout=30).text
    assert 'data-delivery="failed"' in page and "投递失败 1/2" in page
    assert f"/console/deliveries?article={article}" in page
    listed = session.get(f"{web.url}/console/articles", params={"author": "zhangwei"},
                         timeout=30).text  # fmt: skip
    assert "投递失败 1/2" in listed

    fine = published_to(web, ["gov/notices"])
    assert [r["status"] for r in settled(web, fine)] == ["delivered"]
    assert web.api("zhangwei", "GET", f"/articles/{fine}").json()["delivery"]["label"] == "已送达 1"
