"""Images, attachments and Word import over HTTP, and the request size limit."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from hub.content.media import MAX_ATTACHMENT_BYTES
from tests.hub.content.test_media import PNG, word_document
from tests.web.conftest import Web


def upload(web: Web, user: str | None, data: bytes, name: str) -> requests.Response:
    return web.api(user, "POST", "/media", files={"file": (name, data)})


def test_an_editor_uploads_an_image_that_the_hub_then_serves(web: Web) -> None:
    answer = upload(web, "zhangwei", PNG, "图.png")
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    assert stored["kind"] == "image" and stored["url"].startswith("/media/")
    token = {"Authorization": f"Bearer {web.token('zhangwei')}"}
    served = requests.get(web.url + stored["url"], headers=token, timeout=30)
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["cache-control"] == "private, no-store"  # no article is live with it
    assert requests.get(web.url + stored["url"], timeout=30).status_code == 404  # not public
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    # The body of an article links it, and keeps the link through the sanitiser.
    made = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": "配图通知",
        "body_html": f'<p>见下图</p><img src="{stored["url"]}" alt="示意图" onerror="x()">'})  # fmt: skip
    assert made.status_code == 201, made.text
    body = web.api("zhangwei", "GET", f"/articles/{made.json()['id']}").json()["body_html"]
    assert f'src="{stored["url"]}"' in body and "onerror" not in body


def test_attachments_download_under_their_name(web: Web) -> None:
    stored = upload(web, "zhangwei", b"%PDF-1.7\n%%EOF", "2026年工作要点.pdf").json()
    assert stored["kind"] == "attachment" and stored["name"] == "2026年工作要点.pdf"
    token = {"Authorization": f"Bearer {web.token('zhangwei')}"}
    served = requests.get(web.url + stored["url"], headers=token, timeout=30)
    assert served.headers["content-type"] == "application/pdf"
    assert "attachment" in served.headers["content-disposition"]
    assert "filename*=UTF-8''2026" in served.headers["content-disposition"]


def test_uploads_are_refused_to_strangers_non_writers_and_dangerous_files(web: Web) -> None:
    assert upload(web, None, PNG, "a.png").status_code == 401
    refused = upload(web, "qianli", PNG, "a.png")  # an operator writes no articles
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "SITE_ROLE_REQUIRED"
    svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    for data, name, code in ((svg, "a.svg", "MEDIA_TYPE_REFUSED"), (b"", "a.png", "MEDIA_EMPTY"),
                             (b"<html><script>", "a.png", "MEDIA_TYPE_REFUSED")):  # fmt: skip
        answer = upload(web, "zhangwei", data, name)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == code
    big = b"%PDF-1.7\n" + b"0" * MAX_ATTACHMENT_BYTES
    answer = upload(web, "zhangwei", big, "big.pdf")
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "MEDIA_TOO_LARGE"
    assert web.api(None, "POST", "/media").status_code == 401
    missing = web.api("zhangwei", "POST", "/media", data={"other": "x"})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "INVALID_INPUT"
    for key in ("../../etc/passwd", "0" * 64 + ".png", "x"):
        assert requests.get(f"{web.url}/media/{key}", timeout=30).status_code == 404


def test_a_word_document_is_imported_through_the_api_and_the_console(
    web: Web, tmp_path: Path
) -> None:
    document = word_document(tmp_path)
    answer = web.api("zhangwei", "POST", "/imports/docx", files={"file": ("通知.docx", document)})
    assert answer.status_code == 200, answer.text
    imported = answer.json()
    assert imported["title"] == "关于开展安全生产大检查的通知"
    assert "<table>" in imported["body_html"] and len(imported["images"]) == 1
    session, csrf = web.login("zhangwei")
    page = session.post(f"{web.url}/console/articles/import", timeout=30,
                        data={"csrf_token": csrf}, files={"file": ("通知.docx", document)})  # fmt: skip
    assert page.status_code == 200
    assert 'value="关于开展安全生产大检查的通知"' in page.text and "应急管理厅" in page.text
    assert "已导入《通知.docx》，图片 1 张" in page.text
    wrong = session.post(f"{web.url}/console/articles/import", timeout=30,
                         data={"csrf_token": csrf}, files={"file": ("a.docx", b"%PDF-1.4")})  # fmt: skip
    assert wrong.status_code == 400 and "IMPORT_NOT_DOCX" in wrong.text
    forged = session.post(f"{web.url}/console/articles/import", timeout=30,
                          files={"file": ("通知.docx", document)})  # fmt: skip
    assert forged.status_code == 403  # no CSRF token
    refused = web.api("zhangwei", "POST", "/imports/docx", files={"file": ("a.docx", b"x")})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "IMPORT_NOT_DOCX"


def test_bodies_over_the_limit_are_refused_even_without_a_length(web: Web) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b'{"x": "' + b"0" * (1024 * 1024) + b'"}'

    headers = {"Authorization": f"Bearer {web.token('zhangwei')}",
               "Content-Type": "application/json"}  # fmt: skip
    chunked = requests.post(f"{web.url}/api/v1/articles", data=chunks(), headers=headers,
                            timeout=60)  # fmt: skip
    assert chunked.status_code == 413
    assert chunked.json()["error"]["code"] == "BODY_TOO_LARGE"
    declared = requests.post(f"{web.url}/api/v1/articles", data=b"0" * (5 * 1024 * 1024),
                             headers=headers, timeout=60)  # fmt: skip
    assert declared.status_code == 413
    assert re.search("4 MB", declared.json()["error"]["message"])
    # The hub still answers.
    assert requests.get(f"{web.url}/healthz", timeout=30).status_code == 200


def test_a_file_is_public_only_while_a_live_article_links_it(web: Web) -> None:
    from tests.helpers import approve_all

    pdf = upload(web, "zhangwei", b"%PDF-1.7\n% retract me\n%%EOF", "名单.pdf").json()
    shared = upload(web, "zhangwei", b"%PDF-1.7\n% shared\n%%EOF", "共用.pdf").json()

    def published(links: list[str]) -> str:
        made = web.api("zhangwei", "POST", "/articles", json={
            "site": "gov", "columns": ["notices"], "title": "关于公布名单的通知",
            "body_html": "<p>附件：" + "".join(f'<a href="{u}">附件{i}</a>'
                                               for i, u in enumerate(links)) + "</p>"})  # fmt: skip
        article = made.json()["id"]
        assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
        approve_all(web, article)
        answer = web.api("zhangwei", "POST", f"/articles/{article}/publish",
                         json={"to": ["gov/notices"], "feeds": False})  # fmt: skip
        assert answer.status_code == 200, answer.text
        return str(article)

    def public(url: str) -> requests.Response:
        return requests.get(web.url + url, timeout=30)

    # A draft's file is seen by its site's staff only.
    draft = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": "草稿", "body_html":
        f'<p><a href="{pdf["url"]}">附件</a></p>'}).json()["id"]  # fmt: skip
    assert public(pdf["url"]).status_code == 404
    as_other = {"Authorization": f"Bearer {web.token('zhoumin')}"}  # an editor of drc
    assert requests.get(web.url + pdf["url"], headers=as_other, timeout=30).status_code == 404
    assert draft
    first = published([pdf["url"], shared["url"]])
    second = published([shared["url"]])
    served = public(pdf["url"])
    assert served.status_code == 200 and "immutable" not in served.headers["cache-control"]
    assert served.headers["cache-control"] == "public, max-age=300"
    site_media = web.hub.config.sites_root / "gov" / "media"
    deadline = time.monotonic() + 20  # the site's copy is written by its delivery
    while not (site_media / pdf["url"].split("/")[2]).exists():
        assert time.monotonic() < deadline, "the site copy was not written"
        time.sleep(0.1)
    retracted = web.api("zhangwei", "POST", f"/articles/{first}/retract", json={"reason": "有误"})
    assert retracted.status_code == 200
    deadline = time.monotonic() + 20
    while (site_media / pdf["url"].split("/")[2]).exists():
        assert time.monotonic() < deadline, "the site copy was not removed"
        time.sleep(0.1)
    assert public(pdf["url"]).status_code == 404  # the retracted article's own file
    assert public(shared["url"]).status_code == 200  # still linked by a live article
    assert (site_media / shared["url"].split("/")[2]).exists()
    assert second


def _rebuilt(document: bytes, part: str, content: bytes) -> bytes:
    """The .docx with one part replaced (the rest as Word wrote it)."""
    import io
    import zipfile

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(document)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = content if info.filename == part else source.read(info)
            target.writestr(info.filename, data)
    return out.getvalue()


def test_word_bombs_and_damaged_files_are_refused_quickly_and_clearly(
    web: Web, tmp_path: Path
) -> None:
    document = word_document(tmp_path)
    head = b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    bomb = _rebuilt(document, "word/document.xml",
                    head + b"<w:p><w:r><w:t>" + b"A" * (20 * 1024 * 1024) + b"</w:t></w:r></w:p></w:body></w:document>")  # fmt: skip
    deep = _rebuilt(document, "word/document.xml",
                    head + b"<w:tbl>" * 5000 + b"</w:tbl>" * 5000 + b"</w:body></w:document>")  # fmt: skip
    entity = _rebuilt(document, "word/document.xml",
                      b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]><d>&a;</d>')  # fmt: skip
    damaged = _rebuilt(document, "word/document.xml", head + "<w:p><w:r><w:t>断".encode())
    truncated = document[: len(document) // 2]
    assert len(bomb) < 100_000  # small on the wire, 20 MB expanded
    cases = {"bomb": (bomb, "IMPORT_TOO_COMPLEX"), "deep": (deep, "IMPORT_TOO_COMPLEX"),
             "entity": (entity, "IMPORT_FAILED"), "damaged": (damaged, "IMPORT_FAILED"),
             "truncated": (truncated, "IMPORT_NOT_DOCX")}  # fmt: skip
    for name, (data, code) in cases.items():
        started = time.monotonic()
        answer = web.api("zhangwei", "POST", "/imports/docx", files={"file": ("a.docx", data)})
        assert answer.status_code == 400, (name, answer.text)
        assert answer.json()["error"]["code"] == code, (name, answer.text)
        assert time.monotonic() - started < 5, name  # refused, not converted
        assert "损坏" in answer.json()["error"]["message"] or code == "IMPORT_TOO_COMPLEX"
    session, csrf = web.login("zhangwei")
    page = session.post(f"{web.url}/console/articles/import", timeout=30,
                        data={"csrf_token": csrf}, files={"file": ("坏.docx", damaged)})  # fmt: skip
    assert page.status_code == 400 and "文件可能已损坏" in page.text
    assert page.headers["content-type"].startswith("text/html")  # the form, not raw JSON


def test_the_console_import_prefills_the_documents_fields(web: Web, tmp_path: Path) -> None:
    from tests.hub.content.test_media import official_document

    session, csrf = web.login("zhangwei")
    page = session.post(f"{web.url}/console/articles/import", timeout=60, data={"csrf_token": csrf},
                        files={"file": ("通知.docx", official_document(tmp_path))})  # fmt: skip
    assert page.status_code == 200
    for value in ("示应急〔2026〕12号", "示范省应急管理厅", "2026-12-01"):
        assert f'value="{value}"' in page.text, value
    answer = web.api("zhangwei", "POST", "/imports/docx",
                     files={"file": ("通知.docx", official_document(tmp_path))})  # fmt: skip
    assert answer.json()["metadata"]["written_date"] == "2026-12-01"
