"""Users first: background work waits while a command runs, but never for long."""

from __future__ import annotations

import threading
import time

from hub.runtime.foreground import Foreground


def test_background_work_waits_for_a_running_command_to_finish() -> None:
    foreground = Foreground()
    started, release = threading.Event(), threading.Event()

    def command() -> None:
        with foreground.command():
            started.set()
            release.wait(5)

    user = threading.Thread(target=command)
    user.start()
    started.wait(5)
    assert foreground.running == 1
    threading.Timer(0.05, release.set).start()
    began = time.monotonic()
    foreground.yield_to_users(limit=5)
    waited = time.monotonic() - began
    user.join(5)
    assert 0.03 < waited < 2 and foreground.running == 0


def test_a_yield_is_bounded_and_free_when_nobody_waits() -> None:
    foreground = Foreground()
    began = time.monotonic()
    foreground.yield_to_users(limit=5)
    assert time.monotonic() - began < 0.01
    with foreground.command():
        began = time.monotonic()
        foreground.yield_to_users(limit=0.05)  # a command that outlasts the limit
        assert 0.04 < time.monotonic() - began < 1
