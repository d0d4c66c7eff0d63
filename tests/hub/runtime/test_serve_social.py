"""Issue 6 done-when, as a user meets it: `hub serve` runs the WeChat and Weibo sandboxes with
the configured accounts seeded and authorised; an article approved and published from the
command line appears in the sandbox of every WeChat and Weibo account in its plan, once; the
command line shows each account's state with the platform's own ids and addresses, and each
account's health."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers import ROOT, Hub
from tests.helpers import cli_approved as approved

TARGETS = ["wechat:sf-wechat", "wechat:drc-wechat", "weibo:sf-weibo"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(config_dir: Path, tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    port, sandbox_port = free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    cli = Hub(config_dir, tmp_path)
    # No channel URL is set: `hub serve` has them follow --sandbox-port (not hub.yaml's
    # port); the CLI commands beside it are told the port as an operator would do.
    for name in ("HUB_WECHAT_URL", "HUB_WEIBO_URL", "HUB_JPUSH_URL", "HUB_SANDBOX_PORT"):
        cli.env.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--port", str(port),
         "--sandbox-port", str(sandbox_port)],
        cwd=ROOT, env=dict(cli.env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    cli.env["HUB_SANDBOX_PORT"] = str(sandbox_port)
    assert server.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        lines.append(line)
        if "按 Ctrl-C 退出" in line or not line:
            break
    assert any(f"{sandbox}/_sandbox/" in line for line in lines), "".join(lines)
    yield cli, sandbox
    server.terminate()
    server.wait(timeout=30)


def test_an_approved_article_reaches_every_wechat_and_weibo_account_of_its_plan(
    served: tuple[Hub, str],
) -> None:
    cli, sandbox = served
    article = approved(cli)
    cli.ok("publish", article, *[a for t in TARGETS for a in ("--to", t)], "--no-feeds",
           "--as", "qianli")  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = cli.ok("deliveries", "--article", article)
        if sorted(d["status"] for d in states) == ["delivered"] * 3:
            break
        time.sleep(0.3)
    assert sorted(d["target"] for d in states) == sorted(TARGETS)
    assert [d["status"] for d in states] == ["delivered"] * 3, states

    wechat = requests.get(f"{sandbox}/_sandbox/wechat/published", timeout=10).json()
    assert sorted(p["appid"] for p in wechat) == ["wx5f3a8c0e2b7d4e9a", "wx9c1e7a4b0d2f5e8a"]
    assert all(p["titles"] == ["关于开展自查工作的通知"] for p in wechat)
    (post,) = requests.get(f"{sandbox}/_sandbox/weibo/statuses", timeout=10).json()
    assert post["uid"] == "5830417296" and post["text"].startswith("【关于开展自查工作的通知】")
    assert list(post["links"].values()) == [f"https://www.sf.gov.cn/notices/{article}.html"]
    for delivery in states:  # each platform's own address opens the article there
        assert requests.get(delivery["url"], timeout=10).status_code == 200

    shown = cli.run("deliveries", "--article", article)
    assert shown.returncode == 0
    for delivery in states:
        assert delivery["remote_id"] in shown.stdout and delivery["url"] in shown.stdout
    assert "publish=" in shown.stdout  # the WeChat steps: cover, draft, publish task, article
    index = requests.get(f"{sandbox}/_sandbox/", timeout=10).text
    assert index.count("关于开展自查工作的通知") == 3

    health = cli.run("channels", "health")
    assert health.returncode == 0, health.stderr
    block = health.stdout.split("微信公众号 sf-wechat")[1].split("\n微")[0]
    assert "令牌：有效" in block and "配额剩余：" in block and "已送达 1" in block
    weibo = health.stdout.split("微博 sf-weibo")[1]
    assert "令牌：有效，到期" in weibo and "连接：正常" in weibo
    rows = cli.ok("channels", "health", "--channel", "wechat")
    assert {r["account"] for r in rows} == {"sf-wechat", "drc-wechat"}


def test_a_mass_send_from_the_command_line_and_wechats_pushes_to_the_hub(
    served: tuple[Hub, str],
) -> None:
    cli, sandbox = served
    article = approved(cli)
    cli.ok("publish", article, "--to", "wechat:sf-wechat", "--to", "wechat:drc-wechat",
           "--mass", "--no-feeds", "--as", "qianli")  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # delivered, and the link WeChat pushed filled in
        states = cli.ok("deliveries", "--article", article)
        if all(d["status"] == "delivered" and d["url"] for d in states):
            break
        time.sleep(0.3)
    assert [(d["status"], bool(d["url"])) for d in states] == [("delivered", True)] * 2, states
    sent = requests.get(f"{sandbox}/_sandbox/wechat/published", timeout=10).json()
    assert len(sent) == 2 and all(p["msg_id"] and not p["publish_id"] for p in sent)
    assert {d["remote_id"] for d in states} == {f"mass/{p['msg_id']}" for p in sent}
    for delivery in states:
        assert requests.get(delivery["url"], timeout=10).status_code == 200
    pushes = requests.get(f"{sandbox}/_sandbox/wechat/pushes", timeout=10).json()
    assert {(p["event"], p["delivered"], p["answer"]) for p in pushes} == {
        ("MASSSENDJOBFINISH", True, "success")
    }
    assert "已群发" in requests.get(f"{sandbox}/_sandbox/", timeout=10).text


def test_authorize_against_the_sandbox_and_bad_accounts(served: tuple[Hub, str]) -> None:
    cli, _ = served
    done = cli.run("channels", "authorize", "sf-weibo")
    assert done.returncode == 0 and "已授权 sf-weibo" in done.stdout, done.stderr
    assert "无需授权" in cli.run("channels", "authorize", "sf-wechat").stdout
    assert cli.fails("channels", "authorize", "nope")["code"] == "ACCOUNT_UNKNOWN"
    assert cli.fails("channels", "authorize", "sf-app")["code"] == "INVALID_INPUT"
    bad = cli.run("channels", "authorize", "sf-weibo", "--code", "not-a-code")
    assert bad.returncode == 1 and "21325" in bad.stderr and "Traceback" not in bad.stderr


def test_a_real_platform_is_one_configuration_change(config_dir: Path, tmp_path: Path) -> None:
    cli = Hub(config_dir, tmp_path)
    cli.env |= {
        "HUB_WEIBO_URL": "https://api.weibo.com",
        "HUB_WECHAT_URL": "https://api.weixin.qq.com",
    }
    done = cli.run("channels", "authorize", "sf-weibo")
    assert done.returncode == 0
    assert "https://api.weibo.com/oauth2/authorize?client_id=2847561930" in done.stdout
    rows = {r["account"]: r for r in cli.ok("channels", "health")}
    assert "未配置公众号 AppSecret" in rows["sf-wechat"]["token"]  # no secret is made up
    assert rows["sf-weibo"]["token"] == "未授权"
