"""Time-travel: what a site, a column or an account showed at a moment — which revision, since
when, when that revision went out, who approved it — answered from the log, the same after
the read models are replayed, through `hub live` as through the query."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from hub.queries.live_at import LiveItem, live_at
from hub.runtime.clock import utc_now
from hub.runtime.embedded import EmbeddedHub
from tests.helpers import ROOT, STAGES, approved


def moment() -> datetime:
    time.sleep(0.01)  # events before and after it get distinct times
    at = utc_now()
    time.sleep(0.01)
    return at


def shown(items: list[LiveItem]) -> list[tuple[str, int, str]]:
    return [(i.article_id, i.revision, i.target) for i in items]


def test_what_was_live_when_and_who_approved_it(hub: EmbeddedHub, config_dir: Path) -> None:
    before = moment()
    first = approved(hub, title="关于开展第一批自查工作的通知")
    hub.publishing.publish("qianli", first, ["gov/notices"])  # with the site's app and screen
    hub.work()
    after_first = moment()
    second = approved(hub, title="关于开展第二批自查工作的通知")
    hub.publishing.publish("qianli", second, ["gov/notices", "gov/news-gov"], feeds=False)
    hub.work()
    after_second = moment()
    hub.publishing.correct("zhangwei", first, title="关于开展第一批自查工作的通知（更正）")
    for user, gates in STAGES:
        hub.articles.approve(user, first, gates)
    for _ in range(3):
        hub.work()
    after_correction = moment()
    hub.publishing.retract("qianli", second, "有误", site=None)
    for _ in range(2):
        hub.work()
    after_retraction = moment()

    store = hub.store
    assert live_at(store, before, site="9900000001") == []
    at_first = live_at(store, after_first, site="9900000001")
    assert shown(at_first) == [(first, 1, "website:9900000001/notices")]
    assert at_first[0].title == "关于开展第一批自查工作的通知"
    assert [(a.stage, a.user) for a in at_first[0].approvals] == [
        ("初审", "liting"), ("复审", "wangqiang"), ("终审", "chenjing")]  # fmt: skip
    assert at_first[0].approved_at is not None and at_first[0].approved_at < at_first[0].live_since
    at_second = live_at(store, after_second, site="9900000001")
    assert sorted(shown(at_second)) == sorted([
        (first, 1, "website:9900000001/notices"), (second, 1, "website:9900000001/news-gov"),
        (second, 1, "website:9900000001/notices")])  # fmt: skip
    # After the correction: revision 2, live since the first publication, out since the
    # correction; its approvals are revision 2's.
    corrected = {i.article_id: i for i in live_at(store, after_correction, site="9900000001",
                                                  column="notices")}  # fmt: skip
    item = corrected[first]
    assert item.revision == 2 and item.title.endswith("（更正）")
    assert item.live_since == at_first[0].live_since < item.revision_out_at < after_correction
    assert item.approved_at is not None and item.approved_at > at_first[0].approved_at  # type: ignore[operator]
    assert shown(live_at(store, after_retraction, site="9900000001")) == [
        (first, 2, "website:9900000001/notices")]  # fmt: skip
    # Asked about the past, the answer does not change with what happened since.
    assert shown(live_at(store, after_second, site="9900000001")) == shown(at_second)
    # The app of the site: the first article only (the second went to the columns alone).
    assert [(i.article_id, i.revision) for i in live_at(store, after_retraction,
                                                        account="sf-app")] == [(first, 2)]  # fmt: skip
    # The read models replayed from the log: the same answers.
    hub.rebuild()
    assert shown(live_at(store, after_second, site="9900000001")) == shown(at_second)
    # Through the command line.
    env = {**os.environ, "HUB_CONFIG": str(config_dir)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hub", "live", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    done = cli("--site", "gov", "--at", after_second.isoformat(), "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert sorted((i["article_id"], i["target"]) for i in answer["items"]) == sorted(
        (a, t) for a, _, t in shown(at_second))  # fmt: skip
    assert answer["items"][0]["approvals"][0]["user"] == "liting"
    text = cli("--site", "gov", "--column", "通知公告")
    assert text.returncode == 0 and "第 2 版" in text.stdout and "李婷" in text.stdout, text.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((), "USAGE"),
        (("--site", "gov", "--account", "sf-app"), "USAGE"),
        (("--column", "notices"), "USAGE"),
        (("--site", "nosuchsite"), "SITE_UNKNOWN"),
        (("--account", "nosuch"), "ACCOUNT_UNKNOWN"),
        (("--site", "gov", "--column", "nosuch"), "COLUMN_UNKNOWN"),
        (("--site", "gov", "--at", "2999-01-01 00:00"), "INVALID_INPUT"),
        (("--site", "gov", "--at", "yesterday"), "USAGE"),
    ],
)
def test_bad_time_travel_requests_are_refused(
    config_dir: Path, args: tuple[str, ...], code: str
) -> None:
    done = subprocess.run([sys.executable, "-m", "hub", "live", *args, "--json"], cwd=ROOT,
                          env={**os.environ, "HUB_CONFIG": str(config_dir)},
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert json.loads(done.stdout)["error"]["code"] == code, done.stdout
