"""The command line acts as a user only with that user's credentials (outside demo mode):
`hub login` stores a token only the OS user can read, `HUB_TOKEN` works the same way,
`--as` another user is refused, administrative commands need the admin role (the first
administrator's password may be set on a fresh hub), and every event records how its actor
was authenticated."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "Qz7-lantern-orbit-1"
EDITOR_PASSWORD = "Vk4-harbor-meadow-9"


class Cli:
    def __init__(self, config: Path, tmp: Path) -> None:
        self.env = {**os.environ, "HUB_CONFIG": str(config),
                    "HUB_TOKEN_FILE": str(tmp / "home" / "token")}  # fmt: skip
        self.env.pop("HUB_TOKEN", None)
        self.body = tmp / "body.html"
        self.body.write_text("<p>各有关单位：现将有关事项通知如下。</p>", encoding="utf-8")

    def run(self, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hub", *args, "--json"], cwd=ROOT,
                              env={**self.env, **env}, input=stdin, capture_output=True,
                              text=True, timeout=60)  # fmt: skip

    def ok(self, *args: str, stdin: str = "", **env: str) -> dict:
        done = self.run(*args, stdin=stdin, **env)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout) if done.stdout.strip().startswith(("{", "[")) else {}

    def refused(self, code: str, *args: str, stdin: str = "", **env: str) -> None:
        done = self.run(*args, stdin=stdin, **env)
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        assert json.loads(done.stdout)["error"]["code"] == code, done.stdout

    def create(self, user: str = "zhangwei", **env: str) -> str:
        return self.ok("article", "create", "--site", "gov", "--column", "notices", "--title",
                       "关于开展自查工作的通知", "--body-file", str(self.body), "--as", user,
                       **env)["id"]  # fmt: skip


@pytest.fixture
def cli(config_dir: Path, tmp_path: Path) -> Cli:
    hub_yaml = config_dir / "hub.yaml"
    hub_yaml.write_text(hub_yaml.read_text() + "demo_logins: false\n", encoding="utf-8")
    return Cli(config_dir, tmp_path)


def test_outside_demo_mode_the_cli_needs_credentials(cli: Cli, tmp_path: Path) -> None:
    # A fresh hub: no administrator has a password; init and the first password are allowed.
    database = cli.ok("init")["database"]
    cli.refused("LOGIN_REQUIRED", "article", "create", "--site", "gov", "--column", "notices",
                "--title", "x", "--body-file", str(cli.body), "--as", "zhangwei")  # fmt: skip
    cli.ok("passwd", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    # From now on, administrative commands need an administrator.
    cli.refused("LOGIN_REQUIRED", "rebuild")
    cli.refused("LOGIN_REQUIRED", "search", "--rebuild")
    cli.refused("LOGIN_REQUIRED", "passwd", "zhangwei", "--password-stdin",
                stdin=EDITOR_PASSWORD + "\n")  # fmt: skip
    cli.refused("LOGIN_FAILED", "login", "admin", "--password-stdin", stdin="wrong\n")
    cli.ok("login", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    token_file = tmp_path / "home" / "token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    cli.ok("rebuild")
    cli.ok("passwd", "zhangwei", "--password-stdin", stdin=EDITOR_PASSWORD + "\n")
    liting = cli.ok("token", "create", "--as", "liting", "--name", "审核脚本")
    cli.ok("logout")
    assert not token_file.exists()
    # The editor logs in and acts as herself only.
    cli.ok("login", "zhangwei", "--password-stdin", stdin=EDITOR_PASSWORD + "\n")
    article = cli.create()
    cli.refused("ACT_AS_OTHER", "article", "submit", article, "--as", "liting")
    cli.ok("article", "submit", article)  # --as may be left out: the logged-in user
    cli.refused("ADMIN_REQUIRED", "rebuild")
    cli.refused("ADMIN_REQUIRED", "search", "--rebuild")
    cli.refused("ADMIN_REQUIRED", "token", "create", "--as", "liting")
    # A token file others can read is refused (a copied or carelessly made one).
    token_file.chmod(0o644)
    cli.refused("LOGIN_REQUIRED", "article", "withdraw", article, "--as", "zhangwei")
    token_file.unlink()
    # HUB_TOKEN: the reviewer's script acts as the reviewer.
    cli.ok("review", "approve", article, "--gates", "wording,secrecy",
           HUB_TOKEN=liting["token"])  # fmt: skip
    cli.refused("LOGIN_FAILED", "review", "approve", article, "--gates", "wording",
                HUB_TOKEN="hubt_forged")  # fmt: skip
    # Each event says how its actor proved who they were.
    db = sqlite3.connect(database)
    via = dict(db.execute("SELECT type, via FROM events WHERE stream_id = ?",
                          (f"article-{article}",)).fetchall())  # fmt: skip
    db.close()
    assert via["ArticleCreated"].startswith("cli-token:")
    assert via["StageApproved"] == f"cli-token:{liting['id']}"
    assert cli.ok("audit")["integrity"]["ok"]


def test_in_demo_mode_as_is_enough_and_recorded(config_dir: Path, tmp_path: Path) -> None:
    cli = Cli(config_dir, tmp_path)
    article = cli.create()
    database = cli.ok("init")["database"]
    db = sqlite3.connect(database)
    assert db.execute("SELECT via FROM events WHERE stream_id = ?",
                      (f"article-{article}",)).fetchone() == ("cli-demo",)  # fmt: skip
    db.close()
    cli.refused("LOGIN_REQUIRED", "article", "submit", article)  # nobody named, nobody logged in
