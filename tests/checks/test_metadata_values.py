"""P25: 发文机关 from the agency list, 主题分类 from the taxonomy, 成文日期 neither in the
future nor after publication — with the closest listed value as the suggested fix."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hub.setup.config import load_config
from tests.checks.corpus_score import CONFIG
from workflows.checks.document import CheckContext
from workflows.checks.engine import run_checks
from workflows.checks.findings import Finding, Severity
from workflows.content import ArticleMetadata

COMPILED = load_config(CONFIG).checks
TODAY = date(2026, 11, 22)


def p25(publish_time: datetime | None = None, **meta: object) -> list[Finding]:
    context = CheckContext(as_of=TODAY, publish_time=publish_time,
                           phase="publish" if publish_time else "check")  # fmt: skip
    report = run_checks(
        "关于印发工作方案的通知",
        "<p>现印发给你们，请认真贯彻执行。</p>",
        ArticleMetadata(**meta),
        COMPILED,
        context,
    )  # type: ignore[arg-type]
    return [f for f in report.findings if f.rule == "P25"]


def test_listed_values_and_sensible_dates_pass() -> None:
    assert p25(issuing_agency="示范省人民政府办公厅", subject_category="综合政务",
               written_date=date(2026, 11, 20),
               publish_time=datetime(2026, 11, 21, 9, tzinfo=UTC)) == []  # fmt: skip
    assert p25() == []  # nothing given: nothing to judge


def test_an_unlisted_agency_needs_a_reviewer_and_gets_the_closest_name() -> None:
    (finding,) = p25(issuing_agency="示范省人民政府办公室")
    assert finding.severity is Severity.REVIEW and finding.field == "metadata.issuing_agency"
    assert finding.fix == "示范省人民政府办公厅"


def test_a_category_outside_the_taxonomy_blocks_with_a_suggestion() -> None:
    (finding,) = p25(subject_category="安全生产监管")
    assert finding.severity is Severity.BLOCK and finding.fix == "市场监管、安全生产监管"
    (far,) = p25(subject_category="天气")
    assert far.fix is None  # nothing close: no guess


def test_a_written_date_in_the_future_or_after_publication_blocks() -> None:
    (future,) = p25(written_date=date(2026, 11, 23))
    assert future.severity is Severity.BLOCK and "晚于今天" in future.message
    (late,) = p25(
        written_date=date(2026, 11, 21), publish_time=datetime(2026, 11, 20, 9, tzinfo=UTC)
    )
    assert "晚于发布日期" in late.message
