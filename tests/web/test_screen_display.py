"""The wall's display page in Chromium: opened with its token in the fragment, it connects
(playlist and live events through the screen-bound cookie) and leaves no token in the address."""

from __future__ import annotations

import pytest

from tests.web.conftest import Web
from tests.web.test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.slow


def test_the_display_page_connects_with_a_token_in_the_fragment_only(
    web: Web,
    browser,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    token = web.hub.screen_token("sf-hall")
    page = browser.new_context(locale="zh-CN").new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{web.url}/screen/v1/screens/sf-hall/display#token={token}")
    expect(page.locator("#status")).to_have_text("实时连接", timeout=15_000)
    assert "#" not in page.url and token not in page.url
    assert requested and not any(token in url for url in requested)
    cookies = page.context.cookies()
    assert [c["name"] for c in cookies] == ["hub_screen"] and cookies[0]["httpOnly"]
    wrong = browser.new_context().new_page()
    wrong.goto(f"{web.url}/screen/v1/screens/sf-hall/display#token=wrong")
    expect(wrong.locator("#status")).to_have_text("大屏令牌无效", timeout=15_000)
