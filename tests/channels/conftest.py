"""A JPush sandbox over real HTTP, with one app, for the tests of the sandbox and the client;
and `world`: both social platforms' sandboxes with the real adapters (social_world.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.runtime.server import BackgroundServer
from sandboxes import sandbox_app
from sandboxes.jpush import JPushSandbox
from tests.channels.social_world import world  # noqa: F401  (the WeChat + Weibo fixture)

KEY, SECRET = "0123456789abcdef01234567", "master-secret"


@pytest.fixture
def jpush() -> Iterator[tuple[JPushSandbox, str]]:
    """The sandbox and its base URL; the app KEY/SECRET has two devices."""
    sandbox = JPushSandbox()
    sandbox.add_app(KEY, SECRET, devices=2)
    server = BackgroundServer(sandbox_app(sandbox)).start()
    yield sandbox, server.url
    server.stop()
