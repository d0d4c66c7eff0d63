"""A running hub for the web tests: the ASGI app on uvicorn, the JPush sandbox, the engine
loop, all on 127.0.0.1 (one per test module: logins hash with Argon2id on purpose)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from hub.runtime.embedded import EmbeddedHub
from hub.runtime.server import BackgroundServer, EngineLoop, seed_jpush
from hub.web.app import create_app
from sandboxes import sandbox_app
from sandboxes.jpush import JPushSandbox
from tests.conftest import CONFIG

BODY = "<p>各有关单位：请做好冬季安全生产工作。</p>"


@dataclass
class Web:
    hub: EmbeddedHub
    url: str
    passwords: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, user: str) -> str:
        if user not in self.tokens:
            self.tokens[user] = self.hub.logins.create_token(user, "tests")[1]
        return self.tokens[user]

    def api(self, user: str | None, method: str, path: str, **kwargs: object) -> requests.Response:
        """Call /api/v1 as `user` (with their API token), or anonymously."""
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        headers |= kwargs.pop("headers", None) or {}  # type: ignore[operator]
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=30,
                                **kwargs)  # type: ignore[arg-type]  # fmt: skip

    def login(self, user: str) -> tuple[requests.Session, str]:
        """A browser-like session logged in as `user`, and its CSRF token."""
        session = requests.Session()
        answer = session.post(f"{self.url}/login", allow_redirects=False, timeout=30,
                              data={"username": user, "password": self.passwords[user]})  # fmt: skip
        assert answer.status_code == 303, answer.text[:500]
        page = session.get(f"{self.url}/console", timeout=30).text
        match = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert match
        return session, match.group(1)

    def article(self, site: str = "gov", column: str = "notices", by: str = "zhangwei",
                major: bool = False) -> str:  # fmt: skip
        """A draft made through the API; its id."""
        answer = self.api(by, "POST", "/articles", json={
            "site": site, "columns": [column], "title": "关于做好冬季安全生产工作的通知",
            "body_html": BODY, "metadata": {"major": major}})  # fmt: skip
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


def start(tmp: Path) -> tuple[Web, list[object]]:
    config = tmp / "config"
    shutil.copytree(CONFIG, config)
    (config / "hub.yaml").write_text(
        f"database: {tmp / 'hub.sqlite3'}\ndurable: false\nlog_level: warning\n", encoding="utf-8"
    )
    jpush = JPushSandbox()
    sandbox = BackgroundServer(sandbox_app(jpush)).start()
    mp = pytest.MonkeyPatch()
    mp.setenv("HUB_JPUSH_URL", sandbox.url)
    hub = EmbeddedHub.open(config)
    seed_jpush(hub, jpush)
    passwords = hub.demo_passwords()
    server = BackgroundServer(create_app(hub)).start()
    engine = EngineLoop(hub, interval=0.1).start()
    return Web(hub, server.url, passwords), [engine, server, sandbox, hub, mp]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    running, parts = start(tmp_path_factory.mktemp("web"))
    yield running
    engine, server, sandbox, hub, mp = parts
    engine.stop()  # type: ignore[attr-defined]
    server.stop()  # type: ignore[attr-defined]
    sandbox.stop()  # type: ignore[attr-defined]
    hub.close()  # type: ignore[attr-defined]
    mp.undo()  # type: ignore[attr-defined]
