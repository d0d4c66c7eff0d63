"""Article HTML as it may be stored: what every interface (web form, API, CLI, Word import)
passes through before an article is created or edited.

Sanitised with nh3 (the Rust `ammonia` sanitiser): an allow-list of structural tags, no
scripts, event handlers, frames, forms or `javascript:`/`data:` links, and no styling that
could hide content (暗链: `display:none`, tiny font sizes, off-screen indents or offsets in any
unit), because of inline styles only alignment, weight and a small first-line indent (0–4em)
survive (`workflows/checks/styles.py`, the same rule the checks read) and no class or id.
"""

from __future__ import annotations

import re

import nh3

from workflows.checks.styles import safe_style

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s",
    "sub", "sup", "span", "div", "blockquote", "pre", "code", "ul", "ol", "li", "dl", "dt",
    "dd", "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    "a", "img", "figure", "figcaption",
}  # fmt: skip
_ALIGNABLE = ("p", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "li")
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start"},
    **{tag: {"style"} for tag in _ALIGNABLE if tag not in ("td", "th")},
}
_DIMENSION = re.compile(r"^\d{1,4}$")
_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript"}


def clean_html(html: str) -> str:
    """The HTML with everything outside the allow-list removed."""
    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_attribute,
        link_rel=None,
        strip_comments=True,
    )
    return cleaned


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Formatting an editor needs for a government notice (centred titles, 首行缩进 2em) and
    nothing that can move or hide text; image sizes only as plain pixel numbers."""
    if name == "style":
        return safe_style(value) or None
    if tag == "img" and name in ("width", "height"):
        return value.strip() if _DIMENSION.match(value.strip()) else None
    return value
