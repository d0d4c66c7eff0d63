"""How long a `hub` command takes from the shell prompt to its exit: the listing, a group's
help, and commands that open the hub and read it.

    python -m bench.cli_startup --runs 7

Workload: a private copy of the demo configuration (its own SQLite file) with one article
drafted; each command runs `runs` times as a fresh process (`python -m hub`), the median wall
time is reported. The product's bytecode is compiled first, as the setup scripts do.

Also every command's `--help` once (`every_help_max_s`: the slowest of them): a command
starts (its function is entered) at that cost; what it then loads is what it needs.

Ends with: cli_startup: help_s=X group_help_s=Y every_help_max_s=M article_list_s=Z users_s=W
review_queue_s=V
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "help": ["--help"],
    "group_help": ["article", "--help"],
    "article_list": ["article", "list", "--json"],
    "users": ["users"],
    "review_queue": ["review", "queue", "--as", "liting"],
}


def hub_commands() -> list[str]:
    """Every top-level command (from the command line's own table)."""
    from hub.cli import COMMANDS as TABLE

    return sorted(TABLE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for package in ("hub", "events", "workflows", "channels", "sandboxes"):
        compileall.compile_dir(ROOT / package, quiet=1, workers=0)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config"
        shutil.copytree(ROOT / "config", config)
        (config / "hub.yaml").write_text(
            f"database: {Path(tmp) / 'hub.sqlite3'}\ndemo_logins: true\n", encoding="utf-8"
        )
        env = {**os.environ, "HUB_CONFIG": str(config), "HOME": tmp}
        env.pop("HUB_TOKEN", None)

        def hub(*argv: str) -> float:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "hub", *argv], env=env, cwd=tmp,
                                  capture_output=True, text=True, timeout=120)  # fmt: skip
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"hub {' '.join(argv)} failed: {done.stderr[-500:]}")
            return elapsed

        body = Path(tmp) / "body.html"
        body.write_text("<p>现将有关事项通知如下。</p>", encoding="utf-8")
        hub("init")
        hub("article", "create", "--site", "gov", "--column", "notices", "--title",
            "关于开展网站自查的通知", "--body-file", str(body), "--as", "zhangwei")  # fmt: skip
        medians = {}
        for name, argv in COMMANDS.items():
            times = [hub(*argv) for _ in range(args.runs)]
            medians[name] = statistics.median(times)
            print(f"{name:14s} median {medians[name]:.3f} s  min {min(times):.3f} s")
            if name == "group_help":
                every = {command: hub(command, "--help") for command in hub_commands()}
                slowest = max(every, key=lambda c: every[c])
                medians["every_help_max"] = every[slowest]
                print(f"every --help   max {every[slowest]:.3f} s ({slowest}), "
                      f"median {statistics.median(every.values()):.3f} s")  # fmt: skip
    print("cli_startup: " + " ".join(f"{k}_s={v:.3f}" for k, v in medians.items()))


if __name__ == "__main__":
    main()
