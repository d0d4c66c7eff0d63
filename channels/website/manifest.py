"""What a page the hub wrote links to and loads: every `href` and `src` of its links,
scripts, frames, styles and images (a manifest per page, beside the site's folder, not in it,
so the web servers never serve it and whoever tampers with a served copy does not reach it).
Supervision compares a live page with its manifest: whatever the live page references and
the hub did not publish is injected (暗链, 挂马), with no keyword list."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from channels.website.files import write_atomically

_REFERENCE = re.compile(
    r"""<(?:a|script|iframe|frame|link|img|embed|object|form)\b[^>]*?\b(?:href|src|data|action)"""
    r"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
    re.IGNORECASE,
)
_INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.IGNORECASE | re.S
)


def references(html: str) -> set[str]:
    """The page's references (and a fingerprint of each inline script's text)."""
    found = {next(g for g in m.groups() if g is not None) for m in _REFERENCE.finditer(html)}
    found |= {"inline-script:" + str(hash_text(m.group(1))) for m in _INLINE_SCRIPT.finditer(html)}
    return found


def hash_text(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def manifest_path(docroot: Path, page: Path) -> Path:
    """Where the manifest of `page` (a file under `docroot`) is kept."""
    return docroot.parent / ".manifests" / docroot.name / (str(page.relative_to(docroot)) + ".json")


def write_manifest(docroot: Path, page: Path, html: str) -> None:
    write_atomically(manifest_path(docroot, page),
                     json.dumps(sorted(references(html)), ensure_ascii=False), durable=False)  # fmt: skip


def read_manifest(docroot: Path, page: Path) -> set[str] | None:
    try:
        return set(json.loads(manifest_path(docroot, page).read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError):
        return None
