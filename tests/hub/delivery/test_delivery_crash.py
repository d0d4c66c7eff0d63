"""Crash: the delivery engine (a real `hub deliver` process) is SIGKILLed at random points of a
fan-out to 500 apps on the JPush sandbox, ten times, and restarted each time. Every app's
phones get the notification exactly once (the sandbox counts), and every delivery ends
delivered, with the article in every app's feed once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from hub.projections.deliveries import deliveries_of
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.server import BackgroundServer, seed_jpush
from sandboxes import sandbox_app
from sandboxes.jpush import JPushSandbox
from tests.helpers import approved

APPS = 500
KILLS = 10


def app_key(n: int) -> str:
    return f"{n:024x}"


def with_apps(config_dir: Path) -> None:
    channels = yaml.safe_load((config_dir / "channels.yaml").read_text("utf-8"))
    channels["accounts"] += [
        {"id": f"crash-app-{n:03d}", "channel": "app", "name": f"压测客户端{n:03d}",
         "site": "gov", "settings": {"app_key": app_key(n)}}
        for n in range(APPS)
    ]  # fmt: skip
    (config_dir / "channels.yaml").write_text(yaml.safe_dump(channels, allow_unicode=True))
    with (config_dir / "hub.yaml").open("a", encoding="utf-8") as out:
        out.write("delivery_lease_s: 1\n")


def engine(config_dir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config_dir), "deliver", "--until-idle",
         "--timeout", "120", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_sigkill_during_fan_out_never_loses_or_repeats_a_push(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_apps(config_dir)
    jpush = JPushSandbox()
    sandbox = BackgroundServer(sandbox_app(jpush)).start()
    monkeypatch.setenv("HUB_JPUSH_URL", sandbox.url)
    env = {**os.environ, "HUB_JPUSH_URL": sandbox.url, "HUB_LOG_LEVEL": "error"}
    try:
        with EmbeddedHub.open(config_dir) as hub:
            seed_jpush(hub, jpush)
            article = approved(hub)
            targets = [f"app:crash-app-{n:03d}" for n in range(APPS)]
            hub.publishing.publish("zhangwei", article, targets, feeds=False, notify=True)
        chance = random.Random(20261123)
        killed_with_work_left = 0
        for _ in range(KILLS):
            # Kill at a random point of the fan-out: after a random number of further calls
            # reached the sandbox (a fixed delay would mostly hit start-up or the end).
            seen = sum(jpush.requests.values())
            until = seen + chance.randint(1, 60)
            process = engine(config_dir, env)
            deadline = time.monotonic() + 60
            while (sum(jpush.requests.values()) < until and process.poll() is None
                   and time.monotonic() < deadline):  # fmt: skip
                time.sleep(0.001)
            process.send_signal(signal.SIGKILL)
            process.wait()
            killed_with_work_left += process.returncode == -signal.SIGKILL
        assert killed_with_work_left >= KILLS // 2, "the kills should land mid fan-out"
        time.sleep(1.1)  # the last killed worker's lease lapses
        final = engine(config_dir, env)
        out, err = final.communicate(timeout=180)
        assert final.returncode == 0, err
        assert json.loads(out)["unsettled"] == 0

        pushes = Counter(p.app_key for p in jpush.pushes_of())
        assert len(pushes) == APPS
        assert set(pushes.values()) == {1}, "a push reached some app twice"
        with EmbeddedHub.open(config_dir) as hub:
            hub.catch_up()
            statuses = Counter(str(d.status) for d in deliveries_of(hub.store, article))
            assert statuses == {"delivered": APPS}
            for n in range(APPS):
                shown = hub.app_feed.get(f"crash-app-{n:03d}", article)
                assert shown is not None and shown.seq == 1  # in the feed, once
            # The kills did land inside deliveries: those were checked, not blindly re-sent.
            resumed = hub.store.query(
                "SELECT COUNT(*) FROM events WHERE type = 'DeliveryOutcomeUnknown'", ()
            )[0][0]
            assert resumed >= 1
            print(
                f"kills={KILLS} resumed_after_kill={resumed} "
                f"push_requests={sum(jpush.requests.values())} pushes={sum(pushes.values())}"
            )
    finally:
        sandbox.stop()
