"""Dictionary changes are recorded, and `hub recheck` finds what they now make fail."""

from __future__ import annotations

from tests.helpers import Hub
from tests.helpers import cli_approved as approved


def test_dictionary_change_is_recorded_and_recheck_lists_what_now_fails(cli: Hub) -> None:
    stale = approved(cli, "<p>本周举办云端展销会，欢迎参加。</p>")
    clean = approved(cli, "<p>各有关单位：现将有关事项通知如下。</p>")
    first = cli.ok("dictionaries")
    assert len(first["history"]) == 1 and first["history"][0]["previous_version"] is None
    assert first["counts"]["sensitive_words"] == 16

    nothing = cli.ok("recheck", "--as", "admin")
    assert nothing["checked"] == 2 and nothing["failing"] == []
    assert nothing["dictionaries"]["previous_version"] is None

    words = cli.config_dir / "checks" / "words.yaml"
    words.write_text(
        words.read_text(encoding="utf-8").replace(
            "sensitive_words:\n", "sensitive_words:\n  - {word: 云端展销会, category: 测试}\n"
        ),
        encoding="utf-8",
    )
    result = cli.ok("recheck", "--as", "admin")
    assert result["checked"] == 2 and "敏感词增1" in result["dictionaries"]["summary"]
    assert [item["id"] for item in result["failing"]] == [stale]
    (finding,) = result["failing"][0]["findings"]
    assert finding["rule"] == "P07" and finding["text"] == "云端展销会" and finding["new"] is True

    history = cli.ok("dictionaries")["history"]
    assert len(history) == 2
    assert history[1]["added"] == {"sensitive_words": ["云端展销会"]}
    assert history[1]["previous_version"] == history[0]["version"]
    assert "敏感词增1" in history[1]["summary"]

    # Recorded on the article, once: a second run with the same dictionaries adds nothing.
    events = [e["payload"] for e in cli.ok("article", "history", stale)]
    rechecks = [e for e in events if e.get("phase") == "recheck"]
    assert len(rechecks) == 1 and rechecks[0]["blocked"] is True
    again = cli.ok("recheck", "--as", "admin")
    assert again["unchanged"] == 2 and [i["id"] for i in again["failing"]] == [stale]
    assert not again["failing"][0]["findings"][0]["new"]
    assert len(cli.ok("article", "history", stale)) == len(events)
    assert cli.ok("article", "show", clean)["status"] == "approved"

    human = cli.run("recheck", "--as", "admin")
    assert human.returncode == 0 and "1 篇现在不能通过" in human.stdout, human.stdout
    assert "云端展销会" in human.stdout
    listing = cli.run("dictionaries")
    assert listing.returncode == 0 and "敏感词增1" in listing.stdout


def test_recheck_bad_input(cli: Hub) -> None:
    approved(cli, "<p>各有关单位：现将有关事项通知如下。</p>")
    assert cli.fails("recheck", "--as", "zhangwei")["code"] == "SITE_ROLE_REQUIRED"
    assert cli.fails("recheck", "--as", "nobody")["code"] == "USER_UNKNOWN"
    assert cli.fails("recheck", "--as", "admin", "--site", "nowhere")["code"] == "SITE_UNKNOWN"
    assert cli.fails("recheck")["code"] == "LOGIN_REQUIRED"  # nobody named, nobody logged in
    assert cli.ok("recheck", "--as", "qianli", "--site", "gov")["checked"] == 1
