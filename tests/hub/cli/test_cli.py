"""The `hub` command line end to end, each command a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Hub


def test_whole_review_story_and_history(cli: Hub) -> None:
    article = cli.create()
    assert cli.ok("article", "submit", article, "--as", "zhangwei")["waiting_for"] == "first"
    queue = cli.ok("review", "queue", "--as", "liting")
    assert [item["id"] for item in queue] == [article]
    listed = cli.run("review", "queue", "--as", "liting").stdout
    assert "初审" in listed and "·示范省人民政府门户网站" in listed and "9900000001" not in listed
    assert cli.ok("review", "queue", "--as", "wangqiang") == []
    assert cli.ok("review", "queue", "--as", "wujun") == []  # first reviewer of another site
    assert cli.ok("review", "queue", "--as", "zhangwei") == []  # the author
    cli.ok("review", "approve", article, "--gates", "wording,secrecy", "--as", "liting")
    returned = cli.ok("review", "return", article, "--reason", "截止时间有误", "--as", "wangqiang")
    assert returned["status"] == "returned"
    cli.body.write_text("<p>各有关单位：截止时间改为12月20日。</p>", encoding="utf-8")
    edited = cli.ok("article", "edit", article, "--body-file", str(cli.body), "--as", "zhangwei")
    assert edited["revision"] == 2
    cli.ok("article", "submit", article, "--as", "zhangwei")
    cli.ok("review", "approve", article, "--gates", "wording,secrecy", "--as", "liting")
    cli.ok("review", "approve", article, "--gates", "legal,policy,wording", "--as", "wangqiang")
    final = cli.ok(
        "review",
        "approve",
        article,
        "--gates",
        "political,policy,public_opinion",
        "--as",
        "chenjing",
    )
    assert final["status"] == "approved"

    shown = cli.ok("article", "show", article)
    assert shown["status"] == "approved" and shown["revision"] == 2
    assert shown["approved_hash"] == shown["content_hash"]
    assert [a["user"] for a in shown["approvals"]] == ["liting", "wangqiang", "chenjing"]
    assert [a["stage_name"] for a in shown["approvals"]] == ["初审", "复审", "终审"]
    assert shown["last_return"]["stage_name"] == "复审"
    human = cli.run("article", "show", article)
    # People read names (the code in a detail bracket), gates by their labels.
    assert "审核    终审：陈静（chenjing） 第 2 版  把关 政治关、政策关、舆情关" in human.stdout
    assert "栏目 通知公告（notices）" in human.stdout and "作者    张伟（zhangwei）" in human.stdout

    history = cli.ok("article", "history", article)
    assert [e["type"] for e in history] == [
        "ArticleCreated",
        "ArticleChecked",
        "ArticleSubmitted",
        "StageApproved",
        "ArticleReturned",
        "ArticleRevised",
        "ArticleChecked",
        "ArticleSubmitted",
        "StageApproved",
        "StageApproved",
        "StageApproved",
        "ArticleApproved",
    ]
    assert [e["stream_version"] for e in history] == list(range(1, 13))
    assert history[1]["payload"]["blocked"] is False
    assert history[4]["actor"] == {"user_id": "wangqiang", "role": "second_reviewer"}
    assert history[4]["payload"]["reasons"] == ["截止时间有误"]
    text = cli.run("article", "history", article[-12:])
    assert text.returncode == 0 and "王强（复审）  复审退回第 1 版：截止时间有误" in text.stdout

    listed = cli.ok("article", "list", "--site", "gov", "--status", "approved")
    assert [item["id"] for item in listed] == [article]


def test_major_item_waits_for_leader(cli: Hub) -> None:
    article = cli.create("zhangwei", "--major")
    cli.ok("article", "submit", article, "--as", "zhangwei")
    cli.ok("review", "approve", article, "--gates", "wording,secrecy", "--as", "liting")
    cli.ok("review", "approve", article, "--gates", "legal,policy,wording", "--as", "wangqiang")
    done = cli.ok(
        "review",
        "approve",
        article,
        "--gates",
        "political,policy,public_opinion",
        "--as",
        "chenjing",
    )
    assert done["status"] == "awaiting_signoff"
    assert [i["id"] for i in cli.ok("review", "queue", "--as", "zhaolei")] == [article]
    assert cli.ok("review", "signoff", article, "--as", "zhaolei")["status"] == "approved"


def test_bad_input_gives_one_clear_error(cli: Hub) -> None:
    assert (
        cli.fails(
            "article",
            "create",
            "--site",
            "mars",
            "--column",
            "notices",
            "--title",
            "t",
            "--body-file",
            str(cli.body),
            "--as",
            "zhangwei",
        )["code"]
        == "SITE_UNKNOWN"
    )
    assert (
        cli.fails(
            "article",
            "create",
            "--site",
            "gov",
            "--column",
            "nope",
            "--title",
            "t",
            "--body-file",
            str(cli.body),
            "--as",
            "zhangwei",
        )["code"]
        == "COLUMN_UNKNOWN"
    )
    assert (
        cli.fails(
            "article",
            "create",
            "--site",
            "gov",
            "--column",
            "notices",
            "--title",
            "t",
            "--body-file",
            "/nonexistent.html",
            "--as",
            "zhangwei",
        )["code"]
        == "FILE_UNREADABLE"
    )
    assert (
        cli.fails(
            "article",
            "create",
            "--site",
            "gov",
            "--column",
            "notices",
            "--title",
            " ",
            "--body-file",
            str(cli.body),
            "--as",
            "zhangwei",
        )["code"]
        == "INVALID_INPUT"
    )
    assert (
        cli.fails(
            "article",
            "create",
            "--site",
            "gov",
            "--column",
            "notices",
            "--title",
            "t",
            "--body-file",
            str(cli.body),
            "--as",
            "nobody",
        )["code"]
        == "USER_UNKNOWN"
    )
    article = cli.create()
    cli.ok("article", "submit", article, "--as", "zhangwei")
    missing = cli.fails("review", "approve", article, "--gates", "wording", "--as", "liting")
    assert missing["code"] == "GATES_MISSING" and "保密关" in missing["message"]
    assert (
        cli.fails("review", "approve", article, "--gates", "wording,secrecy", "--as", "wangqiang")[
            "code"
        ]
        == "STAGE_ROLE_REQUIRED"
    )
    assert (
        cli.fails("review", "approve", article, "--gates", "wording,secrecy", "--as", "zhouminn")[
            "code"
        ]
        == "USER_UNKNOWN"
    )
    assert (
        cli.fails("review", "return", article, "--reason", " ", "--as", "liting")["code"]
        == "REASON_REQUIRED"
    )
    assert cli.fails("article", "show", "0000")["code"] == "ARTICLE_NOT_FOUND"
    usage = cli.fails("review", "approve", article, "--as", "liting")
    assert usage["code"] == "USAGE" and "--gates" in usage["message"]


def test_errors_without_json_are_one_line_on_stderr(cli: Hub) -> None:
    done = cli.run("article", "submit", "ffffffffffff", "--as", "zhangwei")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith("错误 ARTICLE_NOT_FOUND")
    usage = cli.run("review", "approve")
    assert usage.returncode == 2 and usage.stderr.strip().count("\n") == 0


def test_bad_configuration_is_one_clear_error(cli: Hub) -> None:
    (cli.config_dir / "sites.yaml").write_text("sites: []\n", encoding="utf-8")
    error = cli.fails("article", "list")
    assert error["code"] == "CONFIG_INVALID" and "sites.yaml" in error["message"]


def test_a_database_the_hub_cannot_use_is_one_clear_error(cli: Hub) -> None:
    cli.env["HUB_DATABASE"] = "mysql://root@db/hub"
    assert cli.fails("init")["code"] == "CONFIG_INVALID"
    # A PostgreSQL server that does not answer: said plainly, without the password.
    cli.env["HUB_DATABASE"] = "postgresql://hub:s3cret-pw@127.0.0.1:1/hub"
    error = cli.fails("init")
    assert error["code"] == "STORE_ERROR" and "PostgreSQL" in error["message"]
    assert "s3cret-pw" not in json.dumps(error)


def test_rebuild_reproduces_the_read_models(cli: Hub) -> None:
    first = cli.create()
    second = cli.create()
    cli.ok("article", "submit", first, "--as", "zhangwei")
    cli.ok("review", "approve", first, "--gates", "wording,secrecy", "--as", "liting")
    cli.ok("article", "archive", second, "--as", "zhangwei", "--reason", "重复")
    before = (cli.ok("article", "list"), cli.ok("review", "queue", "--as", "wangqiang"))
    result = cli.ok("rebuild")
    # Nine projections fold the six article events (articles, history, 索引号, publications,
    # published items, delivery sources, media references, full text, references); the
    # deliveries and reuse projections read none of them, none reads the dictionaries event.
    assert result["applied"] == 9 * 6
    after = (cli.ok("article", "list"), cli.ok("review", "queue", "--as", "wangqiang"))
    assert after == before
    tail = cli.run("events", "tail", "-n", "3", "--json")
    lines = [json.loads(line) for line in tail.stdout.splitlines()]
    assert [e["global_position"] for e in lines] == [5, 6, 7]
    assert lines[-1]["type"] == "ArticleArchived"


def test_demo_runs_and_help_needs_no_database(cli: Hub, tmp_path: Path) -> None:
    help_text = cli.run("--help")
    assert help_text.returncode == 0 and "article" in help_text.stdout
    assert not (tmp_path / "hub.sqlite3").exists()
    demo = cli.run("demo")
    assert demo.returncode == 0, demo.stderr
    assert "AUTHOR_CANNOT_REVIEW" in demo.stdout and "已签批" in demo.stdout


def test_the_cli_refuses_control_and_direction_characters(cli: Hub) -> None:
    for title in ("关于\u202e通知", "关于\x00通知", "关于\u2066通知"):
        error = cli.fails("article", "create", "--site", "gov", "--column", "notices",
                          "--title", title.replace("\x00", "\x01"), "--body-file", str(cli.body),
                          "--as", "zhangwei")  # fmt: skip
        assert error["code"] == "INVALID_INPUT" and "title" in error["message"], error
    error = cli.fails("article", "create", "--site", "gov", "--column", "notices", "--title",
                      "关于通知", "--author", "张\u202e伟", "--body-file", str(cli.body),
                      "--as", "zhangwei")  # fmt: skip
    assert error["code"] == "INVALID_INPUT" and "author" in error["message"], error


def test_every_command_honours_the_config_option(config_dir: Path, tmp_path: Path) -> None:
    """`hub --config DIR demo` (no HUB_CONFIG): the demo's steps act on DIR's store."""
    env = {k: v for k, v in os.environ.items() if k != "HUB_CONFIG"}
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()  # not the project folder: ./config cannot be found by accident

    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hub", "--config", str(config_dir), *args],
                              cwd=elsewhere, env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    demo = hub("demo")
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "hub.sqlite3").exists()
    listed = hub("article", "list", "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 2


@pytest.mark.slow  # a broker that does not answer is given 8 seconds
def test_the_distributed_commands_refuse_what_they_cannot_use(cli: Hub) -> None:
    """Bad input at the distributed runtime's commands: one clear line each, no traceback."""
    # runtime: distributed without its servers (the config names all that is missing)
    cli.env["HUB_RUNTIME"] = "distributed"
    error = cli.fails("init")
    assert error["code"] == "CONFIG_INVALID"
    assert all(part in error["message"] for part in ("postgresql", "kafka_servers", "redis_url"))
    cli.env["HUB_RUNTIME"] = "cluster"
    assert cli.fails("init")["code"] == "CONFIG_INVALID"
    del cli.env["HUB_RUNTIME"]
    # the relay and the workers without Kafka; a delivery worker without Redis
    assert "kafka_servers" in cli.fails("relay", "--once")["message"]
    assert cli.fails("worker")["code"] == "CONFIG_INVALID"
    cli.env["HUB_KAFKA_SERVERS"] = "127.0.0.1:1"
    error = cli.fails("worker", "--role", "delivery")
    assert error["code"] == "CONFIG_INVALID" and "redis_url" in error["message"]
    assert cli.fails("worker", "--role", "everything")["code"] == "USAGE"
    # a broker nobody answers at
    error = cli.fails("relay", "--once")
    assert error["code"] == "BUS_UNAVAILABLE" and "127.0.0.1:1" in error["message"]
    # status of a hub that runs embedded, with no servers: said, not crashed
    del cli.env["HUB_KAFKA_SERVERS"]
    status = cli.ok("status")
    assert status["runtime"] == "embedded" and status["store"]["ok"] is True
