"""Finding work over HTTP: full text in Chinese, filters, cursor pages, visibility applied in
the query (a page of 5 holds 5 articles the caller may see)."""

from __future__ import annotations

from tests.helpers import approve_all, settled
from tests.web.conftest import Web


def make(web: Web, user: str, site: str, title: str, body: str) -> str:
    answer = web.api(user, "POST", "/articles", json={
        "site": site, "columns": ["notices"], "title": title, "body_html": f"<p>{body}</p>"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def ids(web: Web, user: str, **params: object) -> list[str]:
    answer = web.api(user, "GET", "/articles", params=params)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()]


def test_full_text_titles_filters_and_pages(web: Web) -> None:
    winter = make(
        web, "zhangwei", "gov", "关于做好冬季供暖保障工作的通知", "请各地落实燃气安全检查责任。"
    )
    flood = make(web, "zhangwei", "gov", "关于防汛工作的通知", "汛期将至，请加强水库巡查。")
    drc = [make(web, "zhoumin", "drc", f"发展改革委通知第{i}号", "价格监测") for i in range(6)]
    for _ in range(12):
        make(web, "zhangwei", "gov", "关于开展自查工作的通知", "各有关单位：现将有关事项通知如下。")

    assert ids(web, "zhangwei", q="燃气安全检查") == [winter]  # body, 3+ characters
    assert ids(web, "zhangwei", q="防汛") == [flood]  # two characters: titles
    assert ids(web, "zhangwei", q="不存在的词语") == []
    assert set(ids(web, "qianli", q="价格监测")) == set(drc)
    # Visibility before the limit: drc's editor asks for 5 and gets 5 of drc's articles.
    assert set(ids(web, "zhoumin", limit=5)) <= set(drc) and len(ids(web, "zhoumin", limit=5)) == 5
    assert ids(web, "zhoumin", q="燃气安全检查") == []  # gov's draft is not theirs
    # Filters.
    assert set(ids(web, "qianli", site="drc")) == set(drc)
    assert flood in ids(web, "zhangwei", author="zhangwei", status="draft", limit=100)
    assert drc[0] not in ids(web, "qianli", author="zhangwei", limit=100)
    assert web.api("zhangwei", "GET", "/articles", params={"site": "nowhere"}).status_code == 400
    # Every page by cursor: no article twice, none missing, same order as one big page.
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        answer = web.api("qianli", "GET", "/articles", params=params)
        seen += [i["id"] for i in answer.json()]
        cursor = answer.headers.get("x-next-cursor")
        if not cursor:
            break
    assert seen == ids(web, "qianli", limit=500) and len(seen) == len(set(seen)) == 20
    bad = web.api("qianli", "GET", "/articles", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "CURSOR_INVALID"
    # Far dates bound nothing (found by the API fuzzer: 0001-01-01 overflowed into a 500).
    for far in ({"from": "0001-01-01"}, {"to": "9999-12-31"}):
        answer = web.api("qianli", "GET", "/articles", params={**far, "limit": 500})
        assert answer.status_code == 200, answer.text
    # Control characters in the search text are dropped, in a filter refused (the fuzzer:
    # a NUL in `q` ended FTS5's phrase early, a 500).
    assert ids(web, "qianli", q="W\x00\U00010b06\x90", channel="wechat") == []
    nul = web.api("qianli", "GET", "/articles", params={"author": "a\x00b"})
    assert nul.status_code == 400 and nul.json()["error"]["code"] == "INVALID_INPUT"


def test_channel_and_stage_filters(web: Web) -> None:
    article = make(web, "zhangwei", "gov", "关于公布政务公开目录的通知", "目录见附件。")
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    assert article in ids(web, "liting", stage="first", limit=100)
    approve_all(web, article)
    published = web.api("zhangwei", "POST", f"/articles/{article}/publish",
                        json={"to": ["gov/notices", "app:sf-app"], "feeds": False})  # fmt: skip
    assert published.status_code == 200
    assert article in ids(web, "zhangwei", channel="app", limit=100)
    assert article not in ids(web, "zhangwei", channel="wechat", limit=100)
    assert article in ids(web, "zhangwei", column="notices", limit=100)


def test_a_text_search_pages_by_its_own_cursor(web: Web) -> None:
    made = {make(web, "zhangwei", "gov", f"关于城市绿化第{i}批项目的通知", "城市绿化项目清单。")
            for i in range(7)}  # fmt: skip
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": "城市绿化", "limit": 3, **({"cursor": cursor} if cursor else {})}
        answer = web.api("zhangwei", "GET", "/articles", params=params)
        seen += [i["id"] for i in answer.json()]
        cursor = answer.headers.get("x-next-cursor")
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made


def test_the_public_site_has_a_site_map_and_a_search_box(web: Web, tmp_path) -> None:
    import requests

    article = make(web, "zhangwei", "gov", "关于公布古树名木保护名录的通知", "名录见附件。")
    draft = make(web, "zhangwei", "gov", "关于古树名木的内部草稿", "尚未审定。")
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    published = web.api("zhangwei", "POST", f"/articles/{article}/publish",
                        json={"to": ["gov/notices"], "feeds": False})  # fmt: skip
    assert published.status_code == 200
    settled(web, article)  # the engine loop writes the pages in the background
    home = requests.get(f"{web.url}/sites/gov/index.html", timeout=30).text
    assert 'action="./search"' in home and 'href="./sitemap.html"' in home
    site_map = requests.get(f"{web.url}/sites/gov/sitemap.html", timeout=30)
    assert site_map.status_code == 200 and "通知公告" in site_map.text
    found = requests.get(f"{web.url}/sites/gov/search", params={"q": "古树名木"}, timeout=30).text
    assert f"notices/{article}.html" in found and draft not in found  # only what is live
    nothing = requests.get(f"{web.url}/sites/gov/search", params={"q": "%_"}, timeout=30).text
    assert "没有找到" in nothing
    assert requests.get(f"{web.url}/sites/nowhere/search", timeout=30).status_code == 404
