"""End to end over real HTTP, on both databases: an approved article published to two sites, an
app (with a push through the JPush sandbox) and a large screen; the pages, the app feed, the
playlist and the SSE stream carry it; a correction replaces it everywhere; a retraction removes
it everywhere."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from hub.projections.deliveries import deliveries_of
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.server import BackgroundServer, seed_jpush
from hub.web.app import create_app
from sandboxes import sandbox_app
from sandboxes.jpush import JPushSandbox
from tests.helpers import STAGES, approved
from tests.servers import both_databases  # noqa: F401  (hub serve on both databases)

APP_KEY = "5f3a8c0e2b7d4e9a1c6f0b3d"  # sf-app in config/channels.yaml


@dataclass
class Running:
    hub: EmbeddedHub
    jpush: JPushSandbox
    web: str
    sandbox: str

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return requests.get(self.web + path, timeout=10, **kwargs)  # type: ignore[arg-type]

    def screen(self, path: str, **headers: str) -> requests.Response:
        token = self.hub.screen_token("sf-hall")
        headers = {"Authorization": f"Bearer {token}", **headers}
        return self.get(f"/screen/v1/screens/sf-hall{path}", headers=headers)


@pytest.fixture
def running(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    jpush = JPushSandbox()
    sandbox = BackgroundServer(sandbox_app(jpush)).start()
    monkeypatch.setenv("HUB_JPUSH_URL", sandbox.url)
    hub = EmbeddedHub.open(config_dir)
    seed_jpush(hub, jpush)
    web = BackgroundServer(create_app(hub)).start()
    yield Running(hub, jpush, web.url, sandbox.url)
    web.stop()
    sandbox.stop()
    hub.close()


def sse(running: Running, last_event_id: int, count: int) -> list[tuple[int, str, dict]]:
    """The first `count` events of the screen's stream after `last_event_id`."""
    token = running.hub.screen_token("sf-hall")
    response = requests.get(
        f"{running.web}/screen/v1/screens/sf-hall/events",
        headers={"Authorization": f"Bearer {token}", "Last-Event-ID": str(last_event_id)},
        stream=True,
        timeout=10,
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events: list[tuple[int, str, dict]] = []
    fields: dict[str, str] = {}
    for line in response.iter_lines(decode_unicode=True):
        if line:
            name, _, value = line.partition(": ")
            fields[name] = value
            continue
        if "data" in fields:
            events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
        fields = {}
        if len(events) == count:
            break
    response.close()
    return events


def test_published_everywhere_corrected_everywhere_retracted_everywhere(running: Running) -> None:
    hub = running.hub
    article = approved(hub)
    targets = ["gov/notices", "drc/news", "app:sf-app", "screen:sf-hall"]
    hub.publishing.publish("qianli", article, targets, feeds=False, notify=True)
    hub.work()  # the worker's round (hub serve runs it in its engine loop)
    assert sorted(str(d.status) for d in deliveries_of(hub.store, article)) == ["delivered"] * 4

    # The sites, served by the hub.
    for path in (f"/sites/gov/notices/{article}.html", f"/sites/drc/news/{article}.html"):
        page = running.get(path)
        assert page.status_code == 200 and "关于开展自查工作的通知" in page.text
    home = running.get("/sites/gov/index.html").text
    assert f"./notices/{article}.html" in home

    # The app feed, with ETag/304, and exactly one push through JPush.
    feed = running.get("/app/v1/feed", params={"app": "sf-app"})
    body = feed.json()
    assert [i["id"] for i in body["items"]] == [article] and body["deleted"] == []
    assert body["items"][0]["version"] == 1 and not body["has_more"]
    cursor = body["next_cursor"]
    again = running.get("/app/v1/feed", params={"app": "sf-app"},
                        headers={"If-None-Match": feed.headers["ETag"]})  # fmt: skip
    assert again.status_code == 304
    (push,) = running.jpush.pushes_of(APP_KEY)
    extras = push.payload["notification"]["android"]["extras"]
    assert extras == {"type": "article", "article_id": article, "version": 1,
                      "deeplink": f"app://article/{article}"}  # fmt: skip
    assert push.cid.startswith(APP_KEY + "-") and push.devices == 5
    assert push.payload["notification"]["alert"] == "【通知公告】关于开展自查工作的通知"

    # The screen: playlist with its token only, ETag/304, and the SSE stream.
    assert running.get("/screen/v1/screens/sf-hall/playlist").status_code == 401
    assert running.screen("/playlist", Authorization="Bearer wrong").status_code == 401
    playlist = running.screen("/playlist")
    assert [i["id"] for i in playlist.json()["items"]] == [article]
    version = playlist.json()["version"]
    assert playlist.headers["ETag"] == f'"{version}"'
    assert running.screen("/playlist", **{"If-None-Match": f'"{version}"'}).status_code == 304
    ((event_id, kind, data),) = sse(running, 0, 1)
    assert (event_id, kind, data["id"], data["title"]) == (version, "upsert", article,
                                                           "关于开展自查工作的通知")  # fmt: skip

    # A correction replaces it everywhere, without a second push.
    hub.publishing.correct("zhangwei", article, title="关于开展自查工作的通知（更正）")
    for user, gates in STAGES:
        hub.articles.approve(user, article, gates)
    hub.work()
    assert "（更正）" in running.get(f"/sites/gov/notices/{article}.html").text
    changed = running.get("/app/v1/feed", params={"app": "sf-app", "since": cursor}).json()
    assert [(i["id"], i["version"], i["title"]) for i in changed["items"]] == [
        (article, 2, "关于开展自查工作的通知（更正）")
    ]
    assert len(running.jpush.pushes_of(APP_KEY)) == 1
    ((event_id, kind, data),) = sse(running, version, 1)
    assert kind == "upsert" and data["title"].endswith("（更正）") and event_id == version + 1
    assert running.screen("/playlist", **{"If-None-Match": f'"{version}"'}).status_code == 200

    # A retraction removes it everywhere: 404 pages, a tombstone, 410, a retract event.
    hub.publishing.retract("qianli", article, "政策调整")
    hub.work()
    assert running.get(f"/sites/gov/notices/{article}.html").status_code == 404
    assert running.get(f"/sites/drc/news/{article}.html").status_code == 404
    gone = running.get("/app/v1/feed", params={"app": "sf-app", "since": changed["next_cursor"]})
    assert gone.json()["items"] == [] and [d["id"] for d in gone.json()["deleted"]] == [article]
    assert running.get(f"/app/v1/articles/{article}", params={"app": "sf-app"}).status_code == 410
    assert running.screen("/playlist").json()["items"] == []
    ((_, kind, data),) = sse(running, version + 1, 1)
    assert (kind, data["id"]) == ("retract", article)
    statuses = sorted(str(d.status) for d in deliveries_of(hub.store, article))
    assert statuses == ["retracted"] * 8  # four publications and four corrections


def test_bad_requests_to_the_feed_and_the_screens(running: Running) -> None:
    assert running.get("/app/v1/feed", params={"app": "nope"}).status_code == 404
    assert running.get("/app/v1/feed").status_code == 422
    assert running.get("/app/v1/feed", params={"app": "sf-app", "since": "-1"}).status_code == 422
    assert running.get("/app/v1/feed", params={"app": "sf-app", "limit": "9999"}).status_code == 422
    assert running.get("/app/v1/articles/x", params={"app": "sf-app"}).status_code == 404
    assert running.get("/screen/v1/screens/nope/playlist").status_code == 404
    token = running.hub.screen_token("sf-hall")
    other = running.hub.screen_token("city-hall")
    assert token != other
    wrong = {"Authorization": f"Bearer {other}"}
    assert running.get("/screen/v1/screens/sf-hall/playlist", headers=wrong).status_code == 401
    beat = requests.post(
        f"{running.web}/screen/v1/screens/sf-hall/heartbeat",
        json={"version_seen": -1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert beat.status_code == 422
    beat = requests.post(
        f"{running.web}/screen/v1/screens/sf-hall/heartbeat",
        json={"version_seen": 3, "item_on_air": "a"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert beat.status_code == 204
    assert running.hub.playlists.last_heartbeat("sf-hall")["version_seen"] == 3
    display = running.get("/screen/v1/screens/sf-hall/display")
    assert display.status_code == 200 and "EventSource" in display.text
    assert token not in display.text and display.headers["referrer-policy"] == "no-referrer"
    # The token travels in no address: the page trades it for a cookie bound to this screen.
    events = f"{running.web}/screen/v1/screens/sf-hall/events"
    assert requests.get(events, params={"token": token}, timeout=10).status_code == 401
    wall = requests.Session()
    traded = wall.post(f"{running.web}/screen/v1/screens/sf-hall/session",
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip
    assert traded.status_code == 204
    cookie = traded.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/screen/v1/screens/sf-hall/" in cookie and token not in cookie
    playlist = wall.get(f"{running.web}/screen/v1/screens/sf-hall/playlist", timeout=10)
    assert playlist.status_code == 200
    forged = requests.get(f"{running.web}/screen/v1/screens/sf-hall/playlist", timeout=10,
                          cookies={"hub_screen": "99999999999.deadbeef"})  # fmt: skip
    assert forged.status_code == 401


def test_hub_serve_refuses_a_port_in_use_with_a_clear_error(config_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "hub", "--config", str(config_dir), "serve",
             "--port", str(port), "--sandbox-port", "0"],
            capture_output=True, text=True, timeout=60, env={**os.environ},
        )  # fmt: skip
    assert done.returncode == 1
    assert (
        f"错误 PORT_UNAVAILABLE（暂时不可用，请稍后重试）: 无法在 127.0.0.1:{port} 启动 HTTP 服务"
        in done.stderr
    )
    assert "Traceback" not in done.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(config_dir), "serve", "--port", "70000"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "USAGE" in bad.stderr


def test_hub_serve_stops_within_two_seconds_of_sigterm(config_dir: Path) -> None:
    """A service manager's stop: SIGTERM, and the process is gone in under 2 s (whatever the
    probes and the crawler were doing)."""
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config_dir), "serve", "--port", "0",
         "--sandbox-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if "按 Ctrl-C 退出" in line:
                break
        else:
            raise AssertionError("hub serve did not start")
        time.sleep(1.0)  # the probes are at work (their first round runs at the start)
        stopped = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        assert time.monotonic() - stopped < 2.0
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
