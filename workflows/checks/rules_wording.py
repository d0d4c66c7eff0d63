"""Wording rules: names, fixed formulations, sovereignty, renamed agencies, sensitive words,
typos, secrecy markings and advertising (P01, P03, P04, P06, P07, P08, P14, P23)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from workflows.checks.dictionaries import Correction, RenamedAgency, SensitiveWord, WordSeverity
from workflows.checks.document import Document
from workflows.checks.findings import Finding, Severity
from workflows.checks.matcher import (
    AD,
    COUNTRY_WRONG,
    FORMULATION_WRONG,
    LEADER_NAME,
    OLD_AGENCY,
    POLITICAL,
    SENSITIVE,
    TYPO,
    iter_kind,
)

# Typos within this many characters of a leader's name or a political term are serious.
_POLITICAL_CONTEXT = 20


def check_names(doc: Document) -> Iterator[Finding]:
    """P01 wrong country or agency names, P03 wrong fixed formulations."""
    for section in doc.sections:
        hits = doc.hits(section)
        for hit in iter_kind(hits, COUNTRY_WRONG):
            entry: Correction = hit.entry
            yield doc.finding(
                section,
                hit.start,
                hit.end,
                "P01",
                Severity.BLOCK,
                f"国名或机构名称书写错误，应为“{entry.correct}”（严重表述错误，单项否决）",
                entry.correct,
            )
        for hit in iter_kind(hits, FORMULATION_WRONG):
            entry = hit.entry
            yield doc.finding(
                section,
                hit.start,
                hit.end,
                "P03",
                Severity.BLOCK,
                f"固定提法错误，应为“{entry.correct}”（严重表述错误）",
                entry.correct,
            )


def check_renamed_agencies(doc: Document) -> Iterator[Finding]:
    """P06: an agency name retired by a reform; historical mentions need a reviewer."""
    for section in doc.sections:
        for hit in iter_kind(doc.hits(section), OLD_AGENCY):
            agency: RenamedAgency = hit.entry
            if agency.renamed_on > doc.context.as_of or section.text[hit.end : hit.end + 1] == "门":
                continue  # not renamed yet, or 农业部门/文化部门 (a department, not the ministry)
            yield doc.finding(
                section,
                hit.start,
                hit.end,
                "P06",
                Severity.REVIEW,
                f"“{agency.old}”已于{agency.renamed_on:%Y年%m月%d日}更名为“{agency.new}”；"
                "如属历史表述请审核确认",
                agency.new,
            )


def check_sensitive_words(doc: Document) -> Iterator[Finding]:
    """P07: reactionary, violent, pornographic or gambling words."""
    for section in doc.sections:
        for hit in iter_kind(doc.hits(section), SENSITIVE):
            word: SensitiveWord = hit.entry
            severity = Severity.BLOCK if word.severity is WordSeverity.BLOCK else Severity.REVIEW
            yield doc.finding(
                section,
                hit.start,
                hit.end,
                "P07",
                severity,
                f"含敏感词（{word.category}），政府网站不得发布或链接此类内容",
            )


def check_typos(doc: Document) -> Iterator[Finding]:
    """P08: known misspellings; serious in titles and next to leaders or political terms."""
    for section in doc.sections:
        hits = doc.hits(section)
        anchors = [h for h in hits if h.kind in (LEADER_NAME, POLITICAL)]
        for hit in iter_kind(hits, TYPO):
            entry: Correction = hit.entry
            serious = section.name == "title" or any(
                a.start - _POLITICAL_CONTEXT <= hit.start <= a.end + _POLITICAL_CONTEXT
                for a in anchors
            )
            where = (
                "标题中" if section.name == "title" else "领导人或政治表述附近" if serious else ""
            )
            yield doc.finding(
                section,
                hit.start,
                hit.end,
                "P08",
                Severity.BLOCK if serious else Severity.WARN,
                f"{where}疑似错别字，应为“{entry.correct}”",
                entry.correct,
            )


def check_ads(doc: Document) -> Iterator[Finding]:
    """P23: commercial advertising."""
    for section in doc.sections:
        for hit in iter_kind(doc.hits(section), AD):
            yield doc.finding(
                section,
                hit.start,
                hit.end,
                "P23",
                Severity.BLOCK,
                "含商业广告用语，政府网站和政务新媒体不得刊登商业广告",
            )


# -- P04 sovereignty (新华社《新闻信息报道中的禁用词和慎用词》) ------------------------------

_QUOTES = "“”\"'‘’「」『』《》"
_SOVEREIGNTY: list[tuple[re.Pattern[str], str, str | None]] = [
    (
        re.compile(r"中华民国(?!.{0,4}(?:时期|年间))"),
        "不得使用“中华民国”及民国纪年（历史语境须经审核确认）",
        None,
    ),
    (re.compile(r"两岸三地"), "不得使用“两岸三地”，应表述为“两岸四地”或分别表述", None),
    (
        re.compile(r"中港(?!澳)|中台(?![\u4e00-\u9fff]{0,1}[办企])|中澳(?!大利亚)"),
        "不得将港澳台与“中国”并列，应写“内地与香港”“大陆与台湾”等",
        None,
    ),
    (
        re.compile(r"台湾(?:地区)?(?:副)?总统"),
        "不得称台湾地区领导人为“总统”，应写“台湾地区领导人”",
        "台湾地区领导人",
    ),
    (
        re.compile(r"(?:各国|国家|其他国家)和台湾(?!地区)|台湾等国家"),
        "不得将台湾称为或列为国家，列举时应写“国家和地区”",
        None,
    ),
    (
        re.compile(r"(?:港澳台|香港|澳门|台湾)(?:同胞|游客|居民)?来华"),
        "港澳台居民来内地（大陆）不得称“来华”",
        None,
    ),
    (re.compile(r"福尔?摩[萨莎]"), "不得以“福摩萨”等称呼台湾", "台湾"),
    (re.compile(r"一带一路战略"), "不使用“一带一路战略”，应为“一带一路”倡议", "“一带一路”倡议"),
    (re.compile(r"前苏联"), "应使用“苏联”，不使用“前苏联”", "苏联"),
    (re.compile(r"中共[\u4e00-\u9fff]{2,3}省省委"), "应写“中共XX省委”，不写“XX省省委”", None),
]
_QUOTE_REQUIRED = re.compile(r"台独|立法院|行政院|中华台北")


def check_sovereignty(doc: Document) -> Iterator[Finding]:
    """P04: expressions about Hong Kong, Macao, Taiwan and sovereignty."""
    for section in doc.sections:
        text = section.text
        for pattern, message, fix in _SOVEREIGNTY:
            for match in pattern.finditer(text):
                fixed = fix
                if pattern.pattern.startswith("中共"):
                    fixed = match.group(0).replace("省省委", "省委")
                yield doc.finding(
                    section, match.start(), match.end(), "P04", Severity.BLOCK, message, fixed
                )
        for match in _QUOTE_REQUIRED.finditer(text):
            before = text[match.start() - 1] if match.start() else ""
            after = text[match.end()] if match.end() < len(text) else ""
            if before in _QUOTES and after in _QUOTES:
                continue
            yield doc.finding(
                section,
                match.start(),
                match.end(),
                "P04",
                Severity.BLOCK,
                f"“{match.group(0)}”须加引号使用",
                f"“{match.group(0)}”",
            )


# -- P14 secrecy ------------------------------------------------------------------------------

_SECRECY = re.compile(
    r"(?:绝密|机密|秘密)\s*[★☆*]\s*(?:\d+\s*[年个月]+|长期)?"
    r"|(?<![商业国家个人工作])(?:绝密|机密)(?:文件|级)"
    r"|内部资料[，,\s]*注意保存|内部文件|仅供内部使用|内部传阅|不得外传|涉密文件|涉密材料"
)
_SECRET_FILE_NAME = re.compile(r"绝密|机密|秘密|涉密|内部")


# A 密级 standing alone on one of the first lines of a document (GB/T 9704 puts it at the
# top left, with or without ★ and the 保密期限; a 份号 line may come first).
_SECRECY_LINE = re.compile(
    r"^[ \t\u3000]*(?P<mark>(?:绝密|机密|秘密)(?:[ \t\u3000]*(?:\d+[ \t\u3000]*(?:年|个月)|长期))?)"
    r"[ \t\u3000]*$",
    re.MULTILINE,
)
_HEAD_LINES = 4


def _head_marks(text: str) -> Iterator[re.Match[str]]:
    """Stand-alone 密级 lines among the first `_HEAD_LINES` lines of `text`."""
    head_end = 0
    for _ in range(_HEAD_LINES):
        newline = text.find("\n", head_end)
        head_end = len(text) if newline < 0 else newline + 1
        if newline < 0:
            break
    yield from _SECRECY_LINE.finditer(text, 0, head_end)


def check_secrecy(doc: Document) -> Iterator[Finding]:
    """P14: classification marks (密级标志) and internal-only labels, in text and file names."""
    for section in doc.sections:
        if section.name == "body" or section.name.startswith("attachment:"):
            for match in _head_marks(section.text):
                if _SECRECY.search(section.text, match.start("mark"), match.end("mark")):
                    continue  # with ★: the pattern below reports it
                yield doc.finding(
                    section, match.start("mark"), match.end("mark"), "P14", Severity.BLOCK,
                    "文首标有密级，涉密文件不得公开发布（保密关）",
                )  # fmt: skip
        for match in _SECRECY.finditer(section.text):
            yield doc.finding(
                section,
                match.start(),
                match.end(),
                "P14",
                Severity.BLOCK,
                "含密级或内部标识，涉密或内部信息不得公开发布（保密关）",
            )
        if section.name.startswith("attachment:"):
            name = section.name.removeprefix("attachment:")
            named = _SECRET_FILE_NAME.search(name)
            if named:
                yield Document.whole_finding(
                    section.name,
                    name,
                    "P14",
                    Severity.BLOCK,
                    "附件文件名含涉密或内部字样，请确认后移除",
                )
