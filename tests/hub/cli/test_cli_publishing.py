"""Publishing from the command line: targets and fan-out, 先审后发 with checks at publication,
additions, corrections, retraction, schedules and their timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.runtime.embedded import EmbeddedHub
from tests.helpers import STAGES, Hub
from tests.helpers import cli_approved as approved
from tests.servers import both_databases  # noqa: F401  (these tests run on both databases)


def test_publish_add_correct_and_retract(cli: Hub) -> None:
    article = approved(cli, "<p>各有关单位：现将有关事项通知如下。</p>")
    published = cli.ok("publish", article, "--as", "zhangwei")
    assert published["status"] == "published"
    assert published["live"]["targets"] == [
        "website:9900000001/notices",
        "app:sf-app",
        "screen:sf-hall",
    ]  # the column and the accounts it feeds
    assert [e["type"] for e in published["events"]] == ["ArticleChecked", "ArticlePublished"]

    added = cli.ok("publish", article, "--to", "wechat:sf-wechat", "--to", "city/news", "--as",
                   "qianli")  # fmt: skip
    assert added["live"]["targets"][-3:] == [
        "wechat:sf-wechat",
        "website:9901000001/news",
        "app:city-app",
    ]
    again = cli.fails("publish", article, "--to", "sf-wechat", "--as", "zhangwei")
    assert again["code"] == "NOTHING_TO_PUBLISH"

    cli.body.write_text("<p>各有关单位：截止时间更正为12月20日。</p>", encoding="utf-8")
    corrected = cli.ok("correct", article, "--body-file", str(cli.body), "--as", "zhangwei")
    assert corrected["status"] == "in_review" and corrected["live"]["revision"] == 1
    for user, gates in STAGES[:-1]:
        cli.ok("review", "approve", article, "--gates", ",".join(gates), "--as", user)
    user, gates = STAGES[-1]
    final = cli.ok("review", "approve", article, "--gates", ",".join(gates), "--wait", "--wait-timeout",
                   "2", "--as", user)  # fmt: skip
    # The approval appends and returns; with --wait the command also runs the worker's
    # rounds: the correction policy publishes it and the engine delivers it (the WeChat
    # account has no platform here: it is still being retried when the wait ends).
    assert final["live"]["revision"] == 1
    assert final["deliveries"]["statuses"]["delivered"] >= 3
    assert final["deliveries"]["unsettled"] >= 1
    shown = cli.ok("article", "show", article)
    assert shown["status"] == "published" and shown["live"]["revision"] == 2
    assert shown["live"]["targets"] == added["live"]["targets"]  # everywhere it went
    history = [e["type"] for e in cli.ok("article", "history", article)]
    assert history.count("ArticlePublished") == 3

    retracted = cli.ok("retract", article, "--reason", "政策调整", "--as", "qianli")
    assert retracted["status"] == "retracted" and retracted["live"] is None
    assert cli.fails("retract", article, "--reason", "x", "--as", "qianli")["code"] == (
        "NOT_PUBLISHED"
    )
    human = cli.run("article", "show", article)
    assert human.returncode == 0 and "已撤稿" in human.stdout


def test_a_block_found_at_publication_stops_it(cli: Hub) -> None:
    article = approved(cli, "<p>本周举办云端展销会，欢迎参加。</p>")
    words = cli.config_dir / "checks" / "words.yaml"
    words.write_text(
        words.read_text(encoding="utf-8").replace(
            "sensitive_words:\n", "sensitive_words:\n  - {word: 云端展销会, category: 测试}\n"
        ),
        encoding="utf-8",
    )
    blocked = cli.fails("publish", article, "--as", "zhangwei")
    assert blocked["code"] == "CHECKS_BLOCKED" and "发布" in blocked["message"]
    (finding,) = blocked["details"]["findings"]
    assert finding["rule"] == "P07" and finding["text"] == "云端展销会"
    assert cli.ok("article", "show", article)["status"] == "approved"
    checks = [e["payload"] for e in cli.ok("article", "history", article)]
    assert checks[-1]["phase"] == "publish" and checks[-1]["blocked"] is True


def test_publishing_bad_input(cli: Hub) -> None:
    draft = cli.create()
    assert cli.fails("publish", draft, "--as", "zhangwei")["code"] == "INVALID_STATE"
    article = approved(cli, "<p>各有关单位：现将有关事项通知如下。</p>")
    assert cli.fails("publish", article, "--as", "liting")["code"] == "SITE_ROLE_REQUIRED"
    assert cli.fails("publish", article, "--to", "nobody", "--as", "zhangwei")["code"] == (
        "ACCOUNT_UNKNOWN"
    )
    assert cli.fails("publish", article, "--to", "gov/nowhere", "--as", "zhangwei")["code"] == (
        "COLUMN_UNKNOWN"
    )
    assert cli.fails("publish", article, "--to", "weibo:sf-app", "--as", "zhangwei")["code"] == (
        "TARGET_CHANNEL_MISMATCH"
    )
    assert cli.fails("publish", article, "--at", "tomorrow", "--as", "zhangwei")["code"] == "USAGE"
    early = cli.fails(
        "publish", article, "--at", "2099-01-02 08:00", "--expire", "2099-01-01 08:00",
        "--as", "zhangwei",
    )  # fmt: skip
    assert early["code"] == "EXPIRY_BEFORE_PUBLICATION"
    assert cli.fails("schedule", article, "--as", "zhangwei")["code"] == "USAGE"
    assert cli.fails("correct", article, "--title", "新", "--as", "zhangwei")["code"] == (
        "NOT_PUBLISHED"
    )
    assert cli.fails("retract", article, "--as", "zhangwei")["code"] == "USAGE"


def test_schedules_are_released_and_expiries_taken_down_by_the_timers(cli: Hub) -> None:
    # A news column: a 公开目录 column's 索引号 carries the publication year (P17).
    first = approved(cli, "<p>各有关单位：现将有关事项通知如下。</p>", "news-gov")
    second = approved(cli, "<p>各有关单位：另行通知。</p>", "news-gov")
    scheduled = cli.ok("schedule", first, "--at", "2099-01-01 08:00", "--as", "zhangwei")
    assert scheduled["status"] == "scheduled"
    assert scheduled["scheduled"]["publish_at"] == "2099-01-01T08:00:00+08:00"
    moved = cli.ok("schedule", first, "--at", "2099-01-02 08:00", "--expire", "2099-02-01 08:00",
                   "--as", "zhangwei")  # fmt: skip
    assert moved["scheduled"]["expire_at"] == "2099-02-01T08:00:00+08:00"
    cli.ok("publish", second, "--expire", "2099-01-10 08:00", "--as", "zhangwei")
    assert cli.ok("timers") == {
        "released": [],
        "expired": [],
        "failed": [],
        "next": "2099-01-02T00:00:00+00:00",
    }
    hub = EmbeddedHub.open(cli.config_dir)
    try:
        hub.catch_up()
        day = datetime(2099, 1, 2, 1, 0, tzinfo=UTC)
        assert hub.publishing.run_due(day) == {"released": [first], "expired": [], "failed": []}
        assert hub.publishing.run_due(day) == {"released": [], "expired": [], "failed": []}
        later = day + timedelta(days=10)
        assert hub.publishing.run_due(later)["expired"] == [second]
        state, _ = hub.articles.state(second)
        assert state.status.value == "retracted"
        assert hub.publishing.run_due(later + timedelta(days=30))["expired"] == [first]
    finally:
        hub.close()


def test_other_sites_accept_nothing_from_an_editor_and_withdraw_what_they_carry(
    cli: Hub,
) -> None:
    article = approved(cli, "<p>各有关单位：现将有关事项通知如下。</p>")
    refused = cli.fails("publish", article, "--to", "gov/notices", "--to", "city/news",
                        "--as", "zhangwei")  # fmt: skip
    assert refused["code"] == "SITE_ROLE_REQUIRED" and "9901000001" in refused["message"]
    assert cli.fails("publish", article, "--to", "app:city-app", "--as", "zhangwei")["code"] == (
        "SITE_ROLE_REQUIRED"
    )
    cli.ok("publish", article, "--to", "gov/notices", "--to", "city/news", "--as", "qianli")
    # The city's editor takes it off the city's site (and the city app its column feeds).
    taken = cli.ok("retract", article, "--reason", "与本市无关", "--as", "linfang")
    assert taken["status"] == "published"
    assert taken["live"]["targets"] == ["website:9900000001/notices", "app:sf-app",
                                        "screen:sf-hall"]  # fmt: skip
    again = cli.fails("retract", article, "--reason", "x", "--as", "linfang")
    assert again["code"] in ("NOT_PUBLISHED", "SITE_ROLE_REQUIRED")
    human = cli.run("article", "history", article)
    assert "示范市人民政府门户网站撤下第 1 版（示范市人民政府门户网站·要闻动态" in human.stdout
