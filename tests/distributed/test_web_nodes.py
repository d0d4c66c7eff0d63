"""The console's story on the distributed runtime, every part a process of its own: two web
nodes (`hub serve`, web and API only; the first also runs the channel sandboxes), the relay,
a projections worker and two delivery workers, on PostgreSQL, Kafka and Redis. The editor
works on one web node, a reviewer on the other (as a load balancer would send them); the
operator's board, open on the second node, shows the deliveries turn delivered without a
reload (the workers' ledger commits reach it through Redis); Redis is restarted under the open
board, and the next article's deliveries still arrive on it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.cli.serve import free_port
from hub.runtime.embedded import EmbeddedHub
from tests.conftest import CONFIG
from tests.helpers import ROOT, approved
from tests.servers import KafkaBroker, RedisServer
from tests.web.test_browser import CHROMIUM, browser  # noqa: F401  (the module's Chromium)

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # pragma: no cover - the test extra installs it
    pytest.skip("playwright is not installed", allow_module_level=True)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


class Nodes:
    """The processes of one distributed hub, their logs in the test's folder."""

    def __init__(self, tmp: Path, config: Path) -> None:
        self.tmp, self.config = tmp, config
        self.logs: list[Path] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.web = [free_port("127.0.0.1"), free_port("127.0.0.1")]
        self.start("serve", "--port", str(self.web[0]))
        self.start("serve", "--port", str(self.web[1]), "--no-sandboxes")
        self.start("relay")
        self.start("worker", "--role", "projections")
        self.start("worker", "--role", "delivery")
        self.start("worker", "--role", "delivery")

    def url(self, node: int) -> str:
        return f"http://127.0.0.1:{self.web[node]}"

    def start(self, *args: str) -> None:
        log = self.tmp / f"{args[0]}-{len(self.logs)}.log"
        self.logs.append(log)
        env = {**os.environ, "HUB_CONFIG": str(self.config)}
        self.processes.append(subprocess.Popen(
            [sys.executable, "-m", "hub", *args], cwd=ROOT, env=env, start_new_session=True,
            stdout=log.open("ab"), stderr=subprocess.STDOUT))  # fmt: skip

    def ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            texts = [log.read_text(errors="replace") for log in self.logs]
            served = sum("发布中枢已启动" in t for t in texts)
            joined = sum("worker.partitions" in t for t in texts)
            if served == 2 and joined >= 2:
                return
            dead = [p.args for p in self.processes if p.poll() is not None]
            assert not dead and time.monotonic() < deadline, f"{dead}\n{self.tails()}"
            time.sleep(0.3)

    def tails(self) -> str:
        return "\n".join(f"== {log.name}\n{log.read_text(errors='replace')[-3000:]}"
                         for log in self.logs)  # fmt: skip

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def nodes(
    tmp_path: Path, pg_url: str, kafka: KafkaBroker, redis_url: str
) -> Iterator[tuple[Nodes, dict[str, str]]]:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    (config / "hub.yaml").write_text(
        f"database: {pg_url}\nruntime: distributed\nkafka_servers: {kafka.bootstrap}\n"
        f"redis_url: {redis_url}\nkafka_prefix: webnodes\nevent_partitions: 4\n"
        f"delivery_partitions: 8\nkafka_session_timeout_s: 2\nlog_level: info\n"
        f"sandbox_port: {free_port('127.0.0.1')}\ndemo_logins: true\n",
        encoding="utf-8",
    )
    with EmbeddedHub.open(config) as hub:  # the demo users' passwords, before any node starts
        passwords = hub.demo_passwords()
    running = Nodes(tmp_path, config)
    try:
        running.ready()
        yield running, passwords
    finally:
        running.stop()


def log_in(browser: Browser, url: str, user: str, password: str) -> Page:  # noqa: F811
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator(".who span")).to_contain_text(user)
    return page


def test_two_web_nodes_and_two_workers_serve_the_console_story(
    browser: Browser,  # noqa: F811
    nodes: tuple[Nodes, dict[str, str]],
    redis: RedisServer,
) -> None:
    cluster, passwords = nodes
    first, second = cluster.url(0), cluster.url(1)

    # The editor drafts and submits on the first node.
    editor = log_in(browser, first, "zhangwei", passwords["zhangwei"])
    editor.click("text=新建稿件 >> nth=0")
    editor.select_option("select[name=column]", "gov/notices")
    editor.fill("input[name=title]", "关于做好今冬明春安全生产工作的通知")
    editor.locator(".editor").click()
    editor.keyboard.type("各市、县人民政府，省直各有关单位：请做好安全生产工作。")
    editor.click("form#article-form button[type=submit]")
    expect(editor.locator(".notice")).to_contain_text("稿件已保存")
    article_path = editor.url.split("?")[0].removeprefix(first)
    editor.click("form[action$='/submit'] button")
    expect(editor.locator("#article-status")).to_have_text("审核中")

    # Three reviewers, on either node: each sees what the others did at once (one store).
    for user, url in (("liting", first), ("wangqiang", second), ("chenjing", first)):
        reviewer = log_in(browser, url, user, passwords[user])
        reviewer.goto(url + article_path)
        for box in reviewer.locator("form.approve input[name=gates]").all():
            box.check()
        reviewer.click("form.approve button[type=submit]")
        expect(reviewer.locator(".notice")).to_contain_text("审核通过")
        reviewer.context.close()

    # The operator's board is open on the second node while the editor publishes on the first.
    operator = log_in(browser, second, "qianli", passwords["qianli"])
    operator.goto(f"{second}/console/deliveries")
    expect(operator.locator("#live")).to_have_class("live on")
    operator.evaluate("window.__loaded = performance.timeOrigin")
    loaded = operator.evaluate("window.__loaded")
    editor.goto(first + article_path)
    editor.click("form[action$='/publish'] button")
    expect(editor.locator("#article-status")).to_have_text("已发布")
    article = article_path.rsplit("/", 1)[1]
    rows = operator.locator(f"#deliveries tbody tr[data-article='{article}']")
    expect(rows.first).to_be_visible(timeout=30_000)
    delivered = operator.locator(
        f"#deliveries tbody tr[data-article='{article}'][data-status=delivered]"
    )
    expect(delivered).to_have_count(rows.count(), timeout=60_000)
    assert rows.count() >= 3  # the column's site, its app and its screen
    # The page a delivery worker wrote is served by the web nodes.
    site = operator.context.new_page()
    site.goto(f"{first}/sites/gov/index.html")
    expect(site.locator("body")).to_contain_text("关于做好今冬明春安全生产工作的通知")
    # A web node runs no engine loop: its searches keep the search index following the log.
    site.goto(f"{second}/sites/gov/search?q=今冬明春")
    expect(site.locator(".search-hits")).to_contain_text("关于做好今冬明春安全生产工作的通知")

    # The app's feed, written by a delivery worker, reads the same from either web node (one
    # store in the shared database); so does a session: the operator's cookie from the
    # second node opens the first node's console.
    for url in (first, second):
        feed = operator.request.get(f"{url}/app/v1/feed?app=sf-app").json()
        assert article in [entry["id"] for entry in feed["items"]], feed
    operator.goto(f"{first}/console/deliveries")
    expect(operator.locator(".who span")).to_contain_text("qianli")
    operator.goto(f"{second}/console/deliveries")
    expect(operator.locator("#live")).to_have_class("live on")
    operator.evaluate("window.__loaded = performance.timeOrigin")
    loaded = operator.evaluate("window.__loaded")

    # Redis restarts under the open board: the next article's deliveries still reach it.
    redis.restart()
    with EmbeddedHub.open(cluster.config) as hub:
        later = approved(hub, title="关于开展冬季消防安全检查的通知")
        hub.publishing.publish("qianli", later, ["gov/notices"], feeds=False)
    later_rows = operator.locator(f"#deliveries tbody tr[data-article='{later}']")
    expect(later_rows.first).to_be_visible(timeout=30_000)
    expect(
        operator.locator(f"#deliveries tbody tr[data-article='{later}'][data-status=delivered]")
    ).to_have_count(later_rows.count(), timeout=60_000)
    assert operator.evaluate("window.__loaded") == loaded  # the same page: never reloaded
    # The second node's board follows Redis again once it is back (its rows may have come by
    # the board's own periodic read first: the reconnection is retried every second).
    deadline = time.monotonic() + 20
    while "ledger.follow_resumed" not in cluster.logs[1].read_text(errors="replace"):
        assert time.monotonic() < deadline, cluster.tails()
        time.sleep(0.2)
