"""The text of a Weibo post: always within 140 by Weibo's count, the title whole, the link
whole at the end, or a permanent error the operator can act on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.contract import ChannelError
from channels.weibo.text import post_text, same_post, units
from workflows.content import ArticleContent, ArticleMetadata
from workflows.delivery_events import ErrorKind

LINK = "https://www.sf.gov.cn/notices/01a208d3-48ec-70a3-95d2-11289859eb3d.html"


def content(title: str, summary: str = "", body: str = "<p>正文。</p>") -> ArticleContent:
    return ArticleContent(title=title, body_html=body, metadata=ArticleMetadata(summary=summary))


def test_title_summary_and_link() -> None:
    text = post_text(content("关于开展自查工作的通知", "请各单位于月底前完成自查。"), LINK)
    assert text == f"【关于开展自查工作的通知】请各单位于月底前完成自查。 {LINK}"


def test_without_a_summary_the_body_speaks() -> None:
    text = post_text(content("通知", body="<h2>一、目标</h2><p>做好  工作。</p>"), LINK)
    assert text.startswith("【通知】一、目标 做好 工作。")


def test_a_long_summary_is_shortened_with_an_ellipsis() -> None:
    text = post_text(content("通知", "各有关单位，" + "请认真落实。" * 60), LINK)
    assert (
        units(text) <= 140 and text.endswith(f"… {LINK}") and text.startswith("【通知】各有关单位")
    )


def test_a_title_too_long_for_a_post_is_the_operators_to_shorten() -> None:
    with pytest.raises(ChannelError) as refused:
        post_text(content("关" * 120), LINK)
    assert refused.value.kind is ErrorKind.PERMANENT and "请缩短标题" in refused.value.reason


def test_no_topic_marks() -> None:
    text = post_text(content("#双减#政策解读"), LINK)
    assert "#" not in text and "＃双减＃" in text


def test_a_timeline_status_is_recognised_with_its_short_link() -> None:
    ours = post_text(content("通知", "摘要"), LINK)
    assert same_post("【通知】摘要 http://t.cn/A6x1y2z3", ours)
    assert not same_post("【通知】另一条 http://t.cn/A6x1y2z3", ours)


@given(
    title=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                  max_size=150).filter(str.strip),
    summary=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400),
)  # fmt: skip
def test_every_post_fits_or_is_refused_with_a_reason(title: str, summary: str) -> None:
    try:
        item = content(title, summary)
    except ValueError:
        return  # not an article the hub would hold
    try:
        text = post_text(item, LINK)
    except ChannelError as exc:
        assert exc.kind is ErrorKind.PERMANENT and "请缩短标题" in exc.reason
        shown = " ".join(item.title.replace("#", "＃").split())
        assert units(f"【{shown}】 {LINK}") > 140  # refused only when the title cannot fit
        return
    assert units(text) <= 140 and text.endswith(" " + LINK) and "#" not in text
