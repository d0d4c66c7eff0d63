"""Website lists: archive pages numbered from the oldest, so a new article re-renders only the
last archive pages and sitemap block; a retraction shifts the blocks after it."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from channels.contract import DeliveryItem
from channels.website.adapter import WebsiteAdapter
from channels.website.lists import PAGE_SIZE
from workflows.content import ArticleContent
from workflows.delivery_events import DeliveryAction
from workflows.publication import Channel, Target

START = datetime(2026, 1, 1, tzinfo=UTC)


def adapter(tmp_path: Path) -> WebsiteAdapter:
    site = {"key": "demo", "code": "9900000099", "name": "示范站", "domain": "www.demo.gov.cn",
            "docroot": str(tmp_path / "demo"), "theme": None,
            "columns": {"news": {"id": "news", "name": "要闻", "type": "信息类"}}}  # fmt: skip
    return WebsiteAdapter({"9900000099": site})


def item(n: int, action: DeliveryAction = DeliveryAction.PUBLISH, title: str = "") -> DeliveryItem:
    return DeliveryItem(
        delivery_id=f"d{n}-{action}",
        article_id=f"a{n:04d}",
        revision=1,
        content_hash="h",
        target=Target(channel=Channel.WEBSITE, account="9900000099", column="news"),
        action=action,
        content=ArticleContent(title=title or f"第{n}篇", body_html=f"<p>正文{n}</p>"),
        published_at=START + timedelta(hours=n),
    )


def titles(page: Path) -> list[str]:
    return re.findall(r'\.html">(第\d+篇[^<]*)</a>', page.read_text("utf-8"))


def test_archive_pages_hold_fixed_blocks_from_the_oldest(tmp_path: Path) -> None:
    website = adapter(tmp_path)
    for n in range(1, 2 * PAGE_SIZE + 6):  # 45 articles: pages of 20, 20 and 5
        website.send(item(n))
    news = tmp_path / "demo" / "news"
    assert titles(news / "list-1.html") == [f"第{n}篇" for n in range(20, 0, -1)]
    assert titles(news / "list-3.html") == [f"第{n}篇" for n in range(45, 40, -1)]
    assert titles(news / "index.html") == [f"第{n}篇" for n in range(45, 25, -1)]
    assert not (news / "list-4.html").exists()
    assert 'href="list-2.html">较早' in (news / "list-3.html").read_text("utf-8")

    # One more article rewrites only the last two archive pages, never page 1.
    before = (news / "list-1.html").stat().st_mtime_ns
    website.send(item(46))
    assert (news / "list-1.html").stat().st_mtime_ns == before
    assert titles(news / "list-3.html")[0] == "第46篇"

    # A correction keeps its place and first publication date; only the title changes.
    website.send(item(3, DeliveryAction.UPDATE, title="第3篇（更正）"))
    assert titles(news / "list-1.html")[-3] == "第3篇（更正）"
    page = (news / "a0003.html").read_text("utf-8")
    assert 'content="2026-01-01 11:00"' in page  # 03:00 UTC, shown in Beijing time

    # Retracting an old one shifts every block after it.
    website.retract(item(3))
    assert titles(news / "list-1.html")[-3:] == ["第4篇", "第2篇", "第1篇"]
    assert titles(news / "list-1.html")[0] == "第21篇"
    assert titles(news / "list-3.html") == [f"第{n}篇" for n in range(46, 41, -1)]
    sitemap = (tmp_path / "demo" / "sitemap-1.xml").read_text("utf-8")
    assert sitemap.count("<url>") == 45 and "a0003" not in sitemap


def test_a_site_theme_overrides_the_default_templates(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "base.html").write_text(
        '<!DOCTYPE html><html lang="zh-CN"><head><title>{% block title %}{% endblock %}</title>'
        '{% block meta %}{% endblock %}</head><body class="red-theme">{% block content %}'
        "{% endblock %}</body></html>",
        encoding="utf-8",
    )
    website = adapter(tmp_path)
    website.sites["9900000099"]["theme"] = str(theme)
    website.send(item(1))
    page = (tmp_path / "demo" / "news" / "a0001.html").read_text("utf-8")
    assert 'class="red-theme"' in page and '<meta name="ArticleTitle" content="第1篇">' in page


def test_a_column_without_content_is_not_put_online(tmp_path: Path) -> None:
    """A blank column (空白栏目) is a single-veto finding: it appears in the navigation and
    the maps with its first article, never before; a parent without articles of its own
    links to its first child that has some."""
    site = {"key": "demo", "code": "9900000099", "name": "示范站", "domain": "www.demo.gov.cn",
            "docroot": str(tmp_path / "demo"), "theme": None,
            "columns": {
                "news": {"id": "news", "name": "要闻", "type": "动态要闻", "top": True,
                         "children": []},
                "policy": {"id": "policy", "name": "政策文件", "type": "政策文件", "top": True,
                           "children": ["policy-gov", "policy-dept"]},
                "policy-gov": {"id": "policy-gov", "name": "省政府文件", "type": "政策文件",
                               "top": False, "children": []},
                "policy-dept": {"id": "policy-dept", "name": "部门文件", "type": "政策文件",
                                "top": False, "children": []},
            }}  # fmt: skip
    website = WebsiteAdapter({"9900000099": site})
    docroot = tmp_path / "demo"
    website.send(item(1))
    home = (docroot / "index.html").read_text("utf-8")
    assert 'href="./news/index.html">要闻' in home and ">政策文件<" not in home
    assert 'href="./policy/' not in home
    assert "policy/index.html" not in (docroot / "sitemap.html").read_text("utf-8")
    assert "/policy/" not in (docroot / "sitemap-columns.xml").read_text("utf-8")
    assert not (docroot / "policy-gov").exists()

    first = dataclasses.replace(item(2), target=Target(
        channel=Channel.WEBSITE, account="9900000099", column="policy-dept"))  # fmt: skip
    website.send(first)
    page = (docroot / "policy-dept" / "a0002.html").read_text("utf-8")
    assert 'href="../policy-dept/index.html">政策文件' in page  # its own page already links it
    home = (docroot / "index.html").read_text("utf-8")
    assert 'href="./policy-dept/index.html">政策文件' in home
    assert "policy-gov" not in home  # still blank: still not online
    assert "policy-dept/index.html" in (docroot / "sitemap-columns.xml").read_text("utf-8")
