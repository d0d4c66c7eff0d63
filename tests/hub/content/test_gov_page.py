"""Reading pages of existing government sites: the 网页设计规范 tags first, then the heading,
the 发布时间 line and the breadcrumb; GB2312/GBK pages with or without a declared charset;
broken markup; hostile bodies cleaned; anything at all parsed without an exception."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.content.gov_page import page_links, parse_gov_page, parse_time

BEIJING = timezone(timedelta(hours=8))
UNTAGGED = """<html><head><title>关于印发工作要点的通知_示范市人民政府</title></head><body>
<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 政策文件 &gt; 正文</div>
<h1>关于印发工作要点的通知</h1><div class="info">发布日期：2018年3月5日 来源：市政府办公室</div>
<div class="TRS_Editor"><p>各区县人民政府：现将工作要点印发给你们，请认真贯彻执行。<p>unclosed
<table><tr><td>附表</td></tr></div></body></html>"""


def test_a_page_without_tags_in_gbk_without_a_declared_charset() -> None:
    page = parse_gov_page(UNTAGGED.encode("gbk"), "http://www.old.gov.cn/zcwj/t1.html")
    assert page.title == "关于印发工作要点的通知"
    assert page.published_at == datetime(2018, 3, 5, tzinfo=BEIJING)
    assert page.column_name == "政策文件" and page.is_article
    assert "现将工作要点印发给你们" in page.body_html and "当前位置" not in page.body_html


def test_tags_win_over_the_text_and_links_become_absolute() -> None:
    html = ('<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="标签标题">'
            '<meta name="PubDate" content="2020-06-01 08:30:15"><meta name="ColumnName" content="通知公告">'
            '</head><body><h1>页面标题</h1><div id="zoom"><p>这是一篇通知的正文内容，共有若干字。</p>'
            '<a href="../files/a.pdf">附件</a><a href="next.html">下一篇</a></div>'
            '<a href="/tzgg/t2.html">另一篇</a><a href="https://other.gov.cn/x.html">外站</a></body></html>')  # fmt: skip
    page = parse_gov_page(html.encode(), "http://www.old.gov.cn/tzgg/2020/t1.html")
    assert (page.title, page.column_name) == ("标签标题", "通知公告")
    assert page.published_at == datetime(2020, 6, 1, 8, 30, 15, tzinfo=BEIJING)
    assert page.files == ("http://www.old.gov.cn/tzgg/files/a.pdf",)
    assert page_links(html.encode(), "http://www.old.gov.cn/tzgg/2020/t1.html") == [
        "http://www.old.gov.cn/tzgg/2020/next.html", "http://www.old.gov.cn/tzgg/t2.html"]  # fmt: skip


def test_times_as_government_pages_write_them() -> None:
    assert parse_time("2019-03-01 09:30") == datetime(2019, 3, 1, 9, 30, tzinfo=BEIJING)
    assert parse_time("2019年3月1日") == datetime(2019, 3, 1, tzinfo=BEIJING)
    assert parse_time("2019/13/45") is None and parse_time("昨天") is None


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_anything_parses_without_an_exception_and_no_script_survives(data: bytes) -> None:
    page = parse_gov_page(b'<div id="zoom">' + data + b"<script>alert(1)</script></div>",
                          "http://x.gov.cn/a.html")  # fmt: skip
    assert "<script" not in page.body_html.lower()
