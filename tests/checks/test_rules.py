"""Checks: the corpus scores, checksums, adversarial inputs and offsets."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hub.commands.fixes import apply_fixes
from hub.setup.config import load_config
from tests.checks.corpus_score import CONFIG, score
from workflows.checks.document import CheckContext
from workflows.checks.engine import run_checks
from workflows.checks.html_parse import html_to_text
from workflows.checks.identifiers import luhn_valid, org_code_valid, ric_mask, ric_valid, uscc_valid
from workflows.checks.rules_metadata import fix_doc_number
from workflows.content import ArticleContent, ArticleMetadata

COMPILED = load_config(CONFIG).checks


def check(body: str, title: str = "标题", **context: object):
    ctx = CheckContext(as_of=date(2026, 11, 22), **context)  # type: ignore[arg-type]
    return run_checks(title, body, ArticleMetadata(), COMPILED, ctx).findings


def test_every_rule_reaches_095_on_the_labelled_corpus() -> None:
    scores = score()
    assert len(scores) >= 20
    for rule, s in scores.items():
        assert s.precision >= 0.95 and s.recall >= 0.95, (rule, s.misses)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("360426199101010071", True),
        ("360426199101010072", False),
        ("11010519491231002X", True),
        ("360426199113010071", False),
    ],
)
def test_resident_id_checksum(number: str, valid: bool) -> None:
    assert ric_valid(number) is valid


def test_other_checksums() -> None:
    assert uscc_valid("91350100M000100Y43") and uscc_valid("11441700007280420Y")
    assert not uscc_valid("91350100M000100Y44")
    assert org_code_valid("000014349") and not org_code_valid("000014348")
    assert luhn_valid("6222021234567890128") and not luhn_valid("6222021234567890129")
    assert ric_mask("360426199101010071") == "36*************071"


def test_doc_number_fixes() -> None:
    assert fix_doc_number("国办发[2017]47号", 2026) == "国办发〔2017〕47号"
    assert fix_doc_number("桂政办发（23）046号", 2026) == "桂政办发〔2023〕46号"
    assert fix_doc_number("示政函〔2026〕第5号", 2026) == "示政函〔2026〕5号"


def test_offsets_point_at_the_plain_text_even_through_tags_and_full_width_digits() -> None:
    body = "<p>中华人民<b>共合</b>国</p><p>电话：１３８１２３４５６７８</p>"
    plain = html_to_text(body).text
    findings = check(body)
    assert {f.rule for f in findings} >= {"P01", "P10"}
    for finding in findings:
        if finding.field == "body":
            assert plain[finding.start : finding.end] == finding.text


def test_numbers_inside_longer_digit_runs_are_not_personal_data() -> None:
    findings = check("<p>统计编码201920202021360426199101010071999，邮编530000，热线12345。</p>")
    assert not [f for f in findings if f.rule in ("P09", "P10", "P11")]


def test_masked_numbers_pass() -> None:
    findings = check("<p>张三，身份证号35*************123，电话138****1234。</p>")
    assert not [f for f in findings if f.rule in ("P09", "P10", "P13")]


def test_publish_time_is_required_at_publication_only() -> None:
    assert not [f for f in check("<p>正文</p>") if f.rule == "P15"]
    at_publish = check("<p>正文</p>", phase="publish")
    assert [f.severity for f in at_publish if f.rule == "P15"] == ["BLOCK"]
    timed = check("<p>正文</p>", phase="publish", publish_time=datetime(2026, 11, 22, 9))
    assert not [f for f in timed if f.rule == "P15"]


def test_index_number_uniqueness_prefix_and_year() -> None:
    meta = ArticleMetadata(index_number="11990000MB0000001M/2025-00001")
    ctx = CheckContext(
        as_of=date(2026, 11, 22),
        org_code="11990000MB0000001M",
        article_id="mine",
        index_numbers={"11990000MB0000001M/2025-00001": "someone-else"},
        next_index_serial=7,
    )
    findings = run_checks("标题", "<p>正文</p>", meta, COMPILED, ctx).findings
    (p17,) = [f for f in findings if f.rule == "P17"]
    assert "年份" in p17.message and "重复" in p17.message
    assert p17.fix == "11990000MB0000001M/2026-00007"


def test_fixes_apply_to_the_html_source_without_breaking_markup() -> None:
    content = ArticleContent(
        title="扫黑险恶专项行动",
        body_html="<p>联系人<b>张三</b>，电话13812345678，依据国办发[2017]47号。</p>",
    )
    findings = run_checks(
        content.title, content.body_html, content.metadata, COMPILED, CheckContext()
    ).findings
    fixed, applied, _skipped = apply_fixes(content, findings)
    assert fixed.title == "扫黑除恶专项行动"
    assert "138****5678" in fixed.body_html and "<b>张某</b>" in fixed.body_html
    assert "国办发〔2017〕47号" in fixed.body_html
    assert {f.rule for f in applied} >= {"P03", "P10", "P16"}


def test_large_dictionaries_still_match_in_one_pass() -> None:
    from workflows.checks.dictionaries import Dictionaries, SensitiveWord
    from workflows.checks.matcher import CompiledDictionaries

    words = tuple(SensitiveWord(word=f"禁词{i:05d}", category="测试") for i in range(50_000))
    compiled = CompiledDictionaries(Dictionaries(sensitive_words=words))
    findings = run_checks(
        "标题", "<p>正文含禁词04321和禁词49999。</p>", ArticleMetadata(), compiled
    ).findings
    assert sorted(f.text for f in findings if f.rule == "P07") == ["禁词04321", "禁词49999"]


def test_leaders_of_the_same_name_are_told_apart_by_their_titles() -> None:
    from workflows.checks.dictionaries import Dictionaries, Leader, LeaderTitle
    from workflows.checks.matcher import CompiledDictionaries

    compiled = CompiledDictionaries(
        Dictionaries(
            leaders=(
                Leader(name="王伟", rank=1, titles=(LeaderTitle(title="省长"),)),
                Leader(name="王伟", rank=5, titles=(LeaderTitle(title="市长"),)),
                Leader(name="李强国", rank=3, titles=(LeaderTitle(title="副省长"),)),
            )
        )
    )

    def p02(body: str) -> list[str]:
        report = run_checks("标题", body, ArticleMetadata(), compiled)
        return [f.text for f in report.findings if f.rule == "P02"]

    assert p02("<p>市长王伟、省长王伟出席。</p>") == []
    assert p02("<p>县长王伟出席。</p>") == []  # a title nobody holds is not in the dictionary
    assert p02("<p>副省长王伟出席。</p>") == ["副省长"]
    assert p02("<p>王伟、李强国出席。</p>") == []
