"""What a Word document says besides its text: paragraph alignment (落款 and 日期 sit right,
titles centred), and the 文号, 发文机关 and 成文日期 of an official document (GB/T 9704-2012:
the 文号 under the issuing agency's mark, the 落款 and its date at the end), read so the form
can be pre-filled for the editor to check."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A paragraph whose properties align it: a marker run is put at its start before conversion,
# and turned into the paragraph's style afterwards (mammoth keeps structure, not alignment).
_ALIGNED = re.compile(
    r'(<w:p\b[^>]*>)(<w:pPr>(?:(?!</w:pPr>).)*?<w:jc w:val="(right|center|end|both)"/>'
    r"(?:(?!</w:pPr>).)*?</w:pPr>)",
    re.S,
)
_ALIGNMENTS = {"right": "right", "end": "right", "center": "center", "both": "justify"}
_MARKER = re.compile(r"<(p|h[1-6])>⟦align:(right|center|justify)⟧")

_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")
_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_CN_DIGITS = dict(zip("〇一二三四五六七八九", "0123456789", strict=True))
_AGENCY = re.compile(r"^[\u4e00-\u9fff（）()、]{4,40}$")
_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"<(p|h[1-6])[^>]*>(.*?)</\1>", re.S)


def mark_alignment(document_xml: str) -> str:
    """document.xml with a marker run opening each right-aligned, centred or justified
    paragraph (what `apply_alignment` turns into the paragraph's style)."""

    def marked(match: re.Match[str]) -> str:
        value = _ALIGNMENTS[match.group(3)]
        return f"{match.group(1)}{match.group(2)}<w:r><w:t>⟦align:{value}⟧</w:t></w:r>"

    return _ALIGNED.sub(marked, document_xml)


def apply_alignment(html: str) -> str:
    """Each marked paragraph of the converted HTML, aligned by style."""
    return _MARKER.sub(lambda m: f'<{m.group(1)} style="text-align: {m.group(2)}">', html)


@dataclass(frozen=True)
class DocumentFields:
    doc_number: str = ""  # 文号
    issuing_agency: str = ""  # 发文机关 (the 落款)
    written_date: str = ""  # 成文日期, ISO


def _date(text: str) -> str:
    text = "".join(_CN_DIGITS.get(c, c) for c in text).replace("十", "")
    found = _DATE.match(text.strip())
    if not found:
        return ""
    year, month, day = (int(g) for g in found.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else ""


def read_fields(html: str) -> DocumentFields:
    """The 文号 (among the first paragraphs), and the 落款: the last dated paragraph and the
    agency named on the line before it."""
    lines = [_TAG.sub("", m.group(2)).strip() for m in _BLOCK.finditer(html)]
    lines = [line for line in lines if line]
    number = next((m.group(0) for line in lines[:6] if (m := _DOC_NUMBER.search(line))), "")
    written, agency = "", ""
    for index in range(len(lines) - 1, max(len(lines) - 6, -1), -1):
        written = _date(lines[index])
        if written:
            before = lines[index - 1] if index > 0 else ""
            agency = before if _AGENCY.match(before) else ""
            break
    return DocumentFields(number, agency, written)
