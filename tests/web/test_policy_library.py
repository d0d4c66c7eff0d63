"""The policy library (一网通查) on a site: documents with their 有效性 and the document that
repealed them, interpretations with their form, a library page per site and per topic with
facets; metadata that cannot be right is refused at the API."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.helpers import STAGES
from tests.web.conftest import Web

ALL = ["political", "legal", "policy", "secrecy", "wording", "public_opinion"]


def publish(web: Web, column: str, title: str, **metadata: Any) -> str:
    hub = web.hub
    created = hub.articles.create("zhangwei", "gov", [column], title,
                                  f"<p>{title}正文，请遵照执行。</p>", metadata)  # fmt: skip
    hub.articles.submit("zhangwei", created.article_id)
    for finding in hub.articles.findings(created.article_id)["current"]:
        hub.articles.override("liting", created.article_id, finding["id"], "演示")
    for user, _ in STAGES:
        hub.articles.approve(user, created.article_id, ALL)
    hub.publishing.publish("qianli", created.article_id, [f"gov/{column}"], feeds=False)
    return created.article_id


def wait_indexed(web: Web, q: str, count: int) -> None:
    deadline = time.monotonic() + 20
    while web.api("zhangwei", "GET", "/search", params={"q": q}).json()["total"] < count:
        assert time.monotonic() < deadline, q
        time.sleep(0.1)


def test_validity_replacement_forms_and_the_library_pages(web: Web) -> None:
    meta = {"issuing_agency": "示范省人民政府", "subject_category": "综合政务"}
    old = publish(web, "policy-gov", "示范省政务公开工作规定", doc_number="示政发〔2020〕3号",
                  validity="现行有效", **meta)  # fmt: skip
    new = publish(web, "policy-gov", "示范省政务公开工作办法", doc_number="示政发〔2026〕9号",
                  validity="现行有效", **meta)  # fmt: skip
    reading_id = publish(web, "interpretation", "图解：示范省政务公开工作办法",
                         related_articles=[new], interpretation_form="图解")  # fmt: skip
    # The old one is repealed by the new one: a correction of its metadata, reviewed again.
    hub = web.hub
    hub.publishing.correct("zhangwei", old, metadata={"validity": "已废止", "replaced_by": new})
    for user, _ in STAGES:
        hub.articles.approve(user, old, ALL)
    wait_indexed(web, "政务公开工作", 3)
    deadline = time.monotonic() + 20
    page = hub.config.sites_root / "gov" / "policy-gov" / f"{old}.html"
    link = f'href="../policy-gov/{new}.html"'
    # The repealed page links the new one in its related block (both ways, whichever page
    # was written first), and says so in its 有效性.
    while "已废止" not in (html := page.read_text(encoding="utf-8") if page.exists() else "") or (
        link not in html
    ):  # fmt: skip
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "有效性：已废止" in html
    newer = hub.config.sites_root / "gov" / "policy-gov" / f"{new}.html"  # and back, just after
    while f'href="../policy-gov/{old}.html"' not in newer.read_text("utf-8"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    reading = hub.config.sites_root / "gov" / "interpretation" / f"{reading_id}.html"
    while not reading.exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "解读形式：图解" in reading.read_text(encoding="utf-8")
    # The index takes in the correction in the same engine round, just after the page.
    deadline = time.monotonic() + 30
    while "已废止" not in (
        library := requests.get(f"{web.url}/sites/gov/policies", timeout=30).text
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert (
        "政策文件库" in library
        and "示政发〔2020〕3号" in library
        and "示政发〔2026〕9号" in library
    )
    assert "图解：" not in library  # interpretations are not policy documents
    assert library.index("示政发〔2026〕9号") < library.index("示政发〔2020〕3号")  # newest first
    assert "主题分类" in library and "有效性" in library and "已废止" in library
    topic = requests.get(
        f"{web.url}/sites/gov/policies", params={"subject": "综合政务"}, timeout=30
    ).text
    assert "政策文件库：综合政务" in topic and "共 2 件" in topic
    repealed = requests.get(
        f"{web.url}/sites/gov/policies", params={"validity": "已废止"}, timeout=30
    ).text
    assert "共 1 件" in repealed and "示政发〔2020〕3号" in repealed
    ignored = requests.get(
        f"{web.url}/sites/gov/policies", params={"validity": "<x>", "page": "x"}, timeout=30
    )
    assert ignored.status_code == 200 and "共 2 件" in ignored.text
    # Metadata that cannot be right is refused.
    body = {
        "site": "gov",
        "columns": ["policy-gov"],
        "title": "示范文件",
        "body_html": "<p>正文</p>",
    }
    no_link = web.api(
        "zhangwei", "POST", "/articles", json={**body, "metadata": {"validity": "已废止"}}
    )
    assert no_link.status_code == 400 and "replaced_by" in no_link.text
    unknown = web.api("zhangwei", "POST", "/articles", json={
        **body, "metadata": {"validity": "已修改", "replaced_by": "no-such-article"}})  # fmt: skip
    assert (
        unknown.status_code in (400, 404) and unknown.json()["error"]["code"] == "RELATED_NOT_FOUND"
    )
    bad_form = web.api(
        "zhangwei",
        "POST",
        "/articles",
        json={**body, "metadata": {"interpretation_form": "广播剧"}},
    )
    assert bad_form.status_code == 400
