"""`hub channels render`: the app feed and the screen playlist come back from the log after
their store is lost — same entries, revisions, contents and order — numbered above every
change an app or screen could have seen, so one syncing from its old cursor misses nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from hub.runtime.embedded import EmbeddedHub
from tests.helpers import ROOT, STAGES, approved

pytestmark = pytest.mark.slow

APP, SCREEN = "sf-app", "sf-hall"


def feed_of(hub: EmbeddedHub) -> list[dict[str, Any]]:
    items, more = hub.app_feed.changes(APP, 0, 1000)
    assert not more
    return [asdict(i) for i in items]


def playlist_of(hub: EmbeddedHub) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    _, live = hub.playlists.playlist(SCREEN, "2000-01-01T00:00:00+00:00")
    changes = [{"kind": c.kind, **c.data} for c in hub.playlists.changes_after(SCREEN, 0)]
    return live, changes


def without(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in keys} for row in rows]


def render(config_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", "channels", "render", *args],
                          cwd=ROOT, env={**os.environ, "HUB_CONFIG": str(config_dir)},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_lost_feed_and_playlist_come_back_from_the_log(
    hub: EmbeddedHub, config_dir: Path, request: pytest.FixtureRequest
) -> None:
    articles = []
    for n in range(5):
        article = approved(hub, title=f"关于开展第{n + 1}批自查工作的通知")
        hub.publishing.publish("qianli", article, ["gov/notices"])  # the site's app and screen
        hub.work()
        articles.append(article)
    hub.publishing.correct("zhangwei", articles[1], title="关于开展第2批自查工作的通知（更正）")
    for user, gates in STAGES:
        hub.articles.approve(user, articles[1], gates)
    for _ in range(3):
        hub.work()
    hub.publishing.retract("qianli", articles[3], "有误")
    for _ in range(2):
        hub.work()
    feed = feed_of(hub)
    live, changes = playlist_of(hub)
    # What the channel showed: five articles, the corrected one at revision 2, one tombstone;
    # the change log has more numbers than entries (the correction, the retraction).
    assert len(feed) == 5 and feed[-1]["article_id"] == articles[3]
    assert feed[-1]["status"] == "retracted" and feed[-1]["body_html"] == ""
    assert {f["revision"] for f in feed if f["article_id"] == articles[1]} == {2}
    old_head = hub.app_feed.head(APP)
    old_version = hub.playlists.head(SCREEN)
    assert old_head > len(feed) and old_version > len(live)
    assert {i["id"] for i in live} == set(articles) - {articles[3]}
    # The stores are lost.
    hub.app_feed.close()
    hub.playlists.close()
    channels = hub.config.channels_root
    for name in ("app-feed.sqlite3", "screens.sqlite3"):
        for suffix in ("", "-wal", "-shm"):
            (channels / f"{name}{suffix}").unlink(missing_ok=True)
    done = render(config_dir, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == {
        "app": {APP: 5, "city-app": 0},
        "screen": {SCREEN: 5, "city-hall": 0},
    }
    hub = EmbeddedHub.open(config_dir)  # the hub started again on the rebuilt stores
    request.addfinalizer(hub.close)
    rebuilt = feed_of(hub)
    # Same entries in the same order, with the same content; numbered above the old head.
    assert without(rebuilt, "seq", "updated_at") == without(feed, "seq", "updated_at")
    assert [f["seq"] for f in rebuilt] == sorted(f["seq"] for f in rebuilt)
    assert min(f["seq"] for f in rebuilt) > old_head
    # An app that had synced everything before the loss gets the whole feed once more.
    assert len(hub.app_feed.changes(APP, old_head, 1000)[0]) == 5
    new_live, new_changes = playlist_of(hub)
    assert without(new_live, "version") == without(live, "version")
    assert min(c["version"] for c in new_changes) > old_version
    last: dict[str, str] = {}
    for change in changes:  # each article's last change, in the order those happened
        last.pop(change["id"], None)
        last[change["id"]] = change["kind"]
    assert [(c["id"], c["kind"]) for c in new_changes] == list(last.items())
    assert list(last.items())[-1] == (articles[3], "retract")
    # A later delivery lands after the rebuilt numbers, and a second render changes nothing
    # but the numbers (the store survived this time: it numbers above its own head).
    late = approved(hub, title="关于开展第6批自查工作的通知")
    hub.publishing.publish("qianli", late, ["gov/notices"])
    hub.work()
    assert feed_of(hub)[-1]["article_id"] == late
    assert feed_of(hub)[-1]["seq"] == hub.app_feed.head(APP) > rebuilt[-1]["seq"]
    head = hub.app_feed.head(APP)
    assert render(config_dir, APP, "--json").returncode == 0
    again = feed_of(hub)
    assert without(again, "seq", "updated_at") == without(feed_of(hub), "seq", "updated_at")
    assert min(f["seq"] for f in again) > head and len(again) == 6


def test_bad_render_requests_are_refused(hub: EmbeddedHub, config_dir: Path) -> None:
    for args, code in ((["nosuch"], "ACCOUNT_UNKNOWN"), (["sf-wechat"], "INVALID_INPUT"),
                       (["--channel", "screen", APP], "INVALID_INPUT")):  # fmt: skip
        done = render(config_dir, *args, "--json")
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert json.loads(done.stdout)["error"]["code"] == code
