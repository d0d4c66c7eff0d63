"""A previous system's site, as its archive arrives for migration: a mirror folder of HTML
pages the way government content management systems write them (TRS-style paths
`column/YYYYMM/tYYYYMMDD_N.html`, the 网页设计规范 meta tags on content pages, a `div#zoom`
body, a navigation and a footer around it, GB2312 on the older pages), column list pages,
attachments and images next to the pages, and the faults real archives have: pages
without tags (the date only in the text), a page with no date, a column the new site does
not have, a link to a file the archive lacks."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

COLUMNS = {"tzgg": "通知公告", "zwyw": "政务要闻", "zcwj": "政策文件"}
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")  # fmt: skip
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
_SENTENCES = (
    "各区县人民政府，市政府各部门、各直属机构：", "现将有关事项通知如下，请结合实际认真贯彻落实。",
    "要进一步压实属地管理责任，确保各项措施落到实处。", "各单位要加强组织领导，明确责任分工，按时报送工作进展。",
    "请于每月底前将工作情况报市政府办公室。", "本通知自印发之日起施行。",
    "会议强调，要坚持以人民为中心的发展思想，持续优化营商环境。", "全市共受理政务服务事项一万余件，按时办结率保持较高水平。",
)  # fmt: skip


@dataclass
class OldSite:
    """What was written: the article pages by path, with their titles and dates."""

    root: Path
    articles: dict[str, tuple[str, datetime, str]] = field(
        default_factory=dict
    )  # path -> title, date, column
    lists: list[str] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)
    unknown_column: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    attached: dict[str, str] = field(default_factory=dict)  # page -> a PDF it links
    missing_files: int = 0


def _page(title: str, column: str, when: datetime, body: str, tags: bool) -> str:
    meta = (f'<meta name="SiteName" content="示范市人民政府">\n<meta name="ColumnName" content="{column}">\n'
            f'<meta name="ArticleTitle" content="{title}">\n'
            f'<meta name="PubDate" content="{when:%Y-%m-%d %H:%M}">\n'
            '<meta name="ContentSource" content="示范市人民政府办公室">\n') if tags else ""  # fmt: skip
    return (f'<!DOCTYPE html>\n<html><head><meta charset="{{charset}}">\n{meta}'
            f"<title>{title}_示范市人民政府</title>\n<script>var _hmt=[];</script></head>\n"
            '<body><div class="header"><a href="/">首页</a><a href="/tzgg/">通知公告</a>'
            '<a href="/zwyw/">政务要闻</a></div>\n'
            f'<div class="position">当前位置：首页 &gt; {column}</div>\n'
            f'<h1 class="title">{title}</h1>\n'
            f'<div class="info">发布时间：{when:%Y-%m-%d} 来源：示范市人民政府办公室</div>\n'
            f'<div id="zoom">{body}</div>\n'
            '<div class="footer">主办：示范市人民政府办公室 网站标识码：9900000099</div></body></html>\n')  # fmt: skip


def write_old_site(root: Path, pages: int, *, seed: int = 7, faults: bool = True) -> OldSite:
    """An archive of `pages` article pages (plus lists and the faults) under `root`."""
    rng = random.Random(seed)
    site = OldSite(root)
    start = datetime(2016, 1, 4, 9, 0)
    # Spread over the years before today however many pages (a big archive starts earlier).
    step = min(timedelta(hours=37), timedelta(days=20 * 365) / max(pages, 1))
    start = min(start, datetime(2026, 6, 30) - step * pages)
    keys = list(COLUMNS)
    for n in range(pages):
        key = keys[n % len(keys)]
        column = COLUMNS[key]
        when = start + step * n + timedelta(minutes=rng.randint(0, 59))
        title = f"关于{rng.choice(('做好', '开展', '加强', '印发'))}第{n + 1}项重点工作的{rng.choice(('通知', '意见', '报告', '公告'))}"
        folder = f"{key}/{when:%Y%m}"
        name = f"t{when:%Y%m%d}_{n + 1}.html"
        body = "".join(f"<p>{rng.choice(_SENTENCES)}</p>" for _ in range(rng.randint(3, 8)))
        if n % 7 == 0:
            site.files.append(f"{folder}/P0{n + 1}.pdf")
            body += f'<p>附件：<a href="./P0{n + 1}.pdf">工作方案.pdf</a></p>'
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / f"P0{n + 1}.pdf").write_bytes(PDF + str(n).encode())
        if n % 11 == 0:
            site.files.append(f"{folder}/W0{n + 1}.png")
            body += f'<p><img src="W0{n + 1}.png" alt="图片"></p>'
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / f"W0{n + 1}.png").write_bytes(PNG)
        if faults and n % 13 == 5:
            body += '<p><a href="/uploads/lost.doc">已丢失的附件.doc</a></p>'
            site.missing_files += 1
        if n % 7 == 0:
            site.attached[f"{folder}/{name}"] = f"{folder}/P0{n + 1}.pdf"
        tags = n % 4 != 3  # every fourth page from before the tags: the date is in its text
        old = when.year < 2018  # the older pages are GB2312
        html = _page(title, column, when, body, tags).replace(
            "{charset}", "gb2312" if old else "utf-8"
        )
        path = f"{folder}/{name}"
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(html.encode("gb2312" if old else "utf-8"))
        site.articles[path] = (title, when, key)
    for key, column in COLUMNS.items():
        listing = "".join(f'<li><a href="/{p}">{t}</a></li>' for p, (t, _, k) in site.articles.items()
                          if k == key)[:20_000]  # fmt: skip
        (root / key).mkdir(parents=True, exist_ok=True)
        (root / key / "index.html").write_text(
            f'<html><head><meta charset="utf-8"><meta name="ColumnName" content="{column}">'
            f"<title>{column}</title></head><body><ul>{listing}</ul></body></html>", encoding="utf-8")  # fmt: skip
        site.lists.append(f"{key}/index.html")
    if faults:
        (root / "tzgg" / "nodate.html").write_text(
            '<html><head><meta charset="utf-8"><title>一份没有日期的页面</title></head><body>'
            '<div id="zoom"><p>这是一份没有发布日期的页面，内容较长，超过十个汉字。</p></div></body></html>',
            encoding="utf-8")  # fmt: skip
        site.undated.append("tzgg/nodate.html")
        (root / "hdjl").mkdir(exist_ok=True)
        (root / "hdjl" / "t20190301_1.html").write_text(_page(
            "关于征集意见建议的公告", "互动交流", datetime(2019, 3, 1, 10), "<p>欢迎社会各界提出意见建议，请通过网站留言。</p>",
            True).replace("{charset}", "utf-8"), encoding="utf-8")  # fmt: skip
        site.unknown_column.append("hdjl/t20190301_1.html")
    return site
