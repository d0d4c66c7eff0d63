"""Word (.docx) import (导入 Word): a document becomes a draft's title and body HTML.

Converted by mammoth, which maps Word's structure (headings, lists, tables, bold, links,
images) to plain HTML and drops Word's visual formatting; images go to the media store and
the body points at them; the result then passes the same sanitiser as every other body.
The first heading (or a paragraph in Word's "Title" style) becomes the title.

A .docx is a zip of XML, so a small file can expand to gigabytes or nest deeply enough to
stall a parser. Before conversion the archive's declared sizes are capped (`MAX_XML_BYTES` a
part, `MAX_EXPANDED_BYTES` in all) and the XML's depth is read by a streaming parser that
refuses DTDs and entities; the conversion itself runs in a child process with a time and a
memory limit, so a document that still turns out too costly is stopped, not the hub.
"""

from __future__ import annotations

import io
import multiprocessing
import re
import resource
import zipfile
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import mammoth
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from events.log import get_logger
from hub.content.docx_fields import DocumentFields, apply_alignment, mark_alignment, read_fields
from hub.content.media import Media, MediaStore, sniff
from hub.content.sanitize import clean_html
from workflows.errors import DomainError

log = get_logger(__name__)

_STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='标题'] => h1:fresh
p[style-name='Subtitle'] => h2:fresh
"""
MAX_XML_BYTES = 8 * 1024 * 1024  # one XML part, expanded
MAX_EXPANDED_BYTES = 64 * 1024 * 1024  # the whole archive, expanded (images included)
MAX_PARTS = 2_000
MAX_DEPTH = 100  # real documents nest tables in tables a few levels deep at most
CONVERT_SECONDS = 20.0
CONVERT_MEMORY = 1024 * 1024 * 1024
DAMAGED = "无法读取该 Word 文档，文件可能已损坏"
_FIRST_H1 = re.compile(r"<h1>(.*?)</h1>", re.S)
_TAG = re.compile(r"<[^>]+>")


@dataclass
class ImportedDocument:
    """A converted document: what the new-article form is filled with."""

    title: str
    body_html: str
    images: list[Media] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # what Word had that HTML cannot keep
    fields: DocumentFields = field(default_factory=DocumentFields)  # 文号, 发文机关, 成文日期

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body_html": self.body_html,
            "images": [m.as_dict() for m in self.images],
            "messages": self.messages,
            "metadata": {k: v for k, v in vars(self.fields).items() if v},
        }


def import_docx(data: bytes, filename: str, media: MediaStore) -> ImportedDocument:
    """Convert a .docx; refuse anything else (an old .doc, a renamed file) with a clear error."""
    if sniff(data, filename) != "docx":
        raise DomainError(
            "IMPORT_NOT_DOCX",
            "请选择 Word 文档（.docx）；旧版 .doc 请先另存为 .docx（若确为 .docx，文件可能已损坏）",
        )
    _check_archive(data)
    html, images_data, messages = _convert_in_child(data)
    images: list[Media] = []
    for index, image in enumerate(images_data):
        stored = media.put(image, images_only=True)  # an image the store refuses: its error
        images.append(stored)
        html = html.replace(_placeholder(index), stored.url)
    title = ""
    heading = _FIRST_H1.search(html)
    if heading:
        title = _TAG.sub("", heading.group(1)).strip()
        html = html[: heading.start()] + html[heading.end() :]
    if not title:
        title = filename.rsplit("/", 1)[-1].removesuffix(".docx").strip()
    messages = sorted(set(messages))[:20]
    log.info("import.docx", images=len(images), messages=len(messages))
    body = clean_html(html)
    return ImportedDocument(title[:200], body, images, messages, read_fields(body))


def _check_archive(data: bytes) -> None:
    """Refuse archives that expand too far or nest their XML too deeply (before any parser
    that would build the whole tree sees them)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_PARTS:
                raise DomainError("IMPORT_TOO_COMPLEX", "Word 文档包含的部件过多，无法导入")
            if sum(m.file_size for m in members) > MAX_EXPANDED_BYTES:
                raise DomainError(
                    "IMPORT_TOO_COMPLEX", "Word 文档解压后过大（超过 64 MB），无法导入"
                )
            for member in members:
                if not member.filename.endswith((".xml", ".rels")):
                    continue
                if member.file_size > MAX_XML_BYTES:
                    raise DomainError("IMPORT_TOO_COMPLEX", "Word 文档正文过大，无法导入")
                with archive.open(member) as stream:
                    _check_depth(stream)
    except DomainError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, OSError,
            EOFError, DefusedXmlException, SyntaxError) as exc:  # fmt: skip
        log.info("import.docx_refused", error=str(exc)[:200])
        raise DomainError("IMPORT_FAILED", DAMAGED) from exc


def _check_depth(stream: Any) -> None:
    depth = 0
    for event, _element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
        depth += 1 if event == "start" else -1
        if depth > MAX_DEPTH:
            raise DomainError("IMPORT_TOO_COMPLEX", "Word 文档结构嵌套过深，文件可能已损坏")


def _placeholder(index: int) -> str:
    return f"hub-import-image-{index}.invalid"


def _convert_in_child(data: bytes) -> tuple[str, list[bytes], list[str]]:
    """mammoth's conversion in a child process, stopped after `CONVERT_SECONDS`."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_convert, args=(data, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(CONVERT_SECONDS):
            log.warning("import.docx_timeout", seconds=CONVERT_SECONDS)
            raise DomainError("IMPORT_TOO_COMPLEX", "Word 文档过于复杂，转换超时，文件可能已损坏")
        outcome = receiver.recv()
    except EOFError as exc:  # the child died (memory limit)
        raise DomainError("IMPORT_FAILED", DAMAGED) from exc
    finally:
        receiver.close()
        child.join(0.5)
        if child.is_alive():
            child.kill()
            child.join()
    if outcome[0] == "error":
        log.info("import.docx_failed", error=outcome[1][:200])
        raise DomainError("IMPORT_FAILED", DAMAGED)
    return outcome[1], outcome[2], outcome[3]


def _convert(data: bytes, sender: Connection) -> None:
    """The child's work: convert, collecting images instead of storing them."""
    resource.setrlimit(resource.RLIMIT_AS, (CONVERT_MEMORY, CONVERT_MEMORY))
    images: list[bytes] = []

    def collect(image: Any) -> dict[str, str]:
        with image.open() as stream:
            images.append(stream.read())
        return {"src": _placeholder(len(images) - 1), "alt": image.alt_text or ""}

    try:
        result = mammoth.convert_to_html(
            io.BytesIO(_with_alignment_marks(data)),
            style_map=_STYLE_MAP,
            convert_image=mammoth.images.img_element(collect),
        )
        html = apply_alignment(result.value)
        sender.send(("ok", html, images, [m.message for m in result.messages]))
    except BaseException as exc:  # everything the child meets is the document's fault
        sender.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()


def _with_alignment_marks(data: bytes) -> bytes:
    """The archive with its main part's aligned paragraphs marked (hub/content/docx_fields.py)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "word/document.xml":
                content = mark_alignment(content.decode("utf-8")).encode("utf-8")
            target.writestr(info, content)
    return out.getvalue()
