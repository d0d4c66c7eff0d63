"""The resource library over HTTP: a site's editor reuses another site's live article (the
API lets anyone signed in reuse what is public, nothing else); offers are listed, adopted
and returned only by the receiving site; flows of other sites do not exist for a caller;
the repost figures of a document; bad bodies are refused with codes."""

from __future__ import annotations

from tests.helpers import approve_all, settled
from tests.web.conftest import Web


def live_article(web: Web) -> str:
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    published = web.api("qianli", "POST", f"/articles/{article}/publish",
                        json={"to": ["gov/notices"], "feeds": False})  # fmt: skip
    assert published.status_code == 200, published.text
    return article


def test_reusing_what_is_public_and_only_that(web: Web) -> None:
    article = live_article(web)
    assert web.api("zhoumin", "GET", f"/articles/{article}").status_code == 404  # gov's
    body = {"to": ["drc/notices"], "feeds": False}
    assert web.api(None, "POST", f"/articles/{article}/reuse", json=body).status_code == 401
    refused = web.api("wujun", "POST", f"/articles/{article}/reuse", json=body)  # a reviewer
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "SITE_ROLE_REQUIRED"
    taken = web.api("zhoumin", "POST", f"/articles/{article}/reuse", json=body)
    assert taken.status_code == 200, taken.text
    assert taken.json()["events"] == ["ArticleReused", "ArticlePublished"]
    settled(web, article)
    assert web.api("zhoumin", "GET", f"/articles/{article}").status_code == 200  # on drc now
    again = web.api("zhoumin", "POST", f"/articles/{article}/reuse", json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "ALREADY_REUSED"
    # A draft of gov is not public: for drc's editor it does not exist.
    draft = web.article()
    hidden = web.api("zhoumin", "POST", f"/articles/{draft}/reuse", json=body)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "ARTICLE_NOT_FOUND"
    for bad in ({"to": []}, {"to": ["drc/notices"], "extra": 1}, {"to": "drc/notices"}):
        assert web.api("zhoumin", "POST", f"/articles/{article}/reuse", json=bad).status_code == 400
    page = (web.hub.config.sites_root / "drc" / "notices" / f"{article}.html").read_text("utf-8")
    assert "转载自" in page
    reposts = web.api("zhouyan", "GET", f"/articles/{article}/reposts").json()  # a supervisor
    assert reposts["reposted"] == 1 and {s["site"] for s in reposts["sites"]} == {
        "drc",
        "edu",
        "city",
    }


def test_an_offer_is_adopted_or_returned_by_the_receiving_site_only(web: Web) -> None:
    article = live_article(web)
    offered = web.api("zhangwei", "POST", f"/articles/{article}/offer",
                      json={"to_site": "city", "note": "请转载"})  # fmt: skip
    assert offered.status_code == 200, offered.text
    flow = offered.json()["reuse_id"]
    incoming = web.api("linfang", "GET", "/library/flows", params={"status": "offered"}).json()
    assert flow in [f["reuse_id"] for f in incoming]
    assert flow not in [f["reuse_id"] for f in web.api("zhoumin", "GET", "/library/flows").json()]
    stranger = web.api(
        "zhoumin", "POST", f"/library/flows/{flow}/accept", json={"columns": ["news"]}
    )
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "REUSE_NOT_FOUND"
    sender = web.api("zhangwei", "POST", f"/library/flows/{flow}/decline", json={"reason": "x"})
    assert sender.status_code == 403
    for bad in ({"columns": []}, {}, {"columns": ["notices"], "x": 1}):
        assert (
            web.api("linfang", "POST", f"/library/flows/{flow}/accept", json=bad).status_code == 400
        )
    assert (
        web.api(
            "linfang", "POST", f"/library/flows/{flow}/decline", json={"reason": ""}
        ).status_code
        == 400
    )
    adopted = web.api(
        "linfang", "POST", f"/library/flows/{flow}/accept", json={"columns": ["notices"]}
    )
    assert adopted.status_code == 200, adopted.text
    copy = adopted.json()["copy_article"]
    detail = web.api("linfang", "GET", f"/articles/{copy}").json()
    assert (
        detail["status"] == "in_review" and detail["metadata"]["source"] == "示范省人民政府门户网站"
    )
    twice = web.api(
        "linfang", "POST", f"/library/flows/{flow}/accept", json={"columns": ["notices"]}
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "REUSE_NOT_OFFERED"
    sent = web.api(
        "zhangwei", "GET", "/library/flows", params={"direction": "out", "kind": "offer"}
    )
    assert [(f["reuse_id"], f["status"]) for f in sent.json() if f["reuse_id"] == flow] == [
        (flow, "accepted")
    ]
    assert (
        web.api("zhangwei", "GET", "/library/flows", params={"direction": "up"}).status_code == 400
    )
    sideways = web.api("zhangwei", "POST", f"/articles/{article}/submit-up")
    assert sideways.status_code == 400 and sideways.json()["error"]["code"] == "NO_PARENT_SITE"


def test_a_supervisor_sees_how_fast_the_portals_documents_were_reposted(web: Web) -> None:
    from tests.web.test_policy_library import publish

    document = publish(web, "policy-gov", "示范省人民政府关于加强安全生产工作的意见",
                       doc_number="示政发〔2026〕21号", issuing_agency="示范省人民政府")  # fmt: skip
    taken = web.api("zhoumin", "POST", f"/articles/{document}/reuse",
                    json={"to": ["drc/notices"], "feeds": False})  # fmt: skip
    assert taken.status_code == 200, taken.text
    settled(web, document)
    session, _ = web.login("zhouyan")  # 监管
    listing = session.get(f"{web.url}/console/supervision/reposts", timeout=30).text
    row = listing.split(f'data-article="{document}"')[1].split("</tr>")[0]
    assert "示范省人民政府关于加强安全生产工作的意见" in row and "1 / 3" in row
    detail = session.get(f"{web.url}/console/supervision/reposts", params={"article": document},
                         timeout=30).text  # fmt: skip
    drc = detail.split('data-site="drc"')[1].split("</tr>")[0]
    assert "示范省发展和改革委员会" in drc and "是" in drc
    assert "未转载" in detail.split('data-site="city"')[1].split("</tr>")[0]
    editor, _ = web.login("zhoumin")
    assert editor.get(f"{web.url}/console/supervision/reposts", timeout=30).status_code == 403


def test_the_consoles_library_forms_refuse_forgeries_and_strangers(web: Web) -> None:
    article = live_article(web)
    flow = web.api("zhangwei", "POST", f"/articles/{article}/offer",
                   json={"to_site": "city"}).json()["reuse_id"]  # fmt: skip
    city, csrf = web.login("linfang")
    forged = city.post(
        f"{web.url}/console/library/{flow}/accept",
        data={"columns": "notices"},
        timeout=30,
        allow_redirects=False,
    )  # fmt: skip  (no CSRF token)
    assert forged.status_code == 403
    stranger, stranger_csrf = web.login("zhoumin")  # drc: not the receiving site
    refused = stranger.post(f"{web.url}/console/library/{flow}/accept", timeout=30,
                            data={"csrf_token": stranger_csrf, "columns": "notices"})  # fmt: skip
    assert refused.status_code == 403 and "没有编辑权限" in refused.text
    for path, data in ((f"/console/library/{flow}/accept", {}),
                       (f"/console/library/{flow}/decline", {"reason": ""}),
                       ("/console/library/no-such-flow/accept", {"columns": "notices"}),
                       ("/console/library/reuse", {"article": "no-such", "to": "city/notices"}),
                       ("/console/library/offer", {"article": article, "to_site": "<script>"})):  # fmt: skip
        answer = city.post(f"{web.url}{path}", data={"csrf_token": csrf, **data}, timeout=30)
        assert answer.status_code in (400, 403, 404), (path, answer.status_code)
        assert "<script>" not in answer.text and "Traceback" not in answer.text
    assert web.api("linfang", "GET", "/library/flows", params={"status": "offered"}).json()[0][
        "reuse_id"] == flow  # nothing was adopted or returned  # fmt: skip
    replayed = city.post(f"{web.url}/console/library/{flow}/accept", timeout=30,
                         data={"csrf_token": csrf, "columns": "notices"})  # fmt: skip
    assert replayed.status_code == 200 and "已采用" in replayed.text
    again = city.post(f"{web.url}/console/library/{flow}/accept", timeout=30,
                      data={"csrf_token": csrf, "columns": "notices"})  # fmt: skip
    assert (
        again.status_code == 409 and "不在待采用状态" in again.text
    )  # a replay adopts nothing twice
