"""`hub search` from the command line: what is live is found with its page, filters narrow
it, bad input is refused with a code, and `--rebuild` makes the index again from the log."""

from __future__ import annotations

import shutil

from tests.helpers import Hub, cli_approved


def test_search_filters_and_rebuild(cli: Hub) -> None:
    article = cli_approved(cli, "<p>各有关单位：请做好住房公积金缴存基数调整工作。</p>")
    cli.ok("publish", article, "--to", "gov/notices", "--to", "drc/notices", "--no-feeds",
           "--wait", "--as", "qianli")  # fmt: skip
    found = cli.ok("search", "公积金", "缴存")
    assert found["total"] == 2 and {h["site"] for h in found["hits"]} == {"gov", "drc"}
    assert "<mark>住房公积金</mark>" in found["hits"][0]["snippet_html"]
    assert {f["value"] for f in found["facets"]["site"]} == {"gov", "drc"}
    only = cli.ok("search", "公积金", "--site", "drc")
    assert [h["url"] for h in only["hits"]] == [f"/sites/drc/notices/{article}.html"]
    assert cli.ok("search", "公积金", "--vertical", "policy")["total"] == 0
    text = cli.run("search", "公积金")
    assert (
        text.returncode == 0
        and "共 2 条" in text.stdout
        and "关于开展自查工作的通知" in text.stdout
    )
    assert cli.fails("search", "公积金", "--site", "nowhere")["code"] == "SITE_UNKNOWN"
    assert cli.run("search", "字" * 101).returncode == 2  # a usage error, said plainly
    assert cli.run("search", "x", "--vertical", "all").returncode == 2
    # The index is a projection: deleted, it comes back from the log, with the same answer.
    shutil.rmtree(cli.config_dir.parent / "var" / "search")
    rebuilt = cli.ok("search", "--rebuild")  # an administrator's (demo mode: the OS user)
    assert rebuilt["articles"] == 1 and rebuilt["documents"] == 2
    assert cli.ok("search", "公积金", "缴存") == found
