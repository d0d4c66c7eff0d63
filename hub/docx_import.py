"""Word (.docx) import (导入 Word): a document becomes a draft's title and body HTML.

Converted by mammoth, which maps Word's structure (headings, lists, tables, bold, links,
images) to plain HTML and drops Word's visual formatting; images go to the media store and
the body points at them; the result then passes the same sanitiser as every other body.
The first heading (or a paragraph in Word's "Title" style) becomes the title.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import mammoth
import structlog

from hub.media import Media, MediaStore, sniff
from hub.sanitize import clean_html
from workflows.errors import DomainError

log = structlog.get_logger(__name__)

_STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='标题'] => h1:fresh
p[style-name='Subtitle'] => h2:fresh
"""
_FIRST_H1 = re.compile(r"<h1>(.*?)</h1>", re.S)
_TAG = re.compile(r"<[^>]+>")


@dataclass
class ImportedDocument:
    """A converted document: what the new-article form is filled with."""

    title: str
    body_html: str
    images: list[Media] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # what Word had that HTML cannot keep

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body_html": self.body_html,
            "images": [m.as_dict() for m in self.images],
            "messages": self.messages,
        }


def import_docx(data: bytes, filename: str, media: MediaStore) -> ImportedDocument:
    """Convert a .docx; refuse anything else (an old .doc, a renamed file) with a clear error."""
    if sniff(data, filename) != "docx":
        raise DomainError(
            "IMPORT_NOT_DOCX", "请选择 Word 文档（.docx）；旧版 .doc 请先另存为 .docx"
        )
    images: list[Media] = []

    def store_image(image: Any) -> dict[str, str]:
        with image.open() as stream:
            stored = media.put(stream.read(), images_only=True)
        images.append(stored)
        return {"src": stored.url, "alt": image.alt_text or ""}

    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            style_map=_STYLE_MAP,
            convert_image=mammoth.images.img_element(store_image),
        )
    except DomainError:
        raise  # an image the media store refused
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        log.info("import.docx_failed", error=str(exc)[:200])
        raise DomainError("IMPORT_FAILED", "无法读取该 Word 文档，文件可能已损坏") from exc
    html = result.value
    title = ""
    heading = _FIRST_H1.search(html)
    if heading:
        title = _TAG.sub("", heading.group(1)).strip()
        html = html[: heading.start()] + html[heading.end() :]
    if not title:
        title = filename.rsplit("/", 1)[-1].removesuffix(".docx").strip()
    messages = sorted({m.message for m in result.messages})[:20]
    log.info("import.docx", images=len(images), messages=len(messages))
    return ImportedDocument(title[:200], clean_html(html), images, messages)
