"""An article as WeChat takes it (research/channel-protocols.md 1.3–1.4): the body in the
subset the platform keeps (no script, no class, styles inline), images re-hosted by WeChat,
links outside WeChat turned into text (the platform drops them), within its size limits; and a
cover image as a JPEG thumb of at most 64 KB.

The input body is the hub's sanitised HTML (hub/content/sanitize.py), so only its allow-listed tags
arrive here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from PIL import Image

from channels.contract import ChannelError
from workflows.delivery_events import ErrorKind

TITLE_MAX = 32
AUTHOR_MAX = 16
DIGEST_MAX = 128
CONTENT_MAX_CHARS = 20_000
CONTENT_MAX_BYTES = 1024 * 1024
THUMB_MAX_BYTES = 64 * 1024
COVER_SIZE = (900, 383)  # 2.35:1, the ratio WeChat crops a cover to

_STYLES = {
    "p": "margin:0 0 1em;line-height:1.75;font-size:16px;text-align:justify;",
    "h1": "margin:1em 0 .6em;font-size:20px;font-weight:bold;",
    "h2": "margin:1em 0 .6em;font-size:18px;font-weight:bold;",
    "h3": "margin:1em 0 .5em;font-size:17px;font-weight:bold;",
    "h4": "margin:1em 0 .5em;font-size:16px;font-weight:bold;",
    "table": "border-collapse:collapse;width:100%;margin:0 0 1em;font-size:14px;",
    "td": "border:1px solid #ccc;padding:4px 6px;",
    "th": "border:1px solid #ccc;padding:4px 6px;background:#f5f5f5;font-weight:bold;",
    "img": "max-width:100%;height:auto;display:block;margin:0 auto 1em;",
    "blockquote": "margin:0 0 1em;padding:.5em 1em;border-left:3px solid #ddd;color:#555;",
    "ul": "margin:0 0 1em;padding-left:2em;",
    "ol": "margin:0 0 1em;padding-left:2em;",
}
_KEPT = {"p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s",
         "sub", "sup", "span", "section", "blockquote", "ul", "ol", "li", "table", "thead",
         "tbody", "tr", "th", "td", "img", "figure", "figcaption", "hr"}  # fmt: skip
_VOID = {"br", "img", "hr"}
WECHAT_HOSTS = ("mp.weixin.qq.com",)


class _Renderer(HTMLParser):
    def __init__(self, rehost: Callable[[str], str]) -> None:
        super().__init__(convert_charrefs=True)
        self.rehost = rehost
        self.out: list[str] = []
        self.link: str | None = None  # the href of an outside link being turned into text
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "a":
            href = values.get("href", "")
            if urlsplit(href).hostname in WECHAT_HOSTS:
                self.out.append(f'<a href="{escape(href)}">')
            else:
                self.link, self.link_text = href, []
            return
        if tag == "figure":
            tag = "section"
        if tag not in _KEPT:
            return
        style = _STYLES.get(tag, "")
        for declaration in values.get("style", "").split(";"):  # 居中, 首行缩进 survive
            if declaration.split(":")[0].strip() in ("text-align", "text-indent"):
                style += declaration.strip().replace(" ", "") + ";"
        extra = ""
        if tag == "img":
            extra = f' src="{escape(self.rehost(values.get("src", "")))}"'
            if values.get("alt"):
                extra += f' alt="{escape(values["alt"])}"'
        for name in ("colspan", "rowspan"):
            if values.get(name, "").isdigit():
                extra += f' {name}="{values[name]}"'
        styled = f' style="{style}"' if style else ""
        self.out.append(f"<{tag}{extra}{styled}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            if self.link is None:
                self.out.append("</a>")
                return
            text = "".join(self.link_text)
            href = self.link
            self.link = None
            shown = escape(href) if href and not href.startswith("/") else ""
            self.out.append(text + (f"（{shown}）" if shown and shown not in text else ""))
            return
        if tag == "figure":
            tag = "section"
        if tag in _KEPT and tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        (self.link_text if self.link is not None else self.out).append(escape(data, quote=False))


def wechat_body(body_html: str, rehost: Callable[[str], str]) -> str:
    """The body for `draft/add`: `rehost(src)` gives each image's WeChat URL. Raises a
    permanent ChannelError when the result passes WeChat's limits (the operator sees why)."""
    renderer = _Renderer(rehost)
    renderer.feed(body_html)
    renderer.close()
    content = "".join(renderer.out)
    if len(content) >= CONTENT_MAX_CHARS or len(content.encode()) >= CONTENT_MAX_BYTES:
        raise ChannelError(
            ErrorKind.PERMANENT,
            f"正文排版后 {len(content)} 字符，超过微信公众号的限制（少于 2 万字符且小于 1 MB）",
        )
    return content


def wechat_title(title: str) -> str:
    """The title as it is (a government title is never cut short); too long is permanent."""
    if len(title) > TITLE_MAX:
        raise ChannelError(
            ErrorKind.PERMANENT,
            f"标题 {len(title)} 字，超过微信公众号 {TITLE_MAX} 字的限制，请另拟短标题后重新发布",
        )
    return title


def thumb_jpeg(image: bytes | None) -> bytes:
    """A cover for `material/add_material?type=thumb`: the image cropped to 2.35:1 and
    scaled, as a JPEG of at most 64 KB (a plain cover when the article has no image)."""
    picture = None
    if image:
        try:
            picture = Image.open(io.BytesIO(image)).convert("RGB")
        except (OSError, ValueError):  # not an image Pillow can read: the plain cover
            picture = None
    if picture is not None:
        width, height = picture.size
        target = COVER_SIZE[0] / COVER_SIZE[1]
        if width / height > target:  # too wide: keep the middle
            cut = int(height * target)
            picture = picture.crop(((width - cut) // 2, 0, (width + cut) // 2, height))
        else:
            cut = int(width / target)
            picture = picture.crop((0, (height - cut) // 2, width, (height + cut) // 2))
        picture = picture.resize(COVER_SIZE)
    else:
        picture = Image.new("RGB", COVER_SIZE, (178, 0, 30))
    for quality in (85, 75, 65, 55, 45, 35):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= THUMB_MAX_BYTES:
            return out.getvalue()
        picture = picture.resize((picture.width * 9 // 10, picture.height * 9 // 10))
    raise ChannelError(ErrorKind.PERMANENT, "封面图无法压缩到微信要求的 64 KB 以内")
