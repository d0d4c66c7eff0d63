"""`hub library` from the command line: a reference, an offer adopted, a submission returned
with its reason, the lists both ways, the repost speed; bad input refused with codes."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from tests.helpers import Hub, cli_approve, cli_approved


def test_references_offers_and_submissions(cli: Hub) -> None:
    article = cli_approved(cli, "<p>各有关单位：请做好冬季供暖保障工作。</p>")
    cli.ok("publish", article, "--to", "gov/notices", "--no-feeds", "--as", "qianli")
    reused = cli.ok("library", "reuse", article, "--to", "drc/notices", "--no-feeds", "--wait",
                    "--as", "zhoumin")  # fmt: skip
    assert [e["type"] for e in reused["events"]] == ["ArticleReused", "ArticlePublished"]
    assert (
        cli.fails("library", "reuse", article, "--to", "drc/notices", "--as", "zhoumin")["code"]
        == "ALREADY_REUSED"
    )
    assert (
        cli.fails("library", "reuse", article, "--to", "gov/news-gov", "--as", "zhoumin")["code"]
        == "SITE_ROLE_REQUIRED"
    )
    speed = cli.ok("library", "speed", article)
    assert (speed["reposted"], speed["of"]) == (1, 3)
    assert "已转载 1/3 个站点" in cli.run("library", "speed", article).stdout
    # gov offers it to the city; the city returns it, with a reason the sender sees.
    flow = cli.ok(
        "library", "offer", article, "--to", "city", "--note", "请转载", "--as", "zhangwei"
    )
    assert (flow["kind"], flow["status"], flow["to_site_name"]) == (
        "offer",
        "offered",
        "示范市人民政府门户网站",
    )
    assert (
        cli.fails(
            "library", "decline", flow["reuse_id"], "--reason", "不适合本站", "--as", "zhangwei"
        )["code"]
        == "SITE_ROLE_REQUIRED"
    )
    returned = cli.ok(
        "library", "decline", flow["reuse_id"][-12:], "--reason", "不适合本站", "--as", "linfang"
    )
    assert (returned["status"], returned["reason"]) == ("declined", "不适合本站")
    sent = cli.ok("library", "list", "--outgoing", "--as", "zhangwei")
    assert [(r["kind"], r["status"]) for r in sent] == [
        ("offer", "declined"),
        ("reference", "accepted"),
    ]
    text = cli.run("library", "list", "--outgoing", "--as", "zhangwei").stdout
    assert "已退回" in text and "退回理由：不适合本站" in text
    # The city submits its own item upward; gov adopts it into its review.
    cli.body.write_text("<p>我市开展冬季安全生产检查。</p>", encoding="utf-8")
    city_item = cli.ok("article", "create", "--site", "city", "--column", "news", "--title",
                       "示范市开展冬季安全生产检查", "--body-file", str(cli.body), "--as", "linfang")["id"]  # fmt: skip
    cli.ok("article", "submit", city_item, "--as", "linfang")
    for user, gates in (("huangbo", "wording,secrecy"), ("yangfan", "legal,policy,wording"),
                        ("zhengkai", "political,policy,public_opinion")):  # fmt: skip
        cli.ok("review", "approve", city_item, "--gates", gates, "--as", user)
    assert (
        cli.fails("library", "offer", city_item, "--to", "drc", "--as", "zhoumin")["code"]
        == "SITE_ROLE_REQUIRED"
    )
    submitted = cli.ok("library", "submit", city_item, "--note", "请采用", "--as", "linfang")
    incoming = cli.ok("library", "list", "--status", "offered", "--as", "zhangwei")
    assert [r["reuse_id"] for r in incoming] == [submitted["reuse_id"]]
    adopted = cli.ok(
        "library", "accept", submitted["reuse_id"], "--column", "news-local", "--as", "zhangwei"
    )
    copy = adopted["copy_article"]
    shown = cli.ok("article", "show", copy)
    assert (
        shown["status"] == "in_review" and shown["metadata"]["source"] == "示范市人民政府门户网站"
    )
    cli_approve(cli, copy)
    assert (
        cli.fails("library", "accept", "no-such-flow", "--column", "news", "--as", "zhangwei")[
            "code"
        ]
        == "REUSE_NOT_FOUND"
    )
    assert cli.run("library", "offer", article, "--as", "zhangwei").returncode == 2  # --to missing


def test_the_library_exports_for_archiving(cli: Hub, tmp_path: Path) -> None:
    article = cli_approved(cli, "<p>各有关单位：请做好档案归档工作。</p>")
    cli.ok("publish", article, "--to", "gov/notices", "--no-feeds", "--wait", "--as", "qianli")
    cli.ok(
        "library",
        "reuse",
        article,
        "--to",
        "drc/notices",
        "--no-feeds",
        "--wait",
        "--as",
        "zhoumin",
    )
    done = cli.ok("library", "export", str(tmp_path / "archive.zip"))
    assert done["records"] == 2
    with zipfile.ZipFile(tmp_path / "archive.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
        record = json.loads(archive.read(f"items/drc/notices/{article}.json"))
        page = archive.read(f"items/gov/notices/{article}.html").decode()
    assert (record["SiteIDCode"], record["ColumnName"], record["ArticleTitle"]) == (
        "9900000012", "通知公告", "关于开展自查工作的通知")  # fmt: skip
    assert record["Url"] == f"https://fgw.sf.gov.cn/notices/{article}.html"
    assert [a["stage"] for a in record["provenance"]["approvals"]] == ["初审", "复审", "终审"]
    assert record["provenance"]["revision"] == 1
    assert '<meta name="ArticleTitle" content="关于开展自查工作的通知">' in page
    only = cli.ok("library", "export", str(tmp_path / "drc.zip"), "--site", "drc")
    assert only["records"] == 1
    assert (
        cli.fails("library", "export", str(tmp_path / "no" / "x.zip"))["code"] == "FILE_UNREADABLE"
    )


def test_a_site_archive_migrates_from_the_command_line(cli: Hub, tmp_path: Path) -> None:
    from sandboxes.old_site import write_old_site

    old = write_old_site(tmp_path / "mirror", 12)
    base = ("library", "migrate", str(old.root), "--site", "gov", "--from", "http://www.old.gov.cn/",
            "--map", "政务要闻=news-gov", "--map", "政策文件=policy-gov")  # fmt: skip
    # Without a column for 互动交流 one page cannot be placed: listed, exit status 1.
    text = cli.run(*base, "--system", "旧版网站群", "--limit", "5", "--as", "qianli")
    assert text.returncode == 1 and "互动交流" in text.stdout and "迁移页面" in text.stderr
    assert "迁入 4 篇" in text.stdout
    # Run again with a column for what has none: it goes on where it was, nothing twice.
    done = cli.ok(*base, "--column", "notices", "--as", "qianli")
    assert done["already"] == 4 and done["failed"] == 0
    assert done["imported"] + done["already"] == len(old.articles) + 1  # 互动交流's page too
    # Attacks and mistakes: an editor, no address, a path outside, a bad --map, unknown site.
    assert cli.fails(*base, "--as", "zhangwei")["code"] == "SITE_ROLE_REQUIRED"
    assert cli.fails("library", "migrate", str(old.root), "--site", "gov", "--from",
                     "file:///etc/passwd", "--as", "qianli")["code"] == "SOURCE_REQUIRED"  # fmt: skip
    assert cli.fails("library", "migrate", "/nonexistent", "--site", "gov", "--from",
                     "http://www.old.gov.cn/", "--as", "qianli")["code"] == "ARCHIVE_INVALID"  # fmt: skip
    assert cli.fails(*base, "--map", "通知公告", "--as", "qianli")["code"] == "USAGE"
    assert cli.fails("library", "migrate", str(old.root), "--site", "nope", "--from",
                     "http://www.old.gov.cn/", "--as", "qianli")["code"] == "SITE_UNKNOWN"  # fmt: skip
