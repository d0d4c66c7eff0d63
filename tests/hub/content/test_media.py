"""The media store: files kept once by content, types read from the bytes, bad files refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest

from hub.content.docx_import import import_docx
from hub.content.media import MAX_IMAGE_BYTES, MediaStore, download_name, sniff
from workflows.errors import DomainError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def package(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for part in parts:
            z.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "ext"),
    [
        (PNG, "a.png", "png"),
        (JPEG, "photo.JPG", "jpg"),
        (b"GIF89a" + b"\x00" * 10, "", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x", "webp"),
        (b"%PDF-1.7\n", "通知.pdf", "pdf"),
        (package("[Content_Types].xml", "word/document.xml"), "a.docx", "docx"),
        (package("[Content_Types].xml", "xl/workbook.xml"), "a.xlsx", "xlsx"),
        (package("OFD.xml", "Doc_0/Document.xml"), "公文.ofd", "ofd"),
        (package("readme.txt"), "a.zip", "zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8, "old.doc", "doc"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8, "old.exe", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "a.png", None),
        (b"<html><script>alert(1)</script>", "a.jpg", None),
        (b"MZ\x90\x00", "setup.pdf", None),
        (b"PK\x03\x04broken", "a.docx", None),
    ],
)
def test_the_type_is_read_from_the_bytes_not_the_name(data: bytes, name: str, ext: str) -> None:
    assert sniff(data, name) == ext


def test_a_file_is_stored_once_under_its_content(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    first = store.put(PNG, "a.png")
    again = store.put(PNG, "renamed.png")
    assert first == again and first.kind == "image" and first.media_type == "image/png"
    assert first.url == f"/media/{first.key}" and len(first.key) == len("0" * 64 + ".png")
    found = store.find(first.key)
    assert found is not None and found[0].read_bytes() == PNG
    assert len(list((tmp_path / "media").rglob("*.png"))) == 1
    assert store.put(JPEG).key != first.key


@pytest.mark.parametrize(
    "key", ["../../etc/passwd", "x.png", "0" * 64 + ".svg", "0" * 64 + ".png", "A" * 64 + ".png"]
)
def test_only_well_formed_keys_of_stored_files_are_found(tmp_path: Path, key: str) -> None:
    assert MediaStore(tmp_path).find(key) is None


def test_empty_unknown_oversized_and_non_image_files_are_refused(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    cases = [
        (b"", {}, "MEDIA_EMPTY"),
        (b"<script>alert(1)</script>", {}, "MEDIA_TYPE_REFUSED"),
        (PNG + b"\x00" * MAX_IMAGE_BYTES, {}, "MEDIA_TOO_LARGE"),
        (b"%PDF-1.4", {"images_only": True}, "MEDIA_NOT_IMAGE"),
    ]
    for data, options, code in cases:
        with pytest.raises(DomainError) as refused:
            store.put(data, "f", **options)
        assert refused.value.code == code
    assert not list(tmp_path.rglob("*.*"))


def test_download_names_cannot_escape_or_break_headers() -> None:
    assert download_name("../../通知 附件.pdf") == "通知 附件.pdf"
    assert download_name('a"\r\nSet-Cookie: x.pdf') == "a_Set-Cookie_ x.pdf"
    assert download_name("") == "附件"


def word_document(tmp_path: Path) -> bytes:
    document = docx.Document()
    document.add_heading("关于开展安全生产大检查的通知", level=1)
    document.add_paragraph("各有关单位：")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "单位", "联系人"
    table.cell(1, 0).text, table.cell(1, 1).text = "应急管理厅", "王五"
    picture = tmp_path / "p.png"
    _png(picture)
    document.add_picture(str(picture))
    path = tmp_path / "notice.docx"
    document.save(str(path))
    return path.read_bytes()


def _png(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (4, 3), (200, 30, 30)).save(path)


def test_a_word_document_becomes_title_body_and_stored_images(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    imported = import_docx(word_document(tmp_path), "notice.docx", store)
    assert imported.title == "关于开展安全生产大检查的通知"
    assert "<h1>" not in imported.body_html and "各有关单位" in imported.body_html
    assert "<table>" in imported.body_html and "应急管理厅" in imported.body_html
    assert len(imported.images) == 1 and imported.images[0].kind == "image"
    assert f'src="{imported.images[0].url}"' in imported.body_html
    assert store.find(imported.images[0].key) is not None


def test_what_is_not_a_docx_is_refused_clearly(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    for data in (b"%PDF-1.4", package("word/document.xml", "[Content_Types].xml"), b"junk"):
        with pytest.raises(DomainError) as refused:
            import_docx(data, "x.docx", store)
        assert refused.value.code in ("IMPORT_NOT_DOCX", "IMPORT_FAILED")


def official_document(tmp_path: Path) -> bytes:
    """A notice laid out as GB/T 9704 has it: 文号 centred, the 落款 and date on the right."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    number = document.add_paragraph("示应急〔2026〕12号")
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_heading("关于开展冬季安全生产大检查的通知", level=1)
    document.add_paragraph("各市应急管理局：")
    document.add_paragraph("现就开展冬季安全生产大检查有关事项通知如下。")
    agency = document.add_paragraph("示范省应急管理厅")
    agency.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    written = document.add_paragraph("2026年12月1日")
    written.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    path = tmp_path / "official.docx"
    document.save(str(path))
    return path.read_bytes()


def test_word_import_keeps_alignment_and_reads_the_documents_fields(tmp_path: Path) -> None:
    imported = import_docx(official_document(tmp_path), "通知.docx", MediaStore(tmp_path / "m"))
    body = imported.body_html
    assert '<p style="text-align: right">示范省应急管理厅</p>' in body
    assert '<p style="text-align: right">2026年12月1日</p>' in body
    assert '<p style="text-align: center">示应急〔2026〕12号</p>' in body
    assert "⟦" not in body
    assert imported.fields.doc_number == "示应急〔2026〕12号"
    assert imported.fields.issuing_agency == "示范省应急管理厅"
    assert imported.fields.written_date == "2026-12-01"
    assert imported.as_dict()["metadata"] == {
        "doc_number": "示应急〔2026〕12号", "issuing_agency": "示范省应急管理厅",
        "written_date": "2026-12-01"}  # fmt: skip
