"""Fan-out of one article to a province: N website targets (one column on each of N sites)
and M account targets (apps on the JPush sandbox, each notified). Measures the time from the
publish command to the last delivered state; the sandbox runs in its own process, with its
rate limits lifted (they are the sandbox's simulation, not our cost).

    python -m bench.fanout --sites 359 --accounts 2404 [--repeat 3]

The first article goes into empty sites (creating their folders and first pages) and is
reported apart; then `--repeat` articles go into sites that hold content, and their median is
the figure. Each run also prints the CPU seconds of the hub and of the sandbox process, and
the machine's speed before and after. BENCH_PROFILE=1 profiles the first timed article
(BENCH_PROFILE_LINES sets how many lines; only the calling thread is profiled).

Ends with: fanout: targets=N seconds=S
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from hub.projections.deliveries import unsettled_count
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging

CONFIG = Path(__file__).resolve().parents[1] / "config"
STAGES = (
    ("liting", ["wording", "secrecy"]),
    ("wangqiang", ["legal", "policy", "wording"]),
    ("chenjing", ["political", "policy", "public_opinion"]),
)
BODY = (
    "<p>各市、县人民政府，省政府各部门：</p>" + "<p>现将有关事项通知如下，请认真贯彻落实。</p>" * 20
)


def province(config: Path, tmp: Path, sites: int, accounts: int) -> list[dict[str, object]]:
    """Extend the demo configuration to `sites` sites and `accounts` app accounts; return
    the JPush apps the sandbox must know."""
    group = yaml.safe_load((config / "sites.yaml").read_text("utf-8"))
    for n in range(sites - len(group["sites"])):
        group["sites"].append({
            "key": f"s{n:03d}", "code": f"98{n:08d}", "name": f"示范县{n:03d}人民政府",
            "domain": f"www.x{n:03d}.sf.gov.cn", "level": "county",
            "footer": {"contact": f"电话 0999-{n:07d}", "icp": f"示ICP备2026{n:06d}号",
                       "police_record": f"示公网安备 98{n:012d}号"},
            "columns": [{"id": "notices", "name": "通知公告", "type": "通知公告"}],
        })  # fmt: skip
    (config / "sites.yaml").write_text(yaml.safe_dump(group, allow_unicode=True), "utf-8")
    channels = yaml.safe_load((config / "channels.yaml").read_text("utf-8"))
    apps, secrets = [], {}
    for n in range(accounts):
        key = f"{n + 1:024x}"
        channels["accounts"].append({"id": f"app-{n:04d}", "channel": "app", "site": "gov",
                                     "name": f"客户端{n:04d}", "settings": {"app_key": key}})  # fmt: skip
        secrets[f"jpush/app-{n:04d}"] = f"secret-{n}"
        apps.append({"app_key": key, "master_secret": f"secret-{n}", "devices": 2,
                     "quota_per_minute": 1_000_000})  # fmt: skip
    (config / "channels.yaml").write_text(yaml.safe_dump(channels, allow_unicode=True), "utf-8")
    (tmp / "secrets.json").write_text(json.dumps(secrets), "utf-8")
    return apps


@contextmanager
def jpush_sandbox(tmp: Path, apps: list[dict[str, object]], latency: float = 0.0) -> Iterator[str]:
    """The protocol sandboxes in a process of their own, knowing `apps` and answering each push
    `latency` seconds late; HUB_JPUSH_URL points the hub's app accounts at it."""
    (tmp / "apps.json").write_text(json.dumps(apps), "utf-8")
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "sandboxes", "--port", "0", "--apps",
         str(tmp / "apps.json"), "--latency", str(latency)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert sandbox.stdout is not None
        url = sandbox.stdout.readline().split("listening: ")[1].strip()
        os.environ["HUB_JPUSH_URL"] = url
        yield str(sandbox.pid)
    finally:
        sandbox.terminate()
        sandbox.wait()


def province_config(tmp: Path, sites: int, accounts: int) -> tuple[Path, list[dict[str, object]]]:
    """The demo configuration in `tmp/config`, its database and docroots in `tmp`, extended
    to a province (see `province`); the configuration folder and the JPush apps."""
    config = tmp / "config"
    shutil.copytree(CONFIG, config)
    (config / "hub.yaml").write_text(
        f"database: {tmp}/hub.sqlite3\nsites_root: {tmp}/sites\nchannels_root: {tmp}/ch\n"
        f"secrets_file: {tmp}/secrets.json\n",
        encoding="utf-8",
    )
    return config, province(config, tmp, sites, accounts)


def machine_speed() -> float:
    """Milliseconds of a fixed pure-Python loop: this machine's speed at the moment (a shared
    VM's speed varies by a third from one minute to the next; compare runs with it)."""
    started = time.perf_counter()
    total = 0
    for n in range(2_000_000):
        total += n
    return (time.perf_counter() - started) * 1000


def cpu_seconds(pid: int | None = None) -> float:
    """User plus system CPU seconds of this process, or of process `pid` (Linux)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fan_out(
    hub: EmbeddedHub, targets: list[str], title: str, profile: bool, sandbox: int
) -> tuple[float, float, float]:
    """Approve one article, then publish it to every target and deliver until none is
    left unsettled; the seconds from the publish command to the last delivered state.
    Checks that every target got it. Returns the seconds, and the CPU seconds the hub and the
    sandbox spent meanwhile."""
    created = hub.articles.create("zhangwei", "gov", ["notices"], title, BODY)
    hub.articles.submit("zhangwei", created.article_id)
    for user, gates in STAGES:
        hub.articles.approve(user, created.article_id, gates)
    profiler = cProfile.Profile() if profile else None
    hub_cpu, sandbox_cpu = cpu_seconds(), cpu_seconds(sandbox)
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    hub.publishing.publish("qianli", created.article_id, targets, feeds=False, notify=True)
    hub.work()  # plans the deliveries (and makes the first attempts)
    while unsettled_count(hub.store):
        hub.deliveries.run_once()
    seconds = time.perf_counter() - started
    hub_cpu, sandbox_cpu = cpu_seconds() - hub_cpu, cpu_seconds(sandbox) - sandbox_cpu
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(
            int(os.environ.get("BENCH_PROFILE_LINES", 40))
        )
    (delivered,) = hub.store.query(
        "SELECT COUNT(*) FROM deliveries WHERE article_id = ? AND status = 'delivered'",
        (created.article_id,),
    )[0]
    if delivered != len(targets):
        raise SystemExit(f"only {delivered} of {len(targets)} targets got the article")
    return seconds, hub_cpu, sandbox_cpu


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=359)
    parser.add_argument("--accounts", type=int, default=2404)
    parser.add_argument("--repeat", type=int, default=3, help="articles timed (the median counts)")
    args = parser.parse_args(argv)
    configure_logging("warning")
    speed = [machine_speed()]
    with tempfile.TemporaryDirectory(prefix="hub-fanout-") as name:
        tmp = Path(name)
        config, apps = province_config(tmp, args.sites, args.accounts)
        with jpush_sandbox(tmp, apps) as pid, EmbeddedHub.open(config) as hub:
            sandbox = int(pid)
            sites = [f"{s.key}/notices" for s in hub.config.directory.sites
                     if s.column("notices")][: args.sites]  # fmt: skip
            accounts = [f"app:app-{n:04d}" for n in range(args.accounts)]
            targets = sites + accounts
            hub.adapters["website"].warm()  # a running hub has its site indexes open
            cold = fan_out(hub, targets, "关于做好全省秋季森林防火工作的通知", False,
                           sandbox)[0]  # fmt: skip
            runs = [
                fan_out(hub, targets, f"关于做好全省冬季安全生产工作的通知（{n + 1}）",
                        bool(os.environ.get("BENCH_PROFILE")) and n == 0, sandbox)
                for n in range(args.repeat)
            ]  # fmt: skip
            hub.deliveries.close()
            speed.append(machine_speed())
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        f"; a fixed 2M-step loop took {speed[0]:.0f} ms before and {speed[1]:.0f} ms after"
    )
    seconds = statistics.median(r[0] for r in runs)
    print(f"targets: {len(sites)} website columns, {len(accounts)} apps (each notified)")
    print(f"first article into empty sites: seconds={cold:.2f}")
    print("articles into sites holding content: " + " ".join(f"{r[0]:.2f}" for r in runs))
    print("  CPU seconds of the hub: " + " ".join(f"{r[1]:.2f}" for r in runs))
    print("  CPU seconds of the sandbox: " + " ".join(f"{r[2]:.2f}" for r in runs))
    print(f"fanout: targets={len(targets)} seconds={seconds:.2f}")
    return {"targets": len(targets), "seconds": seconds, "cold": cold}


if __name__ == "__main__":
    main()
