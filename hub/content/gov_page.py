"""Reading a page of an existing government site (迁移, 网上抓取): its title, date, source
and column from the 网页设计规范 tags (`ArticleTitle`, `PubDate`, `ContentSource`,
`ColumnName`, `Keywords`, `Author`, `Description`; research/government-rules.md §2.3), the
article's body from the container content management systems put it in, and the files it
links (attachments and images). Pages from before the tags (or without them) fall back to
the page's <title>, a 发布时间 line in the text and the largest block of text.

Parsed with lxml (tolerant of the broken markup old sites serve), from the text in the
charset the page declares, else UTF-8, else GB18030; the body is cleaned by the shared
sanitizer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from hub.content.media import MediaStore
from hub.content.sanitize import clean_html
from workflows.errors import DomainError

BEIJING = timezone(timedelta(hours=8))
# Where government content management systems put an article's body (TRS, 大汉, 拓尔思,
# 我为, 开普云 templates and hand-made ones), most specific first.
_BODY_XPATHS = (
    "//*[@id='zoom']", "//*[@id='Zoom']", "//*[contains(@class,'TRS_Editor')]",
    "//*[@id='UCAP-CONTENT']", "//*[contains(@class,'article-content')]",
    "//*[contains(@class,'article_con')]", "//*[@id='content']", "//*[contains(@class,'content')]",
    "//article", "//main",
)  # fmt: skip
_DATE = re.compile(
    r"(?:发布(?:时间|日期)|日期|时间)\s*[:：]?\s*"
    r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
_BARE_DATE = re.compile(
    r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})日?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
_FILE_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".ofd",
                    ".zip", ".rar", ".et", ".txt")  # fmt: skip
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([-\w]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACE = re.compile(r"\s+")
_SITE_SUFFIX = re.compile(r"\s*[_|]\s*|\s+-\s+")
_BREADCRUMB = re.compile(r"(?:当前位置|您现在的位置|你的位置|所在位置)\s*[:：]?\s*(.{1,120})")
_CRUMB_SEPARATOR = re.compile(r"\s*(?:>|＞|»|›|→|/)\s*")


@dataclass(frozen=True)
class GovPage:
    """What a government site's page says about itself."""

    url: str
    title: str
    body_html: str  # cleaned; links still as the page had them (absolute)
    published_at: datetime | None
    source: str = ""  # ContentSource (文章来源)
    column_name: str = ""
    keywords: str = ""
    author: str = ""
    description: str = ""
    files: tuple[str, ...] = ()  # absolute URLs of the attachments and images it links
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def is_article(self) -> bool:
        """A content page (细览页): a title, a body with text, a date. Column and list pages,
        indexes and search pages are not."""
        text = _CJK.findall(_SPACE.sub("", lxml.html.fromstring(self.body_html).text_content()
                                       if self.body_html.strip() else ""))  # fmt: skip
        return bool(self.title) and self.published_at is not None and len(text) >= 10


def parse_time(text: str) -> datetime | None:
    """`2019-03-01 09:30`, `2019年3月1日`, `2019/3/1 9:30:05`: Beijing time unless it says."""
    found = _BARE_DATE.search(text.strip())
    return _moment(found.groups()) if found else None


def _moment(parts: tuple[str | None, ...]) -> datetime | None:
    year, month, day, hour, minute, second = (int(p) if p else 0 for p in parts)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)
    except ValueError:
        return None


def _meta(tree: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        name = (node.get("name") or node.get("property") or "").strip().lower()
        content = (node.get("content") or "").strip()
        if name and content and name not in found:
            found[name] = content
    return found


def _body(tree: etree._Element) -> etree._Element | None:
    for xpath in _BODY_XPATHS:
        for node in tree.xpath(xpath):
            if len(_CJK.findall(node.text_content())) >= 10:
                return node
    best, most = None, 0
    for node in tree.iter("div", "td", "section"):
        # The text directly in the block's paragraphs, not its descendants' navigation.
        own = sum(len(_CJK.findall(p.text_content())) for p in node if p.tag in ("p", "div"))
        if own > most:
            best, most = node, own
    return best


def _inner_html(node: etree._Element) -> str:
    parts = [node.text or ""]
    parts += [lxml.html.tostring(child, encoding="unicode") for child in node]
    return "".join(parts)


def decode_page(data: bytes) -> str:
    """The page's text: in the charset it declares (GB2312 and GBK read as GB18030, their
    superset), else UTF-8, else GB18030 — the two encodings Chinese government sites use."""
    declared = _CHARSET.search(data[:4096])
    name = declared.group(1).decode("ascii", "replace").lower() if declared else ""
    name = "gb18030" if name in ("gb2312", "gbk", "gb_2312-80", "x-gbk") else name
    for encoding in (name, "utf-8", "gb18030"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def parse_gov_page(data: bytes, url: str) -> GovPage:
    """The page at `url` (its bytes as served)."""
    text = _XML_DECLARATION.sub("", decode_page(data), count=1)
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return GovPage(url, "", "", None)
    meta = _meta(tree)
    for bad in tree.xpath("//script|//style|//noscript|//comment()"):
        bad.getparent().remove(bad)
    title = meta.get("articletitle", "")
    if not title:
        heads = tree.xpath("//h1") or tree.xpath("//title")
        title = heads[0].text_content() if heads else ""
        title = _SITE_SUFFIX.split(title)[0]  # 《标题》_某某市人民政府
    title = _SPACE.sub(" ", title).strip()[:200]
    node = _body(tree)
    files: list[str] = []
    body = ""
    if node is not None:
        for element in node.iter("a", "img"):
            attr = "href" if element.tag == "a" else "src"
            link = element.get(attr)
            if not link or link.startswith(("javascript:", "mailto:", "#")):
                continue
            absolute = urljoin(url, link.strip())
            element.set(attr, absolute)
            path = urlsplit(absolute).path.lower()
            if path.endswith(_FILE_EXTENSIONS + _IMAGE_EXTENSIONS) and absolute not in files:
                files.append(absolute)
        body = clean_html(_inner_html(node))
    published = parse_time(meta["pubdate"]) if meta.get("pubdate") else None
    if published is None:
        text = tree.text_content()
        found = _DATE.search(text)
        published = _moment(found.groups()) if found else None
    column_name = meta.get("columnname", "")
    if not column_name:  # before the tags: the breadcrumb's last column (当前位置：首页 > 通知公告)
        for line in tree.text_content().splitlines():
            crumb = _BREADCRUMB.search(line)
            if crumb:
                parts = [p for p in _CRUMB_SEPARATOR.split(crumb.group(1).strip())
                         if p and p not in ("正文", "详情", "内容")]  # fmt: skip
                column_name = parts[-1] if len(parts) > 1 else ""
                break
    return GovPage(
        url=url, title=title, body_html=body, published_at=published,
        source=meta.get("contentsource", "")[:100], column_name=column_name[:50],
        keywords=meta.get("keywords", "")[:200], author=meta.get("author", "")[:50],
        description=meta.get("description", "")[:500], files=tuple(files), meta=meta,
    )  # fmt: skip


def page_links(data: bytes, url: str) -> list[str]:
    """The pages a list page links on its own host (absolute, without fragments, in order)."""
    try:
        tree = lxml.html.document_fromstring(_XML_DECLARATION.sub("", decode_page(data), count=1))
    except (etree.ParserError, ValueError):
        return []
    host = urlsplit(url).netloc
    found: list[str] = []
    for node in tree.iter("a"):
        href = (node.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        absolute = urljoin(url, href).split("#", 1)[0]
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.netloc == host and absolute != url \
                and absolute not in found and not parts.path.lower().endswith(
                    _FILE_EXTENSIONS + _IMAGE_EXTENSIONS):  # fmt: skip
            found.append(absolute)
    return found


def looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


@dataclass
class KeptFiles:
    """The body with the page's own files in the media store, and what happened to each."""

    body_html: str
    stored: int = 0
    missing: int = 0  # not found where they were looked for: the link is kept
    refused: list[str] = field(default_factory=list)  # "link：reason", the link is kept


def keep_files(page: GovPage, fetch: Callable[[str], bytes | None], media: MediaStore,
               limit: int | None = None) -> KeptFiles:  # fmt: skip
    """Store the attachments and images `page` links on its own site (at most `limit`) in
    the media store and point the body at them; `fetch` gives a file's bytes (None: not
    there). Files on other sites, and files the store refuses, keep their links."""
    host = urlsplit(page.url).netloc
    kept = KeptFiles(page.body_html)
    for link in [f for f in page.files if urlsplit(f).netloc == host][:limit]:
        data = fetch(link)
        if data is None:
            kept.missing += 1
            continue
        try:
            stored = media.put(data, urlsplit(link).path.rsplit("/", 1)[-1])
        except DomainError as exc:
            kept.refused.append(f"{link}：{exc.message}")
            continue
        kept.stored += 1
        kept.body_html = kept.body_html.replace(f'"{link}"', f'"{stored.url}"')
    return kept
