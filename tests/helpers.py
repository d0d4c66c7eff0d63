"""What many tests need: the demo's three reviewers with the gates each attests, and an article
taken through review by the service, the command line or the HTTP API.

One copy here instead of one per test module (tests import helpers from here, not from each
other)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.runtime.embedded import EmbeddedHub
    from tests.web.conftest import Web

ROOT = Path(__file__).resolve().parents[1]


class Hub:
    def __init__(self, config_dir: Path, tmp_path: Path) -> None:
        self.config_dir = config_dir
        self.body = tmp_path / "body.html"
        self.body.write_text("<p>各有关单位：现将有关事项通知如下。</p>", encoding="utf-8")
        self.env = {**os.environ, "HUB_CONFIG": str(config_dir)}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *args: str) -> dict:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)

    def check(self, *args: str) -> dict:
        """`hub check … --json`: its report; the exit status says whether anything blocks
        (3) or not (0), as scripts gating on it read it."""
        done = self.run("check", *args, "--json")
        report = json.loads(done.stdout)
        assert done.returncode == (3 if report["blocked"] else 0), done.stdout + done.stderr
        return report

    def fails(self, *args: str) -> dict:
        done = self.run(*args, "--json")
        assert done.returncode != 0
        assert "Traceback" not in done.stderr + done.stdout
        return json.loads(done.stdout)["error"]

    def create(self, user: str = "zhangwei", *extra: str, column: str = "notices") -> str:
        return self.ok(
            "article",
            "create",
            "--site",
            "gov",
            "--column",
            column,
            "--title",
            "关于开展自查工作的通知",
            "--body-file",
            str(self.body),
            "--as",
            user,
            *extra,
        )["id"]


# 初审, 复审, 终审 of the demo workflow: who approves, attesting which gates.
STAGES: tuple[tuple[str, list[str]], ...] = (
    ("liting", ["wording", "secrecy"]),
    ("wangqiang", ["legal", "policy", "wording"]),
    ("chenjing", ["political", "policy", "public_opinion"]),
)
NOTICE = "<p>各有关单位：现将有关事项通知如下。</p>"


def approved(hub: EmbeddedHub, body: str = NOTICE, title: str = "关于开展自查工作的通知") -> str:
    """A new article of gov/notices, submitted and approved through the three reviews."""
    created = hub.articles.create("zhangwei", "gov", ["notices"], title, body)
    hub.articles.submit("zhangwei", created.article_id)
    for user, gates in STAGES:
        hub.articles.approve(user, created.article_id, gates)
    return created.article_id


def pages(hub: EmbeddedHub) -> list[Path]:
    """The article pages the website channel wrote (not column pages and homepages)."""
    return sorted(
        p
        for p in hub.config.sites_root.rglob("*.html")
        if p.name not in ("index.html", "sitemap.html") and not p.name.startswith("list-")
    )


def cli_approve(cli: Hub, article: str, *, wait: bool = False) -> dict[str, Any]:
    """The three reviews of `article` through `hub review approve`; the last answer."""
    result: dict[str, Any] = {}
    for user, gates in STAGES:
        more = ("--wait",) if wait and user == STAGES[-1][0] else ()
        result = cli.ok("review", "approve", article, "--gates", ",".join(gates), *more,
                        "--as", user)  # fmt: skip
    return result


def cli_approved(cli: Hub, body: str | None = None, column: str = "notices") -> str:
    """A new article created, submitted and approved from the command line."""
    if body is not None:
        cli.body.write_text(body, encoding="utf-8")
    article = cli.create(column=column)
    cli.ok("article", "submit", article, "--as", "zhangwei")
    cli_approve(cli, article)
    return article


def approve_all(web: Web, article: str) -> None:
    """The three reviews of `article` over the HTTP API."""
    for user, gates in STAGES:
        answer = web.api(user, "POST", f"/articles/{article}/approve", json={"gates": gates})
        assert answer.status_code == 200, answer.text


def published_to(web: Web, targets: list[str]) -> str:
    """A new article, reviewed and published to `targets` over the API (no feeds)."""
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    answer = web.api("qianli", "POST", f"/articles/{article}/publish",
                     json={"to": targets, "feeds": False})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return article


def settled(web: Web, article: str, until: tuple[str, ...] = ("pending", "sending")) -> list[dict]:
    """The article's deliveries once they are planned and none is in one of `until` (a
    publish returns at once; the engine loop plans and delivers in the background)."""
    deadline = time.monotonic() + 20
    while True:
        rows = web.api("qianli", "GET", "/deliveries", params={"article": article}).json()
        done = rows and all(r["status"] not in until for r in rows)
        if done or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)
