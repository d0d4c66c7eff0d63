"""Text of attachments (PDF, DOCX, XLSX, TXT, HTML) for the checks, with well-kept libraries.

Tables keep their shape: cells are separated by tabs and rows by new lines, so a table of names
and ID numbers reads row by row, as the personal-data rules expect.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from events.error_codes import ErrorCode
from workflows.checks.html_parse import html_to_text

SUPPORTED = (".txt", ".html", ".htm", ".docx", ".xlsx", ".pdf")


class AttachmentError(Exception):
    """An attachment whose text cannot be read."""

    code = ErrorCode.ATTACHMENT_UNREADABLE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def extract_text(name: str, data: bytes) -> str:
    """The plain text of a file, chosen by its extension."""
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".txt":
            return _decode(data)
        if suffix in (".html", ".htm"):
            return html_to_text(_decode(data)).text
        if suffix == ".docx":
            return _docx_text(data)
        if suffix == ".xlsx":
            return _xlsx_text(data)
        if suffix == ".pdf":
            return _pdf_text(data)
    except AttachmentError:
        raise
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, IndexError, TypeError) as exc:
        raise AttachmentError(f"无法读取 {name} 的文字内容: {exc}") from None
    except Exception as exc:  # a malformed file may fail deep inside a parser
        raise AttachmentError(f"无法读取 {name} 的文字内容: {type(exc).__name__}") from None
    raise AttachmentError(
        f"不支持的文件类型 {suffix or '(无扩展名)'}，支持: {', '.join(SUPPORTED)}"
    )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AttachmentError("文本文件编码无法识别（支持 UTF-8 和 GB18030）")


def _docx_text(data: bytes) -> str:
    import docx  # imported on use: the CLI starts faster without it

    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text.strip() for cell in row.cells))
    return "\n".join(lines)


def _xlsx_text(data: bytes) -> str:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines = []
    for sheet in workbook.worksheets:
        lines.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            cells = ["" if value is None else str(value) for value in row]
            if any(cells):
                lines.append("\t".join(cells))
    workbook.close()
    return "\n".join(lines)


def _pdf_text(data: bytes) -> str:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)
