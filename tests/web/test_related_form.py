"""The console's article form edits the policy ↔ interpretation links (P19): an unknown id is
refused on the form with its code, a known one (short or full) is saved as the full id."""

from __future__ import annotations

from tests.web.conftest import Web


def test_the_form_links_an_interpretation_to_its_document(web: Web) -> None:
    policy = web.article(column="policy-gov")
    reading = web.article(column="interpretation")
    session, csrf = web.login("zhangwei")

    def edit(related: str) -> str:
        answer = session.post(f"{web.url}/console/articles/{reading}/edit", timeout=30, data={
            "csrf_token": csrf, "title": "关于《办法》的解读", "body_html": "<p>解读</p>",
            "related": related})  # fmt: skip
        return answer.text

    assert "关联稿件 0000000000000000 不存在" in edit("0000000000000000")
    edit(policy[-12:])
    shown = web.api("zhangwei", "GET", f"/articles/{reading}").json()
    assert shown["metadata"]["related_articles"] == [policy]
    page = session.get(f"{web.url}/console/articles/{reading}/edit", timeout=30).text
    assert f'value="{policy}"' in page
