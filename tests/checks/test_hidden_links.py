"""Hidden links (暗链) and hrefs read differently by browsers and checkers: each pattern is
either removed by the sanitiser or blocked by P20/P21; the same rule judges raw HTML."""

from __future__ import annotations

import pytest

from hub.content.sanitize import clean_html
from tests.checks.test_rules import check
from workflows.checks.findings import Severity

HIDING = {
    "indent in em": '<p style="text-indent:-999em"><a href="http://x.gov.cn/">链接</a></p>',
    "indent in vw": '<p style="text-indent:-100vw"><a href="http://x.gov.cn/">链接</a></p>',
    "indent in rem": '<p style="text-indent:-50rem"><a href="http://x.gov.cn/">链接</a></p>',
    "indent by calc": '<p style="text-indent:calc(-1 * 9999px)"><a href="http://x.gov.cn/">链接</a></p>',
    "vertical offset": '<span style="vertical-align:-9999px"><a href="http://x.gov.cn/">链接</a></span>',
    "tiny font in em": '<span style="font-size:0.01em"><a href="http://x.gov.cn/">链接</a></span>',
    "1x1 image": '<a href="http://x.gov.cn/"><img src="/media/a.png" width="1" height="1"></a>',
    "0x0 image": '<a href="http://x.gov.cn/"><img src="/media/a.png" width="0" height="0"></a>',
    "no visible text": '<p>正文<a href="http://x.gov.cn/"> &nbsp; </a></p>',
    "zero-width text": '<p>正文<a href="http://x.gov.cn/">\u200b</a></p>',
    "nested sub": '<p><sub><sub><sub><a href="http://x.gov.cn/">链接</a></sub></sub></sub></p>',
}  # fmt: skip


@pytest.mark.parametrize("name", HIDING)
def test_hiding_patterns_are_blocked_in_raw_html(name: str) -> None:
    found = [f for f in check(HIDING[name]) if f.rule == "P21"]
    assert any(f.severity is Severity.BLOCK for f in found), (name, found)


@pytest.mark.parametrize("name", HIDING)
def test_after_the_sanitiser_a_pattern_is_gone_or_still_blocked(name: str) -> None:
    cleaned = clean_html(HIDING[name])
    assert "em;" not in cleaned and "vw" not in cleaned and "calc" not in cleaned
    blocked = [f for f in check(cleaned) if f.severity is Severity.BLOCK]
    hiding_styles = ("vertical-align", "font-size", "text-indent: -")
    assert blocked or not any(s in cleaned for s in hiding_styles), (name, cleaned)


def test_the_sanitiser_keeps_only_small_indents_and_alignment() -> None:
    kept = clean_html('<p style="text-indent:2em;text-align:center;color:red">通知</p>')
    assert kept == '<p style="text-indent: 2em; text-align: center">通知</p>'
    for bad in ("-2em", "5em", "10vw", "calc(2em)", "2rem", "-1px", "100px"):
        assert "text-indent" not in clean_html(f'<p style="text-indent:{bad}">x</p>'), bad
    assert (
        clean_html('<img src="/m.png" width="10%" height="20">') == '<img src="/m.png" height="20">'
    )


BLOCKED_LINKS = {
    "backslash and userinfo": "http://evil.example\\@www.gov.cn/",
    "userinfo": "http://www.gov.cn@evil.example/",
    "full-width dot": "http://www.vns-casino\uff0ecom/",
    "ideographic dot": "http://www.vns-casino\u3002com/",
    "trailing dot": "http://www.vns-casino.com./",
    "upper case": "HTTP://WWW.VNS-CASINO.COM/",
    "percent-encoded host": "http://www%2Evns-casino%2Ecom/",
    "tab in scheme": "ht\ttp://www.vns-casino.com/",
    "protocol-relative": "//www.vns-casino.com/",
    "script with whitespace": "java\nscript:alert(1)",
}  # fmt: skip


@pytest.mark.parametrize("name", BLOCKED_LINKS)
def test_links_are_judged_as_a_browser_reads_them(name: str) -> None:
    html = f'<p>详见<a href="{BLOCKED_LINKS[name]}">说明</a>。</p>'
    findings = check(html)
    assert any(f.severity is Severity.BLOCK and f.rule in ("P20", "P21") for f in findings), (
        name,
        findings,
    )


def test_ordinary_links_stay_as_they_were() -> None:
    html = (
        '<p>详见<a href="https://www.gov.cn/zhengce/">中国政府网</a>、'
        '<a href="/media/abc.pdf">附件</a>和<a href="http://x.政务/">政务网站</a>。</p>'
    )
    assert [f for f in check(html) if f.rule in ("P20", "P21")] == []
    outside = check('<p><a href="https://www.example.com/a">外部说明</a></p>')
    assert [f.severity for f in outside if f.rule == "P20"] == [Severity.REVIEW]
