"""The operator's delivery commands: the ledger by article, account and state; retry; cancel."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Hub
from tests.helpers import cli_approved as approved


def test_ledger_retry_and_cancel(cli: Hub, tmp_path: Path) -> None:
    # The app's JPush endpoint is a real one whose master secret was never configured.
    cli.env["HUB_JPUSH_URL"] = "https://api.jpush.cn"
    cli.env.pop("HUB_SECRET_JPUSH_SF_APP", None)
    article = approved(cli, "<p>各有关单位：现将有关事项通知如下。</p>")
    # the column, and the app and screen it feeds, with a push to the app's users
    published = cli.ok("publish", article, "--push", "--wait", "--as", "zhangwei")
    assert published["deliveries"] == {"statuses": {"delivered": 2, "dead": 1}, "unsettled": 0}
    ledger = {d["target"]: d for d in cli.ok("deliveries", "--article", article)}
    assert ledger["website:9900000001/notices"]["status"] == "delivered"
    assert ledger["website:9900000001/notices"]["url"].endswith(f"/notices/{article}.html")
    page = tmp_path / "var" / "sites" / "gov" / "notices" / f"{article}.html"
    assert page.exists() and "SiteIDCode" in page.read_text("utf-8")
    app = ledger["app:sf-app"]
    assert app["status"] == "dead" and "HUB_SECRET_JPUSH_SF_APP" in app["last_error"]
    assert ledger["screen:sf-hall"]["status"] == "delivered"
    assert [d["target"] for d in cli.ok("deliveries", "--state", "dead")] == ["app:sf-app"]
    assert [d["target"] for d in cli.ok("deliveries", "--account", "sf-app")] == ["app:sf-app"]

    retried = cli.ok("delivery", "retry", app["id"][:10], "--as", "qianli")
    assert retried["status"] == "pending" and retried["attempts"] == 0  # queued, not sent
    assert cli.ok("deliver")["outcomes"] == {"dead": 1}  # the worker's round tries it
    (again,) = cli.ok("deliveries", "--state", "dead")
    assert again["id"] == app["id"] and again["attempts"] == 1
    cancelled = cli.ok("delivery", "cancel", app["id"], "--reason", "客户端停用", "--as", "qianli")
    assert cancelled["status"] == "cancelled"
    website = ledger["website:9900000001/notices"]["id"]
    refused = cli.fails("delivery", "cancel", website, "--reason", "x", "--as", "qianli")
    assert refused["code"] == "DELIVERY_NOT_CANCELLABLE"
    assert cli.fails("delivery", "retry", website, "--as", "qianli")["code"] == (
        "DELIVERY_NOT_RETRIABLE"
    )
    assert cli.fails("delivery", "retry", website, "--as", "zhangwei")["code"] == (
        "SITE_ROLE_REQUIRED"
    )
    assert cli.fails("delivery", "retry", "ffffffffff", "--as", "qianli")["code"] == (
        "DELIVERY_NOT_FOUND"
    )
    assert cli.fails("deliveries", "--state", "lost")["code"] == "INVALID_INPUT"
    assert cli.fails("delivery", "cancel", website, "--as", "qianli")["code"] == "USAGE"
    assert cli.ok("deliver") == {
        "planned": 0,
        "attempted": 0,
        "outcomes": {},
        "skipped": 0,
        "timers": {"released": [], "expired": [], "failed": []},
        "unsettled": 0,
    }
    human = cli.run("deliveries", "--article", article)
    assert human.returncode == 0 and "已送达" in human.stdout and "已取消" in human.stdout
    # Targets and articles by name, not by code.
    assert "示范省人民政府门户网站·通知公告" in human.stdout and "website:" not in human.stdout
    assert "《关于" in human.stdout
