"""Rules over the submitted HTML: maps (P05), external links (P20), hidden links, zero-width
characters and script links (P21)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from workflows.checks.document import Document, Section
from workflows.checks.findings import Finding, Severity
from workflows.checks.html_parse import HtmlElement
from workflows.checks.links import SCRIPT_SCHEMES, host_in, read_link
from workflows.checks.styles import hides
from workflows.checks.text import ZERO_WIDTH

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_STYLE_RULE = re.compile(r"([.#][\w-]+)\s*\{([^}]*)\}")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'，。；、）)]+", re.IGNORECASE)
_MAP_WORDS = re.compile(r"地图|示意图|map", re.IGNORECASE)
_MAP_APPROVAL = re.compile(r"审图号\s*[:：]?\s*[A-Z]{1,3}\s*[（(]\s*\d{4}\s*[)）]\s*\d+\s*号")
_ZERO_WIDTH_RUN = re.compile("[" + "".join(sorted(ZERO_WIDTH)) + "]+")
_LINK_ATTRS = {"a": "href", "area": "href", "iframe": "src", "frame": "src", "embed": "src"}


def _plain_span(section: Section, element: HtmlElement) -> tuple[int, int]:
    """Plain-text offsets of an element's text (empty at its position when it has none)."""
    index = section.plain.source_index
    start = bisect.bisect_left(index, element.source_start, 0, len(index) - 1)
    end = bisect.bisect_left(
        index, max(element.source_end, element.source_start), 0, len(index) - 1
    )
    return start, max(start, end)


def _finding_at(
    section: Section,
    element: HtmlElement,
    rule: str,
    severity: Severity,
    message: str,
    fix: str | None = None,
) -> Finding:
    start, end = _plain_span(section, element)
    target = element.attrs.get(_LINK_ATTRS.get(element.tag, "src"), "") or f"<{element.tag}>"
    return Document.plain_finding(section, start, end, rule, severity, message, fix, target)


def _link_verdict(url: str, doc: Document) -> tuple[Severity, str] | None:
    """The verdict on one link target (remembered per document: bodies repeat their links)."""
    cache: dict[str, tuple[Severity, str] | None] = doc.derived_value("link_verdicts", dict)
    if url not in cache:
        cache[url] = _judge_link(url, doc)
    return cache[url]


def _judge_link(url: str, doc: Document) -> tuple[Severity, str] | None:
    link = read_link(url)
    if link is None or link.own_site or link.scheme not in ("http:", "https:") or not link.host:
        return None
    if link.ambiguous:
        return Severity.BLOCK, f"{link.ambiguous}，不得发布（{url.strip()[:80]}）"
    host = link.host
    d = doc.compiled.dictionaries
    if host_in(host, d.blocked_link_domains):
        return Severity.BLOCK, f"链接指向被列入黑名单的网站（{host}），不得发布"
    if host_in(host, d.allowed_link_domains):
        return None
    return Severity.REVIEW, f"外部链接（{host}）不在允许名单内，须审核确认链接目标内容"


def check_html(doc: Document) -> Iterator[Finding]:
    """P05, P20 and P21 over the body (and P20/P21 over the plain-text fields)."""
    for section in doc.sections:
        if section.html is not None:
            yield from _check_html_section(doc, section)
        else:
            yield from _text_links(doc, section, covered=[])
        yield from _zero_width(section)


def _zero_width(section: Section) -> Iterator[Finding]:
    for match in _ZERO_WIDTH_RUN.finditer(section.plain.text):
        yield Document.plain_finding(
            section,
            match.start(),
            match.end(),
            "P21",
            Severity.BLOCK,
            "含零宽字符（不可见字符），可能用于隐藏内容或规避检查，请删除",
            "",
        )


def _text_links(
    doc: Document, section: Section, covered: list[tuple[int, int]]
) -> Iterator[Finding]:
    for match in _URL_IN_TEXT.finditer(section.text):
        start, _end = section.view.span(match.start(), match.end())
        if any(s <= start < e for s, e in covered):
            continue
        verdict = _link_verdict(match.group(0), doc)
        if verdict:
            yield doc.finding(section, match.start(), match.end(), "P20", *verdict)


def _check_html_section(doc: Document, section: Section) -> Iterator[Finding]:
    parsed = section.html
    assert parsed is not None
    hidden_selectors = {
        selector
        for css in parsed.styles
        for selector, body in _STYLE_RULE.findall(css)
        if hides(body)
    }
    covered: list[tuple[int, int]] = []
    hidden_spans: list[tuple[int, int]] = []
    for element in parsed.elements:
        attrs = element.attrs
        if not attrs and element.tag != "marquee":
            continue  # every rule below reads an attribute
        classes = {"." + c for c in attrs.get("class", "").split()}
        ids = {"#" + attrs["id"]} if attrs.get("id") else set()
        hidden = hides(attrs.get("style", "")) or bool((classes | ids) & hidden_selectors)
        if element.tag == "marquee":
            amount = re.match(r"\d+", attrs.get("scrollamount", "0"))
            hidden = hidden or (amount is not None and int(amount.group(0)) >= 100)
        if hidden:
            span = (element.source_start, element.source_end)
            if any(s <= span[0] and span[1] <= e for s, e in hidden_spans):
                continue
            hidden_spans.append(span)
            links = [
                e
                for e in parsed.elements
                if e.tag in ("a", "area") and span[0] <= e.source_start <= span[1]
            ]
            yield _finding_at(
                section,
                element,
                "P21",
                Severity.BLOCK if links else Severity.REVIEW,
                "含隐藏链接（暗链）特征：元素被设置为不可见，请删除"
                if links
                else "含被隐藏的内容（不可见文字），请确认并删除",
                "",
            )
        if element.tag == "a" and attrs.get("href"):
            invisible = _invisible_link(section, parsed.elements, element)
            if invisible:
                yield _finding_at(section, element, "P21", Severity.BLOCK, invisible)
        link_attr = _LINK_ATTRS.get(element.tag)
        for name in ("href", "src", "action", "formaction"):
            link = read_link(attrs[name]) if attrs.get(name) else None
            if link is not None and link.scheme in SCRIPT_SCHEMES:
                yield _finding_at(
                    section,
                    element,
                    "P21",
                    Severity.BLOCK,
                    f"含{link.scheme}链接，可能执行脚本或隐藏内容，不得发布",
                )
        if element.tag == "meta" and re.search(
            r"https?://|url\s*=", attrs.get("content", ""), re.I
        ):
            yield _finding_at(
                section, element, "P21", Severity.BLOCK, "正文中含<meta>跳转或链接，疑似暗链"
            )
        if element.tag == "iframe" and (
            attrs.get("width", "").strip() == "100%" and attrs.get("height", "").strip() == "100%"
        ):
            yield _finding_at(
                section, element, "P21", Severity.BLOCK, "含全屏iframe，疑似覆盖页面内容的暗链"
            )
        if link_attr and attrs.get(link_attr):
            verdict = _link_verdict(attrs[link_attr], doc)
            start, end = _plain_span(section, element)
            covered.append((start, max(end, start + 1)))
            if verdict:
                yield _finding_at(section, element, "P20", *verdict)
        if element.tag == "img":
            label = " ".join(attrs.get(k, "") for k in ("alt", "title", "src", "class"))
            if _MAP_WORDS.search(label) and not _MAP_APPROVAL.search(section.text):
                yield _finding_at(
                    section,
                    element,
                    "P05",
                    Severity.REVIEW,
                    "疑似使用地图，须使用标准地图并标注审图号",
                )
    yield from _text_links(doc, section, covered)


_BLANK = re.compile(r"[\s\u00a0\u3000" + "".join(sorted(ZERO_WIDTH)) + "]+")
_MIN_VISIBLE_PX = 8
_SHRINKING = frozenset({"sub", "sup", "small"})


def _inside(outer: HtmlElement, inner: HtmlElement) -> bool:
    return outer.source_start < inner.source_start and (
        inner.source_start < outer.source_end or outer.source_end < 0
    )


def _visible_image(element: HtmlElement) -> bool:
    """An image shows a box unless it is declared (or styled) smaller than a few pixels."""
    for name in ("width", "height"):
        size = re.match(r"\s*(\d+)\s*(?:px)?\s*$", element.attrs.get(name, ""))
        if size and int(size.group(1)) < _MIN_VISIBLE_PX:
            return False
    return not hides(element.attrs.get("style", ""))


def _invisible_link(section: Section, elements: tuple[HtmlElement, ...], link: HtmlElement) -> str:
    """Why a link cannot be seen on the page ("" when it can): no visible text and no image of
    a visible size inside, or text shrunk by nesting sub/sup/small."""
    start, end = _plain_span(section, link)
    text = _BLANK.sub("", section.plain.text[start:end])
    images = [e for e in elements if e.tag == "img" and _inside(link, e)]
    if not text and not any(_visible_image(i) for i in images):
        what = "只含过小的图片" if images else "没有可见文字"
        return f"链接{what}，页面上看不见，疑似暗链，不得发布"
    shrinking = sum(1 for e in elements if e.tag in _SHRINKING and _inside(e, link))
    if shrinking >= 3:
        return "链接被多层上标/下标/小字缩小到看不清，疑似暗链，不得发布"
    return ""


def check_attachment_maps(doc: Document) -> Iterator[Finding]:
    """P05 for attachments whose names say they are maps."""
    for section in doc.sections:
        if not section.name.startswith("attachment:"):
            continue
        name = section.name.removeprefix("attachment:")
        if "地图" in name and not _MAP_APPROVAL.search(section.text):
            yield Document.whole_finding(
                section.name,
                name,
                "P05",
                Severity.REVIEW,
                "附件疑似地图，须使用标准地图并标注审图号",
            )
