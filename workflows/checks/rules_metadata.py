"""Metadata rules: publish time, 文号, 索引号, disclosure, interpretation links, repost source,
sensitive periods and the values of 发文机关, 主题分类 and 成文日期 (P15-P19, P22, P24, P25)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from workflows.checks.document import Document
from workflows.checks.findings import Finding, Severity
from workflows.checks.identifiers import org_code_valid, uscc_valid
from workflows.content import DisclosureType

# -- P16 文号 (GB/T 9704-2012 7.2.5) ---------------------------------------------------------

DOC_NUMBER = re.compile(r"^[\u4e00-\u9fa5A-Za-z]+〔\d{4}〕[1-9]\d*号$")
_DOC_NUMBER_LOOSE = re.compile(
    r"(?P<agency>[\u4e00-\u9fa5A-Za-z]{2,12}?)\s*"
    r"(?P<open>[\[［【〔（(〈<{])\s*(?P<year>\d{2}|\d{4})\s*(?P<close>[\]］】〕）)〉>}])\s*"
    r"(?P<first>第)?(?P<serial>\d+)\s*号"
)
# Words that introduce a citation: the 文号 starts after the last of them.
_CITING_WORDS = re.compile(
    r"^.*(?:参照|依据|按照|根据|详见|印发|转发|依照|落实|执行|见|及|和|与|按|据)"
)
_BODY_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fa5]{1,8}(?:发|函|字|办|令|通|规)"
    r"(?P<open>[\[［【（(〔])(?P<year>\d{2,4})(?P<close>[\]］】）)〕])(?P<first>第)?(?P<serial>\d+)号"
)


def fix_doc_number(value: str, as_of_year: int) -> str | None:
    """The GB/T 9704 form of a 文号 written with wrong brackets, a short year, 虚位 or 第."""
    match = _DOC_NUMBER_LOOSE.fullmatch(value.strip())
    if not match:
        return None
    year = match["year"]
    if len(year) == 2:
        century = 2000 if int(year) <= as_of_year % 100 else 1900
        year = str(century + int(year))
    serial = str(int(match["serial"]))
    if serial == "0":
        return None
    return f"{match['agency']}〔{year}〕{serial}号"


def _doc_number_problem(value: str) -> str:
    problems = []
    if re.search(r"[\[\]［］【】（）()]", value):
        problems.append("年份应使用六角括号〔〕")
    if re.search(r"[\[［【〔（(]\d{2}[\]］】〕）)]", value):
        problems.append("年份应标全称")
    if "第" in value:
        problems.append("发文顺序号不加“第”字")
    if re.search(r"[\]］】〕）)]\s*第?0\d*号", value):
        problems.append("发文顺序号不编虚位")
    return "；".join(problems) or "格式应为“机关代字〔年份〕序号号”"


def check_doc_number(doc: Document) -> Iterator[Finding]:
    """P16: the 文号 in metadata (BLOCK, with the fixed form) and ones cited in the body (WARN)."""
    value = doc.metadata.doc_number
    if value and not DOC_NUMBER.fullmatch(value):
        yield doc.metadata_finding(
            "doc_number",
            "P16",
            Severity.BLOCK,
            f"发文字号不符合GB/T 9704：{_doc_number_problem(value)}",
            fix_doc_number(value, doc.context.as_of.year),
        )
    for section in doc.sections:
        if section.name == "title" or section.name.startswith("attachment:"):
            continue
        for match in _BODY_DOC_NUMBER.finditer(section.text):
            lead = _CITING_WORDS.match(match.group(0))
            start = match.start() + (lead.end() if lead else 0)
            cited = section.text[start : match.end()]
            if DOC_NUMBER.fullmatch(cited):
                continue  # 〔四位年份〕, no 第, no 虚位: as it should be
            fixed = fix_doc_number(cited, doc.context.as_of.year)
            yield doc.finding(
                section,
                start,
                match.end(),
                "P16",
                Severity.WARN,
                f"正文引用的发文字号不规范：{_doc_number_problem(cited)}",
                fixed,
            )


# -- P17 索引号 (政府信息公开目录系统实施指引) ---------------------------------------------------

INDEX_NUMBER = re.compile(
    r"^(?P<prefix>[0-9A-Z]{9}|[0-9A-HJ-NPQRTUWXY]{18})/(?P<year>\d{4})-(?P<serial>\d{5})$"
)
_LEGACY_INDEX = re.compile(r"^[0-9A-Za-z]{1,18}[/-]\d{4}-\d{3,6}$|^\d{8}-\d{6}-\d{3}$")
# Columns whose items belong in the disclosure catalogue (公开目录) and so need a 索引号.
CATALOGUE_COLUMN_TYPES = frozenset({"政策文件", "通知公告", "政策解读", "人事信息", "规划计划"})


def generate_index_number(org_code: str, year: int, serial: int) -> str:
    """`org/yyyy-nnnnn`, the national form."""
    return f"{org_code}/{year:04d}-{serial:05d}"


def _prefix_valid(prefix: str) -> bool:
    return org_code_valid(prefix) if len(prefix) == 9 else uscc_valid(prefix)


def check_index_number(doc: Document) -> Iterator[Finding]:
    """P17: format, prefix check digit, year, the unit's own prefix, uniqueness; generation."""
    ctx = doc.context
    value = doc.metadata.index_number
    year = (ctx.publish_time.date() if ctx.publish_time else ctx.as_of).year
    suggestion = (
        generate_index_number(ctx.org_code, year, ctx.next_index_serial)
        if ctx.org_code and ctx.next_index_serial
        else None
    )
    if not value:
        if ctx.column_type in CATALOGUE_COLUMN_TYPES:
            yield doc.metadata_finding(
                "index_number",
                "P17",
                Severity.BLOCK,
                "公开目录信息须有索引号" + ("，可自动生成" if suggestion else ""),
                suggestion,
            )
        return
    match = INDEX_NUMBER.fullmatch(value)
    if not match:
        legacy = bool(_LEGACY_INDEX.fullmatch(value))
        yield doc.metadata_finding(
            "index_number",
            "P17",
            Severity.WARN if legacy else Severity.BLOCK,
            "索引号为地方旧格式，建议改为“机构代码/年份-五位序号”"
            if legacy
            else "索引号格式应为“组织机构代码或统一社会信用代码/年份-五位序号”",
            suggestion,
        )
        return
    problems = []
    if not _prefix_valid(match["prefix"]):
        problems.append("前段码校验位错误")
    if ctx.org_code and match["prefix"] != ctx.org_code:
        problems.append(f"前段码应为本单位代码{ctx.org_code}")
    if int(match["year"]) != year:
        problems.append(f"年份应为发布年份{year}")
    owner = ctx.index_numbers.get(value)
    if owner and owner != ctx.article_id:
        problems.append(f"与稿件{owner[-8:]}重复（索引号唯一且不可变更）")
    if problems:
        yield doc.metadata_finding(
            "index_number", "P17", Severity.BLOCK, "索引号有误：" + "；".join(problems), suggestion
        )


# -- P15, P18, P19, P22, P24 ---------------------------------------------------------------


def check_publish_time(doc: Document) -> Iterator[Finding]:
    """P15: a publication needs its publish time (items without one count as not updated)."""
    if doc.context.phase == "publish" and doc.context.publish_time is None:
        yield _article_finding("P15", Severity.BLOCK, "发布时须有发布时间，并在页面显示")


def check_disclosure(doc: Document) -> Iterator[Finding]:
    """P18: 不予公开 items are not published; a reason is required; policy columns default to
    主动公开."""
    meta = doc.metadata
    if meta.disclosure_type is DisclosureType.NOT_DISCLOSED:
        message = "公开属性为“不予公开”，不能发布到公开渠道"
        if not meta.disclosure_reason:
            message += "，且须填写不予公开理由"
        yield doc.metadata_finding("disclosure_type", "P18", Severity.BLOCK, message)
    elif (
        meta.disclosure_type is DisclosureType.ON_REQUEST
        and doc.context.column_type in CATALOGUE_COLUMN_TYPES
    ):
        yield doc.metadata_finding(
            "disclosure_type",
            "P18",
            Severity.WARN,
            "该栏目信息依《政府信息公开条例》第二十条一般应主动公开，请确认公开属性",
        )


def check_interpretation_links(doc: Document) -> Iterator[Finding]:
    """P19: a 政策解读 links to its 政策文件, and each side links back to the other."""
    ctx = doc.context
    related = doc.metadata.related_articles
    if ctx.column_type == "政策解读":
        policies = [r for r in related if ctx.related_types.get(r) == "政策文件"]
        if not related or (ctx.related_types and not policies):
            yield doc.metadata_finding(
                "related_articles",
                "P19",
                Severity.REVIEW,
                "政策解读须关联所解读的政策文件（文件与解读双向关联）",
            )
    if ctx.column_type in ("政策解读", "政策文件") and ctx.article_id:
        for other in related:
            links = ctx.related_links.get(other)
            if links is not None and ctx.article_id not in links:
                yield doc.metadata_finding(
                    "related_articles",
                    "P19",
                    Severity.REVIEW,
                    f"关联稿件{other[-8:]}未反向关联本稿件（文件与解读须双向关联）",
                )


def check_repost_source(doc: Document) -> Iterator[Finding]:
    """P22: a 转载 names its source; new media repost only from whitelisted sources."""
    meta = doc.metadata
    if not meta.repost:
        return
    if not meta.source:
        yield doc.metadata_finding("source", "P22", Severity.BLOCK, "转载稿件须注明来源")
        return
    allowed = doc.compiled.dictionaries.repost_sources
    if doc.context.new_media and allowed and meta.source not in allowed:
        yield doc.metadata_finding(
            "source",
            "P22",
            Severity.BLOCK,
            f"政务新媒体只能转载白名单稿源单位的稿件，“{meta.source}”不在白名单中",
        )


def check_sensitive_period(doc: Document) -> Iterator[Finding]:
    """P24: everything published in a sensitive period gets an extra review."""
    as_of = doc.context.as_of
    for period in doc.compiled.dictionaries.sensitive_periods:
        if period.start <= as_of <= period.end:
            yield _article_finding(
                "P24",
                Severity.REVIEW,
                f"当前处于敏感时期（{period.reason}，{period.start}至{period.end}），须加强审核",
            )


def _article_finding(rule: str, severity: Severity, message: str) -> Finding:
    return Document.whole_finding("article", "", rule, severity, message)


# -- P25 metadata values -------------------------------------------------------------------------


def check_metadata_values(doc: Document) -> Iterator[Finding]:
    """P25: 发文机关 from the agency list, 主题分类 from the taxonomy (each when configured);
    成文日期 neither in the future nor after the publication (a document is written, then
    published)."""
    meta, compiled = doc.metadata, doc.compiled.dictionaries
    agency = meta.issuing_agency
    if agency and compiled.agencies and agency not in compiled.agencies:
        yield Document.whole_finding(
            "metadata.issuing_agency", agency, "P25", Severity.REVIEW,
            f"发文机关“{agency}”不在机构名录中：请核对全称（机构改革后的名称）", _closest(agency, compiled.agencies))  # fmt: skip
    category = meta.subject_category
    if category and compiled.subject_categories and category not in compiled.subject_categories:
        yield Document.whole_finding(
            "metadata.subject_category", category, "P25", Severity.BLOCK,
            f"主题分类“{category}”不在分类表中", _closest(category, compiled.subject_categories))  # fmt: skip
    written = meta.written_date
    if written is None:
        return
    text = written.isoformat()
    if written > doc.context.as_of:
        yield Document.whole_finding("metadata.written_date", text, "P25", Severity.BLOCK,
                                     "成文日期不能晚于今天")  # fmt: skip
    published = doc.context.publish_time
    if published is not None and written > published.date():
        yield Document.whole_finding("metadata.written_date", text, "P25", Severity.BLOCK,
                                     "成文日期不能晚于发布日期")  # fmt: skip


def _closest(value: str, choices: tuple[str, ...]) -> str | None:
    """The listed value most like `value`, when one is close (a suggested fix)."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(value, choices, scorer=fuzz.ratio, score_cutoff=60)
    return str(found[0]) if found else None
