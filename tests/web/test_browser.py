"""The whole story in a real headless Chromium (Debian's package, driven by Playwright): an
editor drafts an article with a table and an image and submits it; three reviewers approve
it, the second first returning it with a reason; the editor publishes; the operator's board
shows the deliveries turn delivered without a reload. Screenshots go to
test-artifacts/browser/ (one per page)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.conftest import ROOT
from tests.web.conftest import Web

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (./scripts/test installs it)",
)

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    pytest.skip("playwright is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )  # fmt: skip
        yield launched
        launched.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(browser: Browser, web: Web, user: str) -> Page:
    page = browser.new_context(locale="zh-CN").new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.goto(f"{web.url}/console")
    expect(page).to_have_url(f"{web.url}/login?next=%2Fconsole")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", web.passwords[user])
    page.click("button[type=submit]")
    expect(page.locator(".who span")).to_contain_text(user)
    return page


def test_the_story_in_a_browser(browser: Browser, web: Web, tmp_path: Path) -> None:
    # A wrong password is refused in Chinese.
    page = browser.new_context().new_page()
    page.goto(f"{web.url}/login")
    page.fill("input[name=username]", "zhangwei")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("用户名或密码错误")
    shot(page, "01-login-refused")

    # The editor drafts with the rich-text editor: a paragraph, a table, an image.
    editor = log_in(browser, web, "zhangwei")
    shot(editor, "02-dashboard-editor")
    editor.click("text=新建稿件 >> nth=0")
    editor.select_option("select[name=column]", "gov/notices")
    editor.fill("input[name=title]", "关于做好今冬明春安全生产工作的通知")
    body = editor.locator(".editor")
    expect(body).to_be_visible()
    body.click()
    editor.keyboard.type("各市、县人民政府，省直各有关单位：")
    editor.evaluate(
        """() => {
        const html = '<table><tbody><tr><th>时间</th><th>事项</th></tr>'
          + '<tr><td>12月1日</td><td>开展检查</td></tr></tbody></table>'
          + '<p><img src="/sites/gov/favicon.png" alt="检查现场"></p><script>alert(1)</script>';
        const data = new DataTransfer();
        data.setData('text/html', html);
        document.querySelector('.editor').dispatchEvent(
          new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }"""
    )
    # A photo from the editor's disk, through the 图片 button: uploaded, then linked.
    photo = tmp_path / "现场.png"
    Image.new("RGB", (32, 24), (30, 120, 200)).save(photo)
    with editor.expect_file_chooser() as chooser:
        editor.click(".toolbar button[data-cmd=image]")
    chooser.value.set_files(str(photo))
    expect(body.locator("img[src^='/media/']")).to_have_count(1)
    editor.fill("input[name=source]", "省应急管理厅")
    # The system checks run as the editor types: a 文号 with square brackets is flagged at
    # its field (GB/T 9704 wants 〔〕), and the flag goes once it is corrected.
    editor.fill("input[name=doc_number]", "示应急[2026]1号")
    expect(editor.locator("#check-findings li[data-rule=P16]")).to_be_visible(timeout=10_000)
    expect(editor.locator("label:has(input[name=doc_number]) .field-error")).to_contain_text("P16")
    expect(editor.locator("#check-state")).to_contain_text("将阻止送审")
    editor.fill("input[name=doc_number]", "示应急〔2026〕1号")
    expect(editor.locator("#check-state")).to_have_text("未发现问题", timeout=10_000)
    shot(editor, "03-draft-form")
    editor.click("form#article-form button[type=submit]")
    expect(editor.locator(".notice")).to_contain_text("稿件已保存")
    content = editor.locator("article.content")
    expect(content.locator("table td").first).to_have_text("12月1日")
    expect(content.locator("img[alt=检查现场]")).to_have_count(1)
    uploaded = content.locator("img[src^='/media/']")
    expect(uploaded).to_have_count(1)
    # The draft's image shows to its staff (the browser's session), not to the public.
    editor.wait_for_function(
        "() => document.querySelector(\"article.content img[src^='/media/']\").naturalWidth > 0"
    )
    anonymous = requests.get(web.url + str(uploaded.get_attribute("src")), timeout=30)
    assert anonymous.status_code == 404
    assert content.locator("script").count() == 0
    article_url = editor.url.split("?")[0]
    editor.click("form[action$='/submit'] button")
    expect(editor.locator("#article-status")).to_have_text("审核中")
    shot(editor, "04-submitted")

    # 初审 approves, attesting its gates.
    first = log_in(browser, web, "liting")
    first.click("#queue a")
    for box in first.locator("form.approve input[name=gates]").all():
        box.check()
    shot(first, "05-first-review")
    first.click("form.approve button[type=submit]")
    expect(first.locator(".notice")).to_contain_text("审核通过")

    # 复审 returns it with a reason; the editor sees it, edits, resubmits.
    second = log_in(browser, web, "wangqiang")
    second.goto(article_url)
    second.fill("form[action$='/return'] textarea", "请补充检查的牵头单位")
    second.click("form[action$='/return'] button")
    expect(second.locator("#article-status")).to_have_text("已退回")
    shot(second, "06-returned")
    editor.goto(article_url)
    expect(editor.locator(".returned")).to_contain_text("请补充检查的牵头单位")
    editor.click("text=修改")
    editor.locator(".editor").click()
    editor.keyboard.press("End")
    editor.keyboard.type("由省应急管理厅牵头。")
    editor.click("form#article-form button[type=submit]")
    expect(editor.locator(".diff")).to_contain_text("牵头")
    editor.click("form[action$='/submit'] button")
    expect(editor.locator("#article-status")).to_have_text("审核中")

    # Three different reviewers approve revision 2 (the return voided the first approval).
    for user in ("liting", "wangqiang", "chenjing"):
        reviewer = log_in(browser, web, user)
        reviewer.goto(article_url)
        for box in reviewer.locator("form.approve input[name=gates]").all():
            box.check()
        reviewer.click("form.approve button[type=submit]")
        expect(reviewer.locator(".notice")).to_contain_text("审核通过")
        shot(reviewer, f"07-approved-by-{user}")
        reviewer.context.close()
    editor.goto(article_url)
    expect(editor.locator("#article-status")).to_have_text("已审定待发布")

    # The operator watches the board while the editor publishes: rows arrive and turn
    # delivered over server-sent events, with no reload.
    operator = log_in(browser, web, "qianli")
    article_id = article_url.rsplit("/", 1)[1]
    operator.goto(f"{web.url}/console/deliveries?article={article_id}")
    expect(operator.locator("#live")).to_have_class("live on")
    operator.evaluate("window.__loaded = performance.timeOrigin")
    loaded = operator.evaluate("window.__loaded")
    editor.click("form[action$='/publish'] button")
    expect(editor.locator("#article-status")).to_have_text("已发布")
    rows = operator.locator("#deliveries tbody tr")
    expect(rows.first).to_be_visible(timeout=15_000)
    expect(operator.locator("#deliveries tbody tr[data-status=delivered]")).to_have_count(
        rows.count(), timeout=15_000
    )
    assert rows.count() >= 3  # the column's site, its app and its screen
    assert operator.evaluate("window.__loaded") == loaded  # the same page: never reloaded
    shot(operator, "08-operator-board")
    shot(editor, "09-published")
