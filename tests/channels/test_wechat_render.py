"""Articles as WeChat takes them: its HTML subset, re-hosted images, outside links as text,
the platform's limits stated to the operator, and a cover within 64 KB."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image

from channels.contract import ChannelError
from channels.wechat.render import THUMB_MAX_BYTES, thumb_jpeg, wechat_body, wechat_title
from hub.content.sanitize import clean_html
from workflows.delivery_events import ErrorKind

BODY = clean_html(
    '<h2 style="text-align:center">一、总体要求</h2><p style="text-indent:2em">各有关单位：'
    '请<strong>认真</strong>落实。详见<a href="https://www.sf.gov.cn/a.html">实施细则</a>。</p>'
    '<p><img src="/media/abc.png" alt="现场"></p><table><tr><th>时间</th><td colspan="2">'
    '12月1日</td></tr></table><p>附件：<a href="/media/def.pdf/要点.pdf">要点.pdf</a></p>'
)


def test_the_body_keeps_its_structure_in_wechats_subset() -> None:
    hosted = {}

    def rehost(src: str) -> str:
        hosted[src] = f"http://mmbiz.qpic.cn/{len(hosted)}"
        return hosted[src]

    html = wechat_body(BODY, rehost)
    assert hosted == {"/media/abc.png": "http://mmbiz.qpic.cn/0"}
    assert '<img src="http://mmbiz.qpic.cn/0" alt="现场" style="' in html
    assert re.search(r'<h2 style="[^"]*text-align:center;">一、总体要求</h2>', html)
    assert "<strong>认真</strong>" in html and 'colspan="2"' in html
    assert "text-indent:2em;" in html
    assert "<a " not in html  # outside links become text with their address
    assert "实施细则（https://www.sf.gov.cn/a.html）" in html
    assert "附件：要点.pdf" in html  # a hub-relative link: its text stays, no dead address
    assert "class=" not in html and "<script" not in html


def test_limits_are_permanent_errors_with_the_reason() -> None:
    with pytest.raises(ChannelError) as long_body:
        wechat_body("<p>" + "字" * 20_000 + "</p>", lambda s: s)
    assert long_body.value.kind is ErrorKind.PERMANENT and "2 万字符" in long_body.value.reason
    assert wechat_title("关于做好冬季安全生产工作的通知") == "关于做好冬季安全生产工作的通知"
    with pytest.raises(ChannelError) as long_title:
        wechat_title("关" * 33)
    assert "32 字" in long_title.value.reason


@pytest.mark.parametrize("size", [(3000, 2000), (300, 1200), (40, 30)])
def test_a_cover_is_a_jpeg_thumb_of_at_most_64_kb(size: tuple[int, int]) -> None:
    noisy = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    source = io.BytesIO()
    noisy.save(source, "PNG")
    thumb = thumb_jpeg(source.getvalue())
    assert thumb.startswith(b"\xff\xd8\xff") and len(thumb) <= THUMB_MAX_BYTES
    width, height = Image.open(io.BytesIO(thumb)).size
    assert abs(width / height - 900 / 383) < 0.02
    assert thumb_jpeg(b"\x89PNG\r\n\x1a\n not really") == thumb_jpeg(None)  # unreadable
    plain = thumb_jpeg(None)
    assert plain.startswith(b"\xff\xd8\xff") and len(plain) <= THUMB_MAX_BYTES
