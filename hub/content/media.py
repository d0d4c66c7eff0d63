"""Images and attachments of articles (图片与附件), stored once by their content.

A file is kept under the SHA-256 of its bytes and referenced from article HTML as
`/media/<sha256>.<ext>` (attachments may add `/<file name>` for the download's name). The
address is the content: a file can never change under an article, and an article's content
hash, which approvals bind to, covers its images and attachments through their addresses.

A file's type is read from its bytes, never from its name or the browser's word: only the
image and document formats a government article carries are taken (no SVG or HTML, which a
browser would run). Blobs are not events: the article's events reference them.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple

from events.log import get_logger
from workflows.errors import DomainError

log = get_logger(__name__)

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

# extension -> (media type, kind)
TYPES: dict[str, tuple[str, str]] = {
    "png": ("image/png", "image"),
    "jpg": ("image/jpeg", "image"),
    "gif": ("image/gif", "image"),
    "webp": ("image/webp", "image"),
    "pdf": ("application/pdf", "attachment"),
    "doc": ("application/msword", "attachment"),
    "xls": ("application/vnd.ms-excel", "attachment"),
    "ppt": ("application/vnd.ms-powerpoint", "attachment"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "attachment",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "attachment",
    ),
    "ofd": ("application/ofd", "attachment"),  # 版式文件 (GB/T 33190)
    "zip": ("application/zip", "attachment"),
}
KEY = re.compile(r"^[0-9a-f]{64}\.(" + "|".join(TYPES) + r")$")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97–2003, Excel, PowerPoint
# Parts that name an Office Open XML or OFD package.
_PACKAGES = (
    ("word/document.xml", "docx"),
    ("xl/workbook.xml", "xlsx"),
    ("ppt/presentation.xml", "pptx"),
    ("OFD.xml", "ofd"),
)


class Media(NamedTuple):
    """A stored file."""

    key: str  # <sha256>.<ext>
    kind: str  # image | attachment
    media_type: str
    size: int

    @property
    def url(self) -> str:
        """Where the hub serves it (and where article HTML points)."""
        return f"/media/{self.key}"

    def as_dict(self, name: str = "") -> dict[str, object]:
        """The file as the API answers it; `name` gives attachments a download name."""
        link = f"{self.url}/{name}" if name and self.kind == "attachment" else self.url
        return {"key": self.key, "url": link, "kind": self.kind,
                "media_type": self.media_type, "size": self.size, "name": name}  # fmt: skip


def sniff(data: bytes, filename: str = "") -> str | None:
    """The extension of the format the bytes are in, if it is one the hub takes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(_OLE):
        named = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        return named if named in ("doc", "xls", "ppt") else None
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        return next((ext for part, ext in _PACKAGES if part in names), "zip")
    return None


def download_name(name: str) -> str:
    """A file name safe in a URL path and a Content-Disposition header."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    base = re.sub(r'[\x00-\x1f\x7f"/<>:|?*%#;]+', "_", base)
    return base[:120] or "附件"


class MediaStore:
    """Files by content under `root` (created on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, filename: str = "", *, images_only: bool = False) -> Media:
        """Store the bytes (once); refuse empty, oversized or unknown files."""
        if not data:
            raise DomainError("MEDIA_EMPTY", "文件为空")
        ext = sniff(data, filename)
        if ext is None:
            raise DomainError(
                "MEDIA_TYPE_REFUSED",
                "不支持的文件类型：图片限 PNG、JPEG、GIF、WebP，附件限 PDF、Word、Excel、"
                "PowerPoint、OFD、ZIP",
            )
        media_type, kind = TYPES[ext]
        if images_only and kind != "image":
            raise DomainError("MEDIA_NOT_IMAGE", "请选择图片文件（PNG、JPEG、GIF、WebP）")
        limit = MAX_IMAGE_BYTES if kind == "image" else MAX_ATTACHMENT_BYTES
        if len(data) > limit:
            raise DomainError(
                "MEDIA_TOO_LARGE", f"文件超过 {limit // 1024 // 1024} MB", size=len(data)
            )
        key = f"{hashlib.sha256(data).hexdigest()}.{ext}"
        path = self.root / key[:2] / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole under a temporary name, then renamed: never half a file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            log.info("media.stored", key=key, kind=kind, size=len(data))
        return Media(key, kind, media_type, len(data))

    def find(self, key: str) -> tuple[Path, Media] | None:
        """The stored file of a key, if the key is well-formed and the file exists."""
        if not KEY.match(key):
            return None
        path = self.root / key[:2] / key
        if not path.is_file():
            return None
        media_type, kind = TYPES[key.rsplit(".", 1)[1]]
        return path, Media(key, kind, media_type, path.stat().st_size)
