"""The 党政机关网站标识 in a site's footer, as an image that travels inside the page.

A registered site receives its mark (an image) and a verification page at the registrar;
`sites.yaml` names both (`footer.party_mark: {registration: ..., image: ...}`). The mark is
embedded as a data URI so the published site needs no external asset; a site that states
`party_mark: true` without its own image shows the theme's drawing of the mark."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from hub.setup.directory import PartyMark, Site

MAX_IMAGE_BYTES = 24 * 1024  # keeps every page under the 100 KB budget
VERIFY_URL = "https://bszs.conac.cn/sitename?method=show&id={registration}"
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"\xff\xd8\xff": "image/jpeg",
}
# The theme's own drawing: a red seal-like plate with the words 党政机关 (not the issued image).
_DEFAULT_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="92" height="40" viewBox="0 0 92 40">'
    '<rect x="1" y="1" width="90" height="38" rx="4" fill="#c0161c" stroke="#e9b74a" '
    'stroke-width="2"/><circle cx="18" cy="20" r="10" fill="none" stroke="#f6d27a" '
    'stroke-width="2"/><path d="M18 12l2.4 5.2 5.6.6-4.2 3.8 1.2 5.6-5-2.9-5 2.9 1.2-5.6-4.2-'
    '3.8 5.6-.6z" fill="#f6d27a"/><text x="60" y="25" font-size="14" font-weight="bold" '
    'text-anchor="middle" fill="#fff" font-family="sans-serif">党政机关</text></svg>'
)
DEFAULT_SRC = "data:image/svg+xml;base64," + base64.b64encode(_DEFAULT_SVG.encode()).decode()


class PartyMarkError(ValueError):
    """A site's mark image cannot be used; the message is for the person editing sites.yaml."""


def image_type(data: bytes) -> str | None:
    """The media type of an issued mark image, from its first bytes (PNG, GIF, JPEG, SVG)."""
    for signature, media_type in _SIGNATURES.items():
        if data.startswith(signature):
            return media_type
    head = data[:512].lstrip()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "image/svg+xml"
    return None


def mark_image(site: Site, root: Path) -> str | None:
    """The data URI of the site's issued mark image, or None when it has none.
    Raises `PartyMarkError` for a missing, oversized or non-image file."""
    mark = site.footer.party_mark
    if not isinstance(mark, PartyMark) or not mark.image:
        return None
    path = (root / mark.image).resolve()
    where = f"站点 {site.key} 的党政机关网站标识图片 {mark.image}"
    if not path.is_relative_to(root.resolve()):
        raise PartyMarkError(f"{where} 须在配置目录内")
    if not path.is_file():
        raise PartyMarkError(f"{where} 不存在")
    data = path.read_bytes()
    if len(data) > MAX_IMAGE_BYTES:
        raise PartyMarkError(f"{where} 超过 {MAX_IMAGE_BYTES // 1024} KB")
    media_type = image_type(data)
    if media_type is None:
        raise PartyMarkError(f"{where} 不是 PNG、GIF、JPEG 或 SVG 图片")
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def footer_mark(site: Site, root: Path) -> dict[str, Any] | None:
    """What the footer template shows: the image, its alternative text and the verification
    link (when the registration is known), or None for a site that shows no mark."""
    mark = site.footer.party_mark
    if mark is False:
        return None
    registration = mark.registration if isinstance(mark, PartyMark) else ""
    return {
        "src": mark_image(site, root) or DEFAULT_SRC,
        "alt": "党政机关网站标识",
        "href": VERIFY_URL.format(registration=registration) if registration else None,
    }
