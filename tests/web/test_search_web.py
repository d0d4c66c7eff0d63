"""一搜即达 over HTTP: a site's search page (facets, verticals, highlighting, paging, its own
theme), the API's answer, the console's search over every site; what an attacker sends in
the parameters is a search, never an error page or a script in the answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers import STAGES
from tests.web.conftest import Web

ALL_GATES = ["political", "legal", "policy", "secrecy", "wording", "public_opinion"]
MEASURES = "示范省人民政府关于优化营商环境的若干措施"


def publish(web: Web, column: str, title: str, body: str, **metadata: Any) -> str:
    hub = web.hub
    created = hub.articles.create("zhangwei", "gov", [column], title, body, metadata)
    hub.articles.submit("zhangwei", created.article_id)
    for finding in hub.articles.findings(created.article_id)["current"]:  # P19: linked later
        hub.articles.override("liting", created.article_id, finding["id"], "政策文件随后补充关联")
    for user, _ in STAGES:  # every gate: the policy column's workflow asks more at 初审
        hub.articles.approve(user, created.article_id, ALL_GATES)
    hub.publishing.publish("qianli", created.article_id, [f"gov/{column}"], feeds=False)
    return created.article_id


@pytest.fixture(scope="module")
def library(web: Web) -> dict[str, str]:
    policy = publish(web, "policy-gov", MEASURES,
                     "<p>为深入推进一网通办改革，持续优化营商环境，现提出如下措施。</p>",
                     doc_number="示政发〔2026〕8号", issuing_agency="示范省人民政府",
                     subject_category="综合政务")  # fmt: skip
    ids = {
        "policy": policy,
        "reading": publish(web, "interpretation", "图解：《关于优化营商环境的若干措施》",
                           "<p>一图读懂优化营商环境的二十条措施。</p>", related_articles=[policy]),
        "notice": publish(web, "notices", "关于营商环境问题线索征集的通知",
                          "<p>&lt;script&gt;alert(1)&lt;/script&gt; 欢迎反映营商环境方面的问题。</p>"),
    }  # fmt: skip
    deadline = time.monotonic() + 20
    while web.api("zhangwei", "GET", "/search", params={"q": "营商环境"}).json()["total"] < 3:
        assert time.monotonic() < deadline, "not indexed by the engine loop"
        time.sleep(0.1)
    return ids


def page(web: Web, path: str = "/sites/gov/search", **params: str) -> requests.Response:
    return requests.get(f"{web.url}{path}", params=params, timeout=30)


def test_a_sites_search_page_ranks_highlights_and_filters(
    web: Web, library: dict[str, str]
) -> None:
    answer = page(web, q="营商环境")
    assert answer.status_code == 200
    html = answer.text
    assert "找到 3 条" in html and "<mark>营商环境</mark>" in html
    assert html.index("优化<mark>营商环境</mark>的若干措施") < html.index(
        "征集的通知"
    )  # title first
    assert (
        'href="./policy-gov/' in html
        and "示政发〔2026〕8号" in html
        and "示范省人民政府 " not in html
    )
    assert "政策文件" in html and "政策解读" in html and "（1）" in html  # the facets
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    only_policies = page(web, q="营商环境", vertical="policy").text
    assert "找到 1 条" in only_policies and library["policy"] in only_policies
    by_number = page(web, q="示政发[2026]8号").text
    assert "找到 1 条" in by_number and library["policy"] in by_number
    synonym = page(web, q="网上办事").text  # 一网通办 in the same synonym group
    assert library["policy"] in synonym and "<mark>一网通办</mark>" in synonym
    other_site = page(web, path="/sites/drc/search", q="营商环境").text
    assert "找到 0 条" in other_site and "没有找到" in other_site


def test_the_api_answers_search_with_facets(web: Web, library: dict[str, str]) -> None:
    answer = web.api("zhangwei", "GET", "/search", params={"q": "营商环境 措施", "site": "gov"})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert {h["article_id"] for h in found["hits"]} == {library["policy"], library["reading"]}
    policy = next(h for h in found["hits"] if h["article_id"] == library["policy"])
    assert (
        policy["url"].startswith("/sites/gov/policy-gov/")
        and policy["doc_number"] == "示政发〔2026〕8号"
    )
    assert {"value": "policy", "count": 1} in found["facets"]["vertical"]
    assert web.api(None, "GET", "/search", params={"q": "营商环境"}).status_code == 401
    for params in ({"vertical": "<script>"}, {"page": "0"}, {"year": "20x6"}, {"q": "字" * 101},
                   {"sort": "random"}):  # fmt: skip
        refused = web.api("zhangwei", "GET", "/search", params=params)
        assert refused.status_code == 400, (params, refused.text)
    unknown = web.api("zhangwei", "GET", "/search", params={"site": "nowhere"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "SITE_UNKNOWN"


@pytest.mark.parametrize("params", [
    {"q": "营商环境", "page": "-5"}, {"q": "营商环境", "page": "abc"},
    {"q": "营商环境", "page": "99999999999999"}, {"q": "<script>alert(1)</script>"},
    {"q": "营商", "vertical": "<img src=x onerror=alert(1)>"}, {"q": "x", "year": "20x6"},
    {"q": "字" * 5000}, {"q": "营商", "column": "../../etc/passwd"}, {"q": "\x00\u200b"},
    {"q": "\"", "sort": "date"}, {"q": "*:* OR 1=1", "agency": "' OR ''='"},
])  # fmt: skip
def test_whatever_the_parameters_the_page_is_a_search(web: Web, library: dict[str, str],
                                                      params: dict[str, str]) -> None:  # fmt: skip
    answer = page(web, **params)
    assert answer.status_code == 200, answer.text[:300]
    assert "<script>alert" not in answer.text and "<img src=x" not in answer.text


def test_the_console_searches_every_site_with_the_site_as_a_facet(
    web: Web, library: dict[str, str]
) -> None:
    session, _ = web.login("zhoumin")  # drc's editor finds gov's measures to reuse
    answer = session.get(f"{web.url}/console/search", params={"q": "营商环境"}, timeout=30)
    assert answer.status_code == 200
    html = answer.text
    assert "找到 3 条" in html and "示范省人民政府" in html and 'href="search?q=' in html
    assert f"/sites/gov/policy-gov/{library['policy']}.html" in html
    assert session.get(f"{web.url}/console/search", params={"q": "营商环境", "site": "drc"},
                       timeout=30).text.count("data-article=") == 0  # fmt: skip


def test_the_search_pages_are_valid_html(web: Web, library: dict[str, str], tmp_path: Path,
                                         html_validator: Callable[[Path], list[dict]]) -> None:  # fmt: skip
    for name, params in (("found", {"q": "营商环境"}), ("none", {"q": "无此内容"}),
                         ("empty", {}), ("paged", {"q": "营商环境", "vertical": "news"})):  # fmt: skip
        file = tmp_path / f"{name}.html"
        file.write_text(page(web, **params).text, encoding="utf-8")
        assert html_validator(file) == [], name
    library = tmp_path / "policies.html"
    library.write_text(page(web, path="/sites/gov/policies").text, encoding="utf-8")
    assert html_validator(library) == []
    raw = requests.get(f"{web.url}/sites/gov/search?q=%ff%fe%00&page=%80", timeout=30)
    assert raw.status_code in (200, 400) and "Traceback" not in raw.text
