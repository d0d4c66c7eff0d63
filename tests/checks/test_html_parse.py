"""The HTML reader the checks use: text as a browser shows it, offsets back to the source."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.checks.html_parse import html_to_text, parse_html


def test_text_follows_blocks_cells_and_white_space() -> None:
    plain = html_to_text("<p>第一段\n  文字</p><table><tr><td>姓名</td><td>张三</td></tr></table>")
    assert plain.text == "第一段 文字\n姓名\t张三"


def test_scripts_styles_comments_and_templates_are_not_text() -> None:
    source = (
        "<style>.x{display:none}</style><script>var a='<p>不是正文</p>';</script>"
        "<!-- 注释 <a href='http://x.com'>x</a> --><template><p>模板</p></template><p>正文</p>"
    )
    parsed = parse_html(source)
    assert parsed.plain.text == "正文"
    assert parsed.styles == (".x{display:none}",)
    assert [e.tag for e in parsed.elements] == ["style", "script", "template", "p", "p"]


def test_attributes_quoted_with_angle_brackets_and_entities() -> None:
    parsed = parse_html(
        """<a href="https://a.gov.cn/?q=1&amp;r=2" title='a>b' data-x=y HREF="second">链接</a>"""
    )
    (link,) = parsed.elements
    assert link.attrs == {"href": "https://a.gov.cn/?q=1&r=2", "title": "a>b", "data-x": "y"}
    assert parsed.plain.text == "链接"
    assert link.source_start == 0 and parsed.plain.source_index[0] > 0


def test_references_and_stray_brackets_are_text() -> None:
    plain = html_to_text("<p>A&amp;B&nbsp;C &lt;5 & 3 < 4&#x4E2D;&#25991;</p>")
    assert plain.text == "A&B C <5 & 3 < 4中文"


def test_unclosed_elements_end_at_the_end_and_void_elements_at_themselves() -> None:
    source = "<div style='display:none'><a href='x'>暗链<br><img src='m.png'/>"
    parsed = parse_html(source)
    div, a, br, img = parsed.elements
    assert div.source_end == a.source_end == len(source)
    assert br.source_end == br.source_start and img.source_end == img.source_start


def test_end_tags_close_the_nearest_open_element_of_their_name() -> None:
    source = "<div><span>甲</div>乙"
    parsed = parse_html(source)
    div, span = parsed.elements
    assert div.source_end == span.source_end == source.index("</div>")


_FRAGMENTS = st.sampled_from(
    ["<p>", "</p>", "<br>", "<td>", "<a href='x'>", "</a>", "&amp;", "&#20013;", " ", "\n", "<",
     "&", "<!-- c -->", "<b>", "</b>", "张", "三", "1", "x", "，", "\u200b"]
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(_FRAGMENTS, max_size=40))
def test_every_plain_character_points_at_its_source(parts: list[str]) -> None:
    source = "".join(parts)
    plain = parse_html(source).plain
    assert len(plain.source_index) == len(plain.text) + 1
    assert plain.source_index[-1] == len(source)
    assert list(plain.source_index) == sorted(plain.source_index)
    for char, at in zip(plain.text, plain.source_index, strict=False):
        if char not in " \n\t" and source[at] != "&":
            assert source[at] == char
