"""Loggers that load structlog on first use: the configuration waits for them, calls below
its level are dropped without loading structlog, and what is logged is the JSON line the
configuration asks for (run in fresh interpreters: structlog must not be loaded yet)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip


def test_a_logger_loads_structlog_only_to_log_what_the_level_lets_through() -> None:
    done = run("""
        import sys
        from events.log import get_logger
        from hub.runtime.logs import configure_logging
        log = get_logger("x")
        configure_logging("warning")
        log.debug("quiet.debug", n=1)
        log.info("quiet.info", n=2)
        print(log.is_enabled_for(20), log.is_enabled_for(30))
        print("loaded" if "structlog" in sys.modules else "not loaded")
        log.warning("delivery.failed", delivery_id="d-1", article_id="a-1")
        print("loaded" if "structlog" in sys.modules else "not loaded")
        log.info("still.quiet")
        log.warning("delivery.retried", delivery_id="d-1")  # through the method kept
        print("kept" if "warning" in vars(log) else "looked up")
        print(log.is_enabled_for(20), log.is_enabled_for(40))  # now structlog's answer
    """)
    assert done.stdout.split() == ["False", "True", "not", "loaded", "loaded", "kept",
                                   "False", "True"]  # fmt: skip
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [line["event"] for line in lines] == ["delivery.failed", "delivery.retried"], done.stderr
    assert lines[0]["event"] == "delivery.failed" and lines[0]["level"] == "warning"
    assert lines[0]["delivery_id"] == "d-1" and lines[0]["article_id"] == "a-1"
    assert lines[0]["timestamp"].endswith("Z")


def test_the_last_configuration_before_the_first_log_wins_and_later_ones_apply_at_once() -> None:
    done = run("""
        from events.log import get_logger
        from hub.runtime.logs import configure_logging
        configure_logging("warning")
        configure_logging("debug")
        log = get_logger("y")
        log.debug("shown.debug")
        configure_logging("error")
        get_logger("z").warning("hidden.warning")
        get_logger("z").error("shown.error")
    """)
    events = [json.loads(line)["event"] for line in done.stderr.splitlines()]
    assert events == ["shown.debug", "shown.error"], done.stderr
