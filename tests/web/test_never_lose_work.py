"""Never lose work, in Chromium: a draft typed, then the session gone (as after 30 idle
minutes), is offered back after logging in again; a saved one is forgotten; two editors of
one article see each other; the page warns before the session expires."""

from __future__ import annotations

import pytest

from tests.web.conftest import Web
from tests.web.test_browser import browser, log_in  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.slow

TITLE = "关于做好春节期间值班值守工作的通知"


def test_a_draft_survives_a_lost_session_and_is_forgotten_once_saved(
    web: Web,
    browser,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    page = log_in(browser, web, "zhangwei")
    page.goto(f"{web.url}/console/articles/new")
    page.fill("input[name=title]", TITLE)
    page.locator(".editor").click()
    page.keyboard.type("各有关单位：请安排好节日期间值班。")
    page.wait_for_timeout(2500)  # the form is kept after 1.5 s of quiet
    page.context.clear_cookies()  # the session is gone
    page.goto(f"{web.url}/console/articles/new")
    expect(page).to_have_url(f"{web.url}/login?next=%2Fconsole%2Farticles%2Fnew")
    page.fill("input[name=username]", "zhangwei")
    page.fill("input[name=password]", web.passwords["zhangwei"])
    page.click("button[type=submit]")
    recovery = page.locator(".draft-recovery")
    expect(recovery).to_be_visible()
    recovery.locator("[data-restore]").click()
    expect(page.locator("input[name=title]")).to_have_value(TITLE)
    expect(page.locator(".editor")).to_contain_text("请安排好节日期间值班")
    page.click("form#article-form button[type=submit]")
    expect(page.locator(".notice")).to_contain_text("稿件已保存")
    # The page's script forgets the kept draft; the notice shows before it has run (a loaded
    # machine once went on to the next page in between).
    page.wait_for_load_state("load")
    page.goto(f"{web.url}/console/articles/new")
    expect(page.locator(".draft-recovery")).to_be_hidden()


def test_editors_see_each_other_and_the_session_warning_comes_first(
    web: Web,
    browser,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    article = web.article()
    first = log_in(browser, web, "zhangwei")
    first.goto(f"{web.url}/console/articles/{article}/edit")
    second = log_in(browser, web, "liuyang")
    second.goto(f"{web.url}/console/articles/{article}/edit")
    expect(second.locator(".presence")).to_contain_text("张伟 也正在编辑此稿件")
    warned = log_in(browser, web, "wangqiang")
    warned.clock.install()
    warned.goto(f"{web.url}/console")
    expect(warned.locator(".session-warning")).to_be_hidden()
    warned.clock.fast_forward("25:01")
    expect(warned.locator(".session-warning")).to_be_visible()
    warned.locator("[data-keepalive]").click()
    expect(warned.locator(".session-warning")).to_be_hidden()
