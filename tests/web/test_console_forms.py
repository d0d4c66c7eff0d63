"""The staff pages on bad input: a clear message in Chinese and a 4xx, never a 500; no page
without a login; no change without the session's CSRF token."""

from __future__ import annotations

import re

import pytest
import requests

from tests.helpers import settled
from tests.web.conftest import Web


def error_of(html: str) -> str:
    match = re.search(r'<p class="error" role="alert"><strong title="([A-Z_]+)">', html)
    return match.group(1) if match else ""


def test_pages_need_a_login(web: Web) -> None:
    import requests

    for path in ("/console", "/console/articles", "/console/deliveries", "/console/articles/new"):
        answer = requests.get(web.url + path, allow_redirects=False, timeout=30)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")
    stream = requests.get(web.url + "/console/deliveries/stream", timeout=30)
    assert stream.status_code == 401


def test_login_refuses_other_origins_and_never_redirects_away(web: Web) -> None:
    import requests

    forged = requests.post(f"{web.url}/login", timeout=30, allow_redirects=False,
                           headers={"Origin": "http://evil.example"},
                           data={"username": "zhangwei", "password": web.passwords["zhangwei"]})  # fmt: skip
    assert forged.status_code == 403 and error_of(forged.text) == "CSRF_FAILED"
    away = requests.post(f"{web.url}/login", timeout=30, allow_redirects=False,
                         data={"username": "zhangwei", "password": web.passwords["zhangwei"],
                               "next": "//evil.example/x"})  # fmt: skip
    assert away.status_code == 303 and away.headers["location"] == "/console"


@pytest.mark.parametrize(
    ("path", "form", "code"),
    [
        (
            "/console/articles/new",
            {"column": "", "title": "标题", "body_html": "<p>x</p>"},
            "COLUMN_REQUIRED",
        ),
        (
            "/console/articles/new",
            {"column": "gov/nowhere", "title": "标题", "body_html": "<p>x</p>"},
            "COLUMN_UNKNOWN",
        ),
        (
            "/console/articles/new",
            {"column": "gov/notices", "title": "标题", "body_html": "<script>x</script>"},
            "INVALID_INPUT",
        ),
        (
            "/console/articles/new",
            {
                "column": "gov/notices",
                "title": "标题",
                "body_html": "<p>x</p>",
                "written_date": "昨天",
            },
            "INVALID_INPUT",
        ),
        ("/console/articles/{a}/approve", {"gates": "wording"}, "INVALID_STATE"),
        ("/console/articles/{a}/return", {"reasons": "  "}, "INVALID_INPUT"),
        ("/console/articles/{a}/publish", {"at": "明天早上"}, "INVALID_INPUT"),
        ("/console/articles/{a}/nonsense", {}, "COMMAND_UNKNOWN"),
        ("/console/articles/0000000000/submit", {}, "ARTICLE_NOT_FOUND"),
    ],
)
def test_bad_forms_get_a_clear_error(web: Web, path: str, form: dict, code: str) -> None:
    session, csrf = web.login("zhangwei")
    article = web.article()
    form = {"sensitivity": "normal", "keywords": "", **form, "csrf_token": csrf}
    answer = session.post(web.url + path.replace("{a}", article), data=form, timeout=30,
                          allow_redirects=False)  # fmt: skip
    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert error_of(answer.text) == code


def test_a_change_without_the_csrf_token_is_refused(web: Web) -> None:
    session, _ = web.login("zhangwei")
    article = web.article()
    answer = session.post(f"{web.url}/console/articles/{article}/submit", data={}, timeout=30)
    assert answer.status_code == 403
    shown = web.api("zhangwei", "GET", f"/articles/{article}").json()
    assert shown["status"] == "draft"


def test_operators_cancel_only_what_can_be_cancelled(web: Web) -> None:
    import time

    from tests.helpers import approve_all

    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    assert web.api("zhangwei", "POST", f"/articles/{article}/publish", json={}).status_code == 200
    deadline = time.monotonic() + 20
    rows: list = []
    while time.monotonic() < deadline:
        rows = web.api("qianli", "GET", "/deliveries", params={"article": article}).json()
        if rows and all(r["status"] == "delivered" for r in rows):
            break
        time.sleep(0.2)
    delivered = rows[0]["id"]
    session, csrf = web.login("qianli")
    board = session.get(f"{web.url}/console/deliveries?article={article}", timeout=30).text
    assert f"/console/deliveries/{delivered}/cancel" not in board  # no button for it
    refused = session.post(f"{web.url}/console/deliveries/{delivered}/cancel", timeout=30,
                           data={"csrf_token": csrf, "reason": "发错了"})  # fmt: skip
    assert refused.status_code == 409 and error_of(refused.text) == "DELIVERY_NOT_CANCELLABLE"
    unknown = session.post(f"{web.url}/console/deliveries/{delivered}/explode", timeout=30,
                           data={"csrf_token": csrf})  # fmt: skip
    assert 400 <= unknown.status_code < 500 and error_of(unknown.text) == "COMMAND_UNKNOWN"
    forged = session.post(f"{web.url}/console/deliveries/{delivered}/cancel", timeout=30,
                          data={"reason": "发错了"})  # fmt: skip
    assert forged.status_code == 403


def test_the_publication_plan_sends_one_article_to_chosen_sites_and_accounts(web: Web) -> None:
    import time

    from tests.helpers import approve_all

    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    editor, editor_csrf = web.login("zhangwei")
    page = editor.get(f"{web.url}/console/articles/{article}", timeout=30).text
    assert 'name="to" value="gov/notices" checked' in page  # its own column, ticked
    assert 'value="wechat:sf-wechat"' in page and 'value="weibo:sf-weibo"' in page  # new media
    # Only the sites where the editor publishes are offered (each site answers for itself).
    assert 'value="drc/notices"' not in page and 'value="app:city-app"' not in page
    session, csrf = web.login("qianli")  # an operator of every site: 一稿多发
    page = session.get(f"{web.url}/console/articles/{article}", timeout=30).text
    assert 'value="drc/notices"' in page and 'value="app:city-app"' in page
    wrong = session.post(f"{web.url}/console/articles/{article}/publish", timeout=30,
                         data=[("csrf_token", csrf), ("plan", "1"), ("to", "nowhere/x")])  # fmt: skip
    assert wrong.status_code == 400 and "SITE_UNKNOWN" in wrong.text  # nothing published
    assert web.api("zhangwei", "GET", f"/articles/{article}").json()["status"] == "approved"
    foreign = editor.post(f"{web.url}/console/articles/{article}/publish", timeout=30,
                          data=[("csrf_token", editor_csrf), ("plan", "1"),
                                ("to", "city/notices")])  # fmt: skip
    assert foreign.status_code == 403 and "SITE_ROLE_REQUIRED" in foreign.text
    plan = [("csrf_token", csrf), ("plan", "1"), ("to", "gov/notices"), ("to", "city/notices"),
            ("to", "app:city-app")]  # fmt: skip
    answer = session.post(f"{web.url}/console/articles/{article}/publish", data=plan, timeout=30)
    assert answer.status_code in (200, 303), answer.text[:300]
    deadline = time.monotonic() + 20
    targets: set[str] = set()
    while time.monotonic() < deadline:
        rows = web.api("qianli", "GET", "/deliveries", params={"article": article}).json()
        targets = {r["target"] for r in rows}
        if rows and all(r["status"] == "delivered" for r in rows):
            break
        time.sleep(0.2)
    # The chosen columns and account; no feeds, as "feeds" was left unticked.
    directory = web.hub.config.directory
    gov, city = directory.site("gov").code, directory.site("city").code
    assert targets == {f"website:{gov}/notices", f"website:{city}/notices", "app:city-app"}


def test_the_article_page_marks_findings_where_they_are(web: Web) -> None:
    body = "<p>经核查，当事人身份证号码 <b>11010519491231002X</b>，现予公示。</p>"
    made = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": "关于某事项的公示", "body_html": body})  # fmt: skip
    article = made.json()["id"]
    web.api("zhangwei", "POST", f"/articles/{article}/submit")  # checked, whatever it decides
    findings = web.api("zhangwei", "GET", f"/articles/{article}/findings").json()
    assert any("11010519491231002X" in f["text"] for f in findings["recorded"]), findings
    session, _ = web.login("zhangwei")
    page = session.get(f"{web.url}/console/articles/{article}", timeout=30).text
    assert re.search(
        r'<b><mark class="finding sev-\w+" title="P\d+ [^"]+">11010519491231002X</mark></b>', page
    )


def test_fixes_and_overrides_from_the_article_page(web: Web) -> None:
    body = "<p>联系人张三，电话13812345678。详见<a href='http://www.example.com/a'>说明</a>。</p>"
    made = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": "关于调整办事指南的通知", "body_html": body})  # fmt: skip
    article = made.json()["id"]
    web.api("zhangwei", "POST", f"/articles/{article}/submit")  # blocked: P10 has a fix
    editor, csrf = web.login("zhangwei")
    page = editor.get(f"{web.url}/console/articles/{article}", timeout=30).text
    assert f'action="/console/articles/{article}/fix"' in page
    editor.post(f"{web.url}/console/articles/{article}/fix", data={"csrf_token": csrf}, timeout=30)
    assert web.api("zhangwei", "GET", f"/articles/{article}").json()["revision"] == 2
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    reviewer, token = web.login("liting")
    page = reviewer.get(f"{web.url}/console/articles/{article}", timeout=30).text
    ids = re.findall(r'name="finding_id" value="([^"]+)"', page)
    assert ids, "the reviewer is offered to accept each open REVIEW finding"
    empty = reviewer.post(f"{web.url}/console/articles/{article}/override", timeout=30,
                          data={"csrf_token": token, "finding_id": ids[0], "reason": ""})  # fmt: skip
    assert empty.status_code == 400
    for finding_id in ids:
        reviewer.post(f"{web.url}/console/articles/{article}/override", timeout=30,
                      data={"csrf_token": token, "finding_id": finding_id, "reason": "已核实"})  # fmt: skip
    page = reviewer.get(f"{web.url}/console/articles/{article}", timeout=30).text
    assert page.count("已接受") == len(ids) and 'name="finding_id"' not in page


def test_previews_show_each_target_as_it_will_look_without_publishing(web: Web) -> None:
    from urllib.parse import quote

    body = "<p>各有关单位：请做好冬季安全生产工作。</p>"
    made = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": "关于做好冬季安全生产工作的通知",
        "body_html": body, "metadata": {"summary": "部署冬季安全生产"}})  # fmt: skip
    article = made.json()["id"]
    session, _ = web.login("zhangwei")
    page = session.get(f"{web.url}/console/articles/{article}", timeout=30).text
    targets = re.findall(r'data-target="([^"]+)"', page)
    gov = web.hub.config.directory.site("gov").code
    assert targets == [f"website:{gov}/notices", "app:sf-app", "screen:sf-hall"]  # with feeds

    def preview(target: str) -> requests.Response:
        return session.get(f"{web.url}/console/articles/{article}/preview?target={quote(target)}",
                           timeout=30)  # fmt: skip

    site = preview(targets[0])
    assert site.status_code == 200 and '<base href="/sites/gov/notices/">' in site.text
    assert "关于做好冬季安全生产工作的通知" in site.text and "请做好冬季安全生产工作" in site.text
    assert "sandbox" in site.headers["content-security-policy"]
    app, screen = preview(targets[1]), preview(targets[2])
    assert 'class="phone"' in app.text and "部署冬季安全生产" in app.text
    assert 'class="wall"' in screen.text and "关于做好冬季安全生产工作的通知" in screen.text
    unknown = preview("app:city-app")
    assert unknown.status_code == 400 and "TARGET_UNKNOWN" in unknown.text
    assert not (web.hub.config.sites_root / "gov" / "notices" / f"{article}.html").exists()
    assert web.api("qianli", "GET", "/deliveries", params={"article": article}).json() == []
    stranger, _ = web.login("zhoumin")  # an editor of another site
    hidden = stranger.get(f"{web.url}/console/articles/{article}/preview?target={quote(targets[0])}",
                          timeout=30)  # fmt: skip
    assert hidden.status_code == 404


def test_wechat_and_weibo_previews_and_what_would_stop_them(web: Web) -> None:
    from urllib.parse import quote

    def previews(title: str) -> tuple[str, str]:
        made = web.api("zhangwei", "POST", "/articles", json={
            "site": "gov", "columns": ["news-gov"], "title": title,
            "body_html": "<p>省政府召开全省数字政府建设推进会。</p>",
            "metadata": {"summary": "部署数字政府建设"}})  # fmt: skip
        article = made.json()["id"]
        session, _ = web.login("zhangwei")
        page = session.get(f"{web.url}/console/articles/{article}", timeout=30).text
        targets = re.findall(r'data-target="([^"]+)"', page)
        assert "wechat:sf-wechat" in targets and "weibo:sf-weibo" in targets  # 政务要闻 feeds
        shown = [session.get(f"{web.url}/console/articles/{article}/preview?target={quote(t)}",
                             timeout=30) for t in ("wechat:sf-wechat", "weibo:sf-weibo")]  # fmt: skip
        assert all(p.status_code == 200 for p in shown)
        return shown[0].text, shown[1].text

    wechat, weibo = previews("省政府召开全省数字政府建设推进会")
    assert "示范省人民政府微信公众号" in wechat and "阅读原文" in wechat
    assert "不能发布" not in wechat
    assert "【省政府召开全省数字政府建设推进会】部署数字政府建设" in weibo
    assert "https://www.sf.gov.cn/news-gov/" in weibo and "/140 字" in weibo
    wechat, weibo = previews("关于" + "全省数字政府建设" * 5 + "的通知")  # 44 characters
    assert "不能发布到微信" in wechat and "32" in wechat
    assert "不能发布到微博" not in weibo  # a post holds it


def test_every_government_metadata_field_is_on_the_form(web: Web) -> None:
    session, csrf = web.login("zhangwei")
    form = session.get(f"{web.url}/console/articles/new", timeout=30).text
    for field in ("source", "author", "summary", "keywords", "doc_number", "index_number",
                  "issuing_agency", "written_date", "subject_category", "disclosure_type",
                  "disclosure_reason", "sensitivity", "pii_exemption", "major", "repost"):  # fmt: skip
        assert f'name="{field}"' in form, field
    fields = {"csrf_token": csrf, "column": "gov/policy-gov", "title": "示范省安全生产条例实施办法",
              "body_html": "<p>第一条 为了加强安全生产工作……</p>", "source": "示范省人民政府",
              "doc_number": "示政发〔2026〕3号", "issuing_agency": "示范省人民政府",
              "written_date": "2026-11-20", "subject_category": "安全生产监管",
              "disclosure_type": "proactive", "pii_exemption": "", "keywords": "安全生产，条例"}  # fmt: skip
    saved = session.post(f"{web.url}/console/articles/new", data=fields, timeout=30)
    assert saved.status_code == 200 and "稿件已保存" in saved.text
    article = re.search(r"/console/articles/([0-9a-f-]{36})", saved.url)
    assert article
    meta = web.api("zhangwei", "GET", f"/articles/{article.group(1)}").json()["metadata"]
    assert meta["subject_category"] == "安全生产监管" and meta["doc_number"] == "示政发〔2026〕3号"
    assert meta["index_number"], "a 公开目录 column gets its 索引号 generated"
    assert meta["keywords"] == ["安全生产", "条例"] and meta["written_date"] == "2026-11-20"
    withheld = {**fields, "disclosure_type": "not_disclosed", "disclosure_reason": ""}
    refused = session.post(f"{web.url}/console/articles/new", data=withheld, timeout=30)
    assert refused.status_code == 400 and "不予公开必须填写理由" in refused.text
    assert 'value="示范省安全生产条例实施办法"' in refused.text  # the form keeps what was typed


def test_pages_offer_only_what_the_user_may_do(web: Web) -> None:
    from tests.helpers import approve_all

    def buttons(user: str, article: str) -> set[str]:
        session, _ = web.login(user)
        page = session.get(f"{web.url}/console/articles/{article}", timeout=30).text
        found = set(re.findall(r'action="/console/articles/[^/"]+/([a-z]+)"', page))
        return found

    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    assert "approve" not in buttons("zhangwei", article)  # the author never reviews
    assert "withdraw" in buttons("zhangwei", article)
    assert {"approve", "return"} <= buttons("liting", article)  # 初审's reviewer
    assert not {"approve", "return", "withdraw"} & buttons("wangqiang", article)  # 复审 waits
    approve_all(web, article)
    assert "publish" in buttons("zhangwei", article)
    assert "publish" not in buttons("chenjing", article)  # a final reviewer does not publish
    assert "publish" in buttons("qianli", article)


def test_console_times_are_beijing_time(web: Web) -> None:
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    article = web.article()
    session, _ = web.login("zhangwei")
    page = session.get(f"{web.url}/console/articles/{article}", timeout=30).text
    shown = datetime.strptime(re.findall(r"<time>([^<]+)</time>", page)[0], "%Y-%m-%d %H:%M")
    assert timedelta(hours=7, minutes=59) <= shown - before <= timedelta(hours=8, minutes=1)
    listing = session.get(f"{web.url}/console/articles", timeout=30).text
    assert f"{shown:%Y-%m-%d %H:%M}" in listing


def test_banners_come_from_fixed_codes_never_from_the_address(web: Web) -> None:
    forged = "账号已冻结，请致电 400-000-0000 解锁"
    assert forged not in requests.get(f"{web.url}/login", params={"done": forged}, timeout=30).text
    session, _ = web.login("zhangwei")
    page = session.get(f"{web.url}/console", params={"done": forged}, timeout=30).text
    assert forged not in page
    assert "稿件已保存" in session.get(f"{web.url}/console", params={"done": "saved"},
                                      timeout=30).text  # fmt: skip


def test_private_pages_cannot_be_framed_cached_or_leak_their_address(web: Web) -> None:
    login = requests.get(f"{web.url}/login", timeout=30)
    assert login.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    session, _ = web.login("zhangwei")
    for path in ("/console", "/console/articles"):
        page = session.get(f"{web.url}{path}", timeout=30)
        assert page.headers["x-frame-options"] == "SAMEORIGIN", path
        assert "frame-ancestors 'self'" in page.headers["content-security-policy"], path
        assert page.headers["cache-control"] == "no-store", path
        assert page.headers["referrer-policy"] == "same-origin", path
    api = web.api("zhangwei", "GET", "/me")
    assert api.headers["cache-control"] == "no-store"


def test_login_never_redirects_to_another_site_however_the_address_is_written(web: Web) -> None:
    for target in ("/\t/evil.example/", "/\\evil.example", "//evil.example", "/ /evil.example",
                   "https://evil.example/", "/%09/evil.example"):  # fmt: skip
        answer = requests.post(f"{web.url}/login", allow_redirects=False, timeout=30, data={
            "username": "zhangwei", "password": web.passwords["zhangwei"], "next": target})  # fmt: skip
        assert answer.status_code == 303
        location = answer.headers["location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), target
        assert "evil.example" not in location or location.startswith("/%09"), (target, location)


def test_the_console_finds_work_and_names_things_as_people_do(web: Web) -> None:
    from tests.helpers import approve_all

    session, _ = web.login("zhangwei")
    unique = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": "关于开展古树名木普查的通知",
        "body_html": "<p>请各地开展古树名木普查登记。</p>"}).json()["id"]  # fmt: skip
    found = session.get(f"{web.url}/console/articles", params={"q": "名木普查"}, timeout=30).text
    assert f"/console/articles/{unique}" in found
    cells = re.sub(r"<[^>]+>", "|", found.split("<tbody>")[1].split("</tbody>")[0])
    assert "张伟" in cells and "示范省人民政府" in cells  # names, not zhangwei / 9900000001
    assert "|zhangwei|" not in cells and "|9900000001|" not in cells
    for _ in range(51):
        web.article()
    first = session.get(f"{web.url}/console/articles", params={"author": "zhangwei"}, timeout=30)
    assert first.text.count('<tr><td><a href="/console/articles/') == 50
    more = re.search(r'href="(/console/articles\?[^"]*cursor=[^"]+)" rel="next"', first.text)
    assert more, "no next page"
    second = session.get(f"{web.url}{more.group(1).replace('&amp;', '&')}", timeout=30)
    assert second.status_code == 200 and '<a href="/console/articles/' in second.text
    dashboard = session.get(f"{web.url}/console", timeout=30).text
    assert "关于做好冬季安全生产工作的通知" in dashboard  # the editor's newest, 50 shown
    bad = session.get(f"{web.url}/console/articles", params={"from": "2026-13-01"}, timeout=30)
    assert bad.status_code == 400 and "日期格式有误" in bad.text
    # The board names targets and articles.
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    web.api("zhangwei", "POST", f"/articles/{article}/publish",
            json={"to": ["gov/notices"], "feeds": False})  # fmt: skip
    settled(web, article)  # planned by the engine loop in the background
    operator, _ = web.login("qianli")
    board = operator.get(f"{web.url}/console/deliveries", params={"article": article},
                         timeout=30).text  # fmt: skip
    assert "示范省人民政府门户网站·通知公告" in board and "关于做好冬季安全生产工作的通知" in board


def test_the_plan_says_before_the_click_which_accounts_would_refuse(web: Web) -> None:
    from tests.helpers import approve_all

    long_title = "关于做好二〇二六年冬季全省城乡居民安全生产隐患排查和专项整治行动工作的紧急通知"
    assert len(long_title) > 32  # WeChat's limit for a title
    made = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": long_title,
        "body_html": "<p>各有关单位：请做好冬季安全生产工作。</p>"}).json()["id"]  # fmt: skip
    assert web.api("zhangwei", "POST", f"/articles/{made}/submit").status_code == 200
    approve_all(web, made)
    session, _ = web.login("zhangwei")
    page = session.get(f"{web.url}/console/articles/{made}", timeout=30).text
    wechat = page.split('value="wechat:sf-wechat"')[1].split("</label>")[1]
    assert wechat.lstrip().startswith('<p class="preflight"') and "32" in wechat.split("</p>")[0]
    app = page.split('value="app:sf-app"')[1].split("</label>")[1]
    assert not app.lstrip().startswith('<p class="preflight"')  # the app takes any title
    # The API says the same, for the clients that publish through it.
    plan = web.api("zhangwei", "GET", f"/articles/{made}/plan").json()
    accounts = {a["ref"]: a for a in plan["accounts"]}
    assert "32" in "".join(accounts["wechat:sf-wechat"]["problems"])
    assert accounts["app:sf-app"]["problems"] == []
    assert accounts["wechat:sf-wechat"]["site"] == "示范省人民政府门户网站"
    own = next(site for site in plan["sites"] if site["own"])
    assert own["name"] == "示范省人民政府门户网站" and plan["sites"][0] is not None
    assert [c["ref"] for c in own["columns"] if c["checked"]] == ["gov/notices"]
    # Someone who may not see the article learns nothing of it; a reviewer publishes nowhere.
    assert web.api("zhoumin", "GET", f"/articles/{made}/plan").status_code == 404
    assert web.api("liting", "GET", f"/articles/{made}/plan").json() == {
        "sites": [],
        "accounts": [],
    }


def test_the_review_queue_is_grouped_by_site_and_stage(web: Web) -> None:
    first = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{first}/submit").status_code == 200
    session, _ = web.login("liuyang")  # an editor and first reviewer of gov
    page = session.get(f"{web.url}/console/reviews", timeout=30).text
    assert "示范省人民政府门户网站 · 初审" in page and f"/console/articles/{first}" in page
