"""网上抓取: other sites' RSS and Atom feeds read into drafts of a column, served by a real
HTTP server on 127.0.0.1; an entry read again is recognised (no duplicate), a changed one
updates its draft until the draft is in review; hostile or broken feeds are refused with
codes; the command line does the same."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.commands.ingest_service import IngestService
from hub.content.feeds import parse_feed
from hub.runtime.embedded import EmbeddedHub
from tests.helpers import Hub
from workflows.errors import DomainError

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>示范市人民政府门户网站</title>
<item><title>示范市召开防汛工作会议</title><link>https://www.sfs.gov.cn/news/1.html</link>
<guid>sfs-news-1</guid><pubDate>Thu, 03 Dec 2026 09:00:00 +0800</pubDate>
<content:encoded><![CDATA[<p>会议部署了今冬明春{word}工作。</p>]]></content:encoded></item>
<item><title>关于征集民生实事项目的公告 &amp; 说明</title><link>https://www.sfs.gov.cn/notice/2.html</link>
<description>&lt;p&gt;欢迎社会各界提出建议。&lt;/p&gt;</description></item>
<item><title></title><guid>no-title</guid></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>示范省教育厅</title>
<entry><id>tag:jyt.sf.gov.cn,2026:7</id><title>关于做好寒假安全工作的通知</title>
<link rel="alternate" href="https://jyt.sf.gov.cn/7.html"/><published>2026-12-01T08:00:00Z</published>
<content type="html">&lt;p&gt;各地教育行政部门：请做好寒假安全工作。&lt;/p&gt;</content></entry></feed>"""
BOMB = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<rss><channel><title>&lol2;</title></channel></rss>"""


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "www"
    folder.mkdir()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()


def test_feeds_are_read_as_they_are() -> None:
    rss = parse_feed(RSS.format(word="防汛").encode())
    assert [(e.guid, e.title, e.source) for e in rss] == [
        ("sfs-news-1", "示范市召开防汛工作会议", "示范市人民政府门户网站"),
        ("https://www.sfs.gov.cn/notice/2.html", "关于征集民生实事项目的公告 & 说明", "示范市人民政府门户网站"),
    ]  # fmt: skip
    assert (
        rss[0].body_html == "<p>会议部署了今冬明春防汛工作。</p>" and rss[0].published is not None
    )
    assert rss[1].body_html == "<p>欢迎社会各界提出建议。</p>" and rss[1].published is None
    (atom,) = parse_feed(ATOM.encode())
    assert (atom.guid, atom.link, atom.source) == (
        "tag:jyt.sf.gov.cn,2026:7",
        "https://jyt.sf.gov.cn/7.html",
        "示范省教育厅",
    )
    for bad in (BOMB.encode(), b"<html><body>not a feed</body></html>", b"\xff\xfe<", b""):
        with pytest.raises(DomainError) as refused:
            parse_feed(bad)
        assert refused.value.code == "FEED_INVALID"


def test_ingest_recognises_entries_and_updates_only_drafts(
    hub: EmbeddedHub, feed_server: tuple[str, Path]
) -> None:
    url, folder = feed_server
    (folder / "rss.xml").write_text(RSS.format(word="防汛"), encoding="utf-8")
    service = IngestService(hub.articles)
    first = service.ingest("zhoumin", f"{url}/rss.xml", "drc", "notices")
    assert (len(first.created), first.updated, first.unchanged) == (2, [], [])
    state, _ = hub.articles.commands.load(first.created[0])
    assert state.site == "9900000012" and str(state.status) == "draft"
    assert state.content is not None and state.content.metadata.source == "示范市人民政府门户网站"
    assert 'href="https://www.sfs.gov.cn/news/1.html"' in state.content.body_html
    again = service.ingest("zhoumin", f"{url}/rss.xml", "drc", "notices")
    assert (again.created, again.updated, sorted(again.unchanged)) == (
        [],
        [],
        sorted(first.created),
    )
    (folder / "rss.xml").write_text(RSS.format(word="抗旱"), encoding="utf-8")
    changed = service.ingest("zhoumin", f"{url}/rss.xml", "drc", "notices")
    assert changed.updated == [first.created[0]]
    assert "抗旱" in hub.articles.commands.load(first.created[0])[0].content.body_html  # type: ignore[union-attr]
    hub.articles.submit("zhoumin", first.created[0])  # in review: the site's own version now
    (folder / "rss.xml").write_text(RSS.format(word="森林防火"), encoding="utf-8")
    assert service.ingest("zhoumin", f"{url}/rss.xml", "drc", "notices").updated == []
    for where, code in ((f"{url}/missing.xml", "FEED_UNREACHABLE"), ("http://127.0.0.1:9/x", "FEED_UNREACHABLE"),
                        ("file:///etc/passwd", "FEED_INVALID"), ("/etc/hostname", "FEED_INVALID")):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            service.ingest("zhoumin", where, "drc", "notices")
        assert refused.value.code == code, where
    with pytest.raises(DomainError) as stranger:
        service.ingest("linfang", f"{url}/rss.xml", "drc", "notices")  # no role on drc
    assert stranger.value.code == "SITE_ROLE_REQUIRED"


def test_ingest_from_the_command_line(cli: Hub, tmp_path: Path) -> None:
    feed = tmp_path / "atom.xml"
    feed.write_text(ATOM, encoding="utf-8")
    done = cli.ok(
        "library", "ingest", str(feed), "--site", "edu", "--column", "notices", "--as", "sunyan"
    )
    assert len(done["created"]) == 1
    assert (
        cli.ok(
            "library", "ingest", str(feed), "--site", "edu", "--column", "notices", "--as", "sunyan"
        )["unchanged"]
        == done["created"]
    )
    text = cli.run(
        "library", "ingest", str(feed), "--site", "edu", "--column", "notices", "--as", "sunyan"
    )
    assert "已收录未变 1 条" in text.stdout
    assert cli.fails("library", "ingest", str(tmp_path / "none.xml"), "--site", "edu", "--column", "notices",
                     "--as", "sunyan")["code"] == "FILE_UNREADABLE"  # fmt: skip
    assert json.loads(cli.run("library", "ingest", str(feed), "--site", "nowhere", "--column", "x", "--as",
                              "sunyan", "--json").stdout)["error"]["code"] == "SITE_UNKNOWN"  # fmt: skip


def test_pages_of_a_government_site_are_crawled_with_their_tags_and_attachments(
    hub: EmbeddedHub, feed_server: tuple[str, Path]
) -> None:
    """网上抓取 from pages: an article page, and a column's list page whose articles are read;
    attachments on the same site come into the media store; read again, nothing twice; a page
    with nothing to take is refused; the hostile body is cleaned."""
    from sandboxes.old_site import write_old_site

    url, folder = feed_server
    old = write_old_site(folder, 9, faults=False)
    service = IngestService(hub.articles, hub.media)
    with_file = next(iter(old.attached))
    one = service.ingest("zhoumin", f"{url}/{with_file}", "drc", "notices")
    assert len(one.created) == 1
    state, _ = hub.articles.commands.load(one.created[0])
    assert state.content is not None and state.content.title == old.articles[with_file][0]
    assert state.content.metadata.source == "示范市人民政府办公室"  # ContentSource
    assert "/media/" in state.content.body_html  # the attachment is ours now
    assert f"{url}/{with_file}" in state.content.body_html  # 原文链接
    listed = service.ingest("zhoumin", f"{url}/tzgg/index.html", "drc", "notices")
    in_column = [p for p, (_, _, key) in old.articles.items() if key == "tzgg"]
    assert len(listed.created) + len(listed.unchanged) == len(in_column)
    assert service.ingest("zhoumin", f"{url}/tzgg/index.html", "drc", "notices").created == []
    (folder / "hostile.html").write_text(
        '<html><head><meta name="ArticleTitle" content="关于开展检查的通知">'
        '<meta name="PubDate" content="2026-11-30 09:00"></head><body><div id="zoom">'
        "<p>各单位：请按要求开展安全生产检查工作。</p><script>alert(1)</script>"
        '<p><a href="javascript:alert(2)">点此</a><img src="x" onerror="alert(3)"></p>'
        "</div></body></html>", encoding="utf-8")  # fmt: skip
    (hostile,) = service.ingest("zhoumin", f"{url}/hostile.html", "drc", "notices").created
    body = hub.articles.commands.load(hostile)[0].content.body_html  # type: ignore[union-attr]
    assert "alert" not in body and "onerror" not in body and "开展安全生产检查" in body
    (folder / "empty.html").write_text("<html><body><p>空</p></body></html>", encoding="utf-8")
    with pytest.raises(DomainError) as nothing:
        service.ingest("zhoumin", f"{url}/empty.html", "drc", "notices")
    assert nothing.value.code == "FEED_INVALID"
