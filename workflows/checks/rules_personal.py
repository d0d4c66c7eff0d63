"""Personal data (个人信息脱敏): ID numbers, mobile numbers, bank cards, home addresses and
names beside them (P09-P13).

Numbers are searched in the matching view, so full-width digits and zero-width characters do
not hide them, and single spaces or hyphens inside a number are allowed. 惩戒公示 and 强制性信息
披露 (metadata `pii_exemption`) turn BLOCK into REVIEW (a reviewer confirms the legal basis) and
silence the address and name rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from workflows.checks.document import Document, Section
from workflows.checks.findings import Finding, Severity
from workflows.checks.identifiers import (
    card_mask,
    luhn_valid,
    mobile_mask,
    ric_mask,
    ric_valid,
)
from workflows.content import PiiExemption

_SEP = r"[ \-]?"
_RIC18 = re.compile(rf"(?<![0-9A-Za-z*])[1-9](?:{_SEP}\d){{16}}{_SEP}[\dXx](?![0-9A-Za-z*])")
_RIC15 = re.compile(
    r"(?<![0-9A-Za-z*])[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z*])"
)
_MOBILE = re.compile(rf"(?<![0-9*])(?:(?:\+|00)?86{_SEP})?1[3-9]\d(?:{_SEP}\d){{8}}(?![0-9*])")
_CARD = re.compile(rf"(?<![0-9A-Za-z*])\d(?:{_SEP}\d){{15,18}}(?![0-9A-Za-z*])")
_DIGIT_RUN = re.compile(r"[+\d](?:[ \-]?[\dXx]){10,}")
_RIC_SHAPE = re.compile(
    r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
)
_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{2,12}?(?:路|街|巷|弄|大道)\d+号(?:院)?"
    r"(?:\d+(?:栋|幢|号楼|座))(?:\d+单元)?(?:\d+(?:室|号房))?"
    r"|[\u4e00-\u9fff]{2,12}?(?:路|街|巷|弄|大道)\d+号(?:\d+单元)?\d+室"
    r"|[\u4e00-\u9fff]{1,10}村(?:委会)?[\u4e00-\u9fff\d]{1,4}组(?:\d+号)?"
)
# Every address above contains one of these; the full pattern runs only around them.
_ADDRESS_ANCHOR = re.compile(r"(?:路|街|巷|弄|大道)\d+号|村(?:委会)?[\u4e00-\u9fff\d]{1,4}组")
_ADDRESS_REACH = 14  # characters an address may start before its anchor (12 + 大道)
_TOWN = re.compile(r"^.*?(?:街道|镇|乡)")
# The most common surnames (about 85 % of the population), for spotting names beside numbers.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉"
    "缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇"
    "桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_LABELLED_NAME = re.compile(
    r"(?:姓名|申请人|当事人|联系人|户主|收件人)[:：\s]*([\u4e00-\u9fff]{2,4})"
)
_LABEL_TAIL = re.compile(
    r"[，,：:\s]*(?:的)?(?:身份证(?:号码?)?|公民身份号码|手机(?:号码?)?|联系电话|电话|银行卡号?|卡号)?[：:\s]*$"
)
_CJK_TAIL = re.compile(r"[\u4e00-\u9fff]{2,4}$")
# Labels of numbers that are not identity numbers (just before the number).
_NOT_AN_ID = re.compile(
    r"(?:编号|编码|合同号|订单号|流水号|档案号|批次号|项目代码|登记号|证书号|单号)[:：\s]*$"
)


@dataclass(frozen=True, slots=True)
class _Number:
    start: int  # view offsets
    end: int
    kind: str  # ric, mobile, card


def _digits(text: str) -> str:
    return text.replace(" ", "").replace("-", "")


def _exempt(doc: Document) -> bool:
    return doc.metadata.pii_exemption is not PiiExemption.NONE


def _numbers(section: Section) -> list[_Number]:
    """Unmasked personal numbers in a section, each counted once (longest kind wins).

    The patterns run only over runs of eleven or more digits (the shortest number they find),
    plus the character after each run for their look-ahead."""
    text = section.text
    found: list[_Number] = []
    for run in _DIGIT_RUN.finditer(text):
        found += _numbers_in(text, run.start(), min(len(text), run.end() + 1))
    return found


def _numbers_in(text: str, lo: int, hi: int) -> list[_Number]:
    found: list[_Number] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for match in _RIC18.finditer(text, lo, hi):
        digits = _digits(match.group(0))
        if _RIC_SHAPE.fullmatch(digits):
            # A failing check character: not an identity number (a serial, a contract
            # number that happens to look like one); a hint at most, never paired with a name.
            kind = "ric" if ric_valid(digits.upper()) else "ric_suspect"
            found.append(_Number(match.start(), match.end(), kind))
            taken.append(match.span())
    for match in _CARD.finditer(text, lo, hi):
        digits = _digits(match.group(0))
        if free(*match.span()) and (luhn_valid(digits) or digits.startswith("62")):
            found.append(_Number(match.start(), match.end(), "card"))
            taken.append(match.span())
    for match in _MOBILE.finditer(text, lo, hi):
        if free(*match.span()):
            found.append(_Number(match.start(), match.end(), "mobile"))
            taken.append(match.span())
    for match in _RIC15.finditer(text, lo, hi):
        if free(*match.span()):
            found.append(_Number(match.start(), match.end(), "ric15"))
            taken.append(match.span())
    return sorted(found, key=lambda n: n.start)


def check_numbers(doc: Document) -> Iterator[Finding]:
    """P09 ID numbers, P10 mobile numbers, P11 bank cards."""
    exempt = _exempt(doc)
    reason = "（惩戒公示/强制披露：请审核确认确需公开）" if exempt else ""
    for section in doc.sections:
        for number in doc.derived(section, _numbers):
            raw = section.text[number.start : number.end]
            digits = _digits(raw)
            if number.kind == "ric_suspect" and _NOT_AN_ID.search(
                section.text[max(0, number.start - 12) : number.start]
            ):
                continue  # labelled as another kind of number
            if number.kind in ("ric", "ric_suspect"):
                if number.kind == "ric":
                    severity = Severity.REVIEW if exempt else Severity.BLOCK
                    message = "含完整居民身份证号码，公开前须脱敏处理"
                else:
                    severity = Severity.REVIEW
                    message = (
                        "18位数字形似身份证号码但校验位不符，不是有效的身份证号码；"
                        "如确为身份证号码（录入有误），请核实并脱敏"
                    )
                yield doc.finding(
                    section,
                    number.start,
                    number.end,
                    "P09",
                    severity,
                    message + reason,
                    ric_mask(digits.upper()),
                )
            elif number.kind == "ric15":
                yield doc.finding(
                    section,
                    number.start,
                    number.end,
                    "P09",
                    Severity.REVIEW,
                    "疑似15位旧版身份证号码，请核实并脱敏" + reason,
                    ric_mask(digits),
                )
            elif number.kind == "mobile":
                national = digits[-11:]
                yield doc.finding(
                    section,
                    number.start,
                    number.end,
                    "P10",
                    Severity.REVIEW if exempt else Severity.BLOCK,
                    "含完整手机号码，公开前须脱敏处理（如138****1234）" + reason,
                    mobile_mask(national),
                )
            else:
                valid = luhn_valid(digits)
                severity = Severity.BLOCK if valid and not exempt else Severity.REVIEW
                message = (
                    "含完整银行卡号，公开前须脱敏处理"
                    if valid
                    else "疑似银联银行卡号（62开头），请核实并脱敏"
                )
                yield doc.finding(
                    section,
                    number.start,
                    number.end,
                    "P11",
                    severity,
                    message + reason,
                    card_mask(digits),
                )


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, len(text) if line_end < 0 else line_end


def _addresses(text: str) -> Iterator[re.Match[str]]:
    """`_ADDRESS.finditer(text)`, searching only near the anchors every address contains."""
    done = 0
    for anchor in _ADDRESS_ANCHOR.finditer(text):
        if anchor.end() <= done:
            continue
        start = max(done, anchor.start() - _ADDRESS_REACH)
        match = _ADDRESS.search(text, start, anchor.end() + 40)
        if match:
            done = match.end()
            yield match


def check_addresses(doc: Document) -> Iterator[Finding]:
    """P12: home addresses below township (乡镇/街道) level."""
    if _exempt(doc):
        return
    for section in doc.sections:
        for match in _addresses(section.text):
            address = match.group(0)
            town = _TOWN.match(address)
            yield doc.finding(
                section,
                match.start(),
                match.end(),
                "P12",
                Severity.REVIEW,
                "疑似个人住址，公开时只保留到乡（镇）、街道",
                town.group(0) if town else None,
            )


def _is_name(candidate: str) -> bool:
    return 2 <= len(candidate) <= 4 and candidate[0] in _SURNAMES


def _name_before(text: str, line_start: int, at: int) -> tuple[int, int] | None:
    """A name written just before a number ("张三，身份证号码："), as view offsets."""
    prefix = text[line_start:at]
    label = _LABEL_TAIL.search(prefix)
    head = prefix[: label.start()] if label else prefix
    run = _CJK_TAIL.search(head)
    if not run:
        return None
    for size in (3, 2):
        candidate = run.group(0)[-size:]
        if len(candidate) == size and candidate[0] in _SURNAMES:
            end = line_start + len(head)
            return end - size, end
    return None


def check_names_beside_numbers(doc: Document) -> Iterator[Finding]:
    """P13: a person's name on the same line (table row) as their unmasked number."""
    if _exempt(doc):
        return
    for section in doc.sections:
        text = section.text
        seen: set[int] = set()
        for number in doc.derived(section, _numbers):
            if number.kind == "ric_suspect":
                continue  # not an identity number: nothing personal beside it
            line_start, line_end = _line_bounds(text, number.start, number.end)
            if line_start in seen:
                continue
            seen.add(line_start)
            line = text[line_start:line_end]
            spans: list[tuple[int, int]] = []
            offset = line_start
            for cell in line.split("\t"):
                stripped = cell.strip()
                if _is_name(stripped) and all("\u4e00" <= c <= "\u9fff" for c in stripped):
                    at = offset + cell.index(stripped)
                    spans.append((at, at + len(stripped)))
                offset += len(cell) + 1
            for match in _LABELLED_NAME.finditer(line):
                if _is_name(match.group(1)):
                    spans.append((line_start + match.start(1), line_start + match.end(1)))
            name = _name_before(text, line_start, number.start)
            if name:
                spans.append(name)
            for start, end in sorted(set(spans)):
                yield doc.finding(
                    section,
                    start,
                    end,
                    "P13",
                    Severity.REVIEW,
                    "姓名与身份证号、手机号或银行卡号同时出现，涉及个人隐私，请去标识化处理",
                    text[start] + "某" * (end - start - 1),
                )
