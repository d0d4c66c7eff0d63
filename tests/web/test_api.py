"""The JSON API over real HTTP: authentication, CSRF, the whole review story, visibility
across sites, bad input (never a 5xx), and neutralised XSS and hidden-link payloads."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import requests

from tests.helpers import STAGES, approve_all
from tests.web.conftest import Web


def test_every_api_call_needs_a_login_or_a_token(web: Web) -> None:
    for method, path in (("GET", "/me"), ("GET", "/articles"), ("POST", "/articles")):
        answer = web.api(None, method, path, json={})
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "LOGIN_REQUIRED"
    forged = web.api(None, "GET", "/me", headers={"Authorization": "Bearer hubt_forged"})
    assert forged.status_code == 401


def test_a_revoked_token_stops_working(web: Web) -> None:
    made, secret = web.hub.logins.create_token("zhangwei", "revoked")
    headers = {"Authorization": f"Bearer {secret}"}
    assert web.api(None, "GET", "/me", headers=headers).json()["id"] == "zhangwei"
    web.hub.logins.revoke_token(made.token_id)
    assert web.api(None, "GET", "/me", headers=headers).status_code == 401


def test_session_changes_need_the_csrf_token(web: Web) -> None:
    session, csrf = web.login("zhangwei")
    body = {"site": "gov", "columns": ["notices"], "title": "关于开展检查的通知",
            "body_html": "<p>正文</p>"}  # fmt: skip
    refused = session.post(f"{web.url}/api/v1/articles", json=body, timeout=30)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "CSRF_FAILED"
    wrong = session.post(f"{web.url}/api/v1/articles", json=body, timeout=30,
                         headers={"X-CSRF-Token": csrf[:-2] + "xx"})  # fmt: skip
    assert wrong.status_code == 403
    made = session.post(f"{web.url}/api/v1/articles", json=body, timeout=30,
                        headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert made.status_code == 201, made.text
    # Reading needs no token; logging out ends the session.
    assert session.get(f"{web.url}/api/v1/me", timeout=30).json()["via"] == "session"
    session.post(f"{web.url}/logout", data={"csrf_token": csrf}, timeout=30)
    assert session.get(f"{web.url}/api/v1/me", timeout=30).status_code == 401


def test_the_whole_story_through_the_api(web: Web) -> None:
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    queue = web.api("liting", "GET", "/reviews/queue").json()
    assert article in [item["id"] for item in queue]
    returned = web.api("wangqiang", "POST", f"/articles/{article}/return",
                       json={"reasons": ["还没到复审"]})  # fmt: skip
    assert returned.status_code == 403  # not his stage yet
    approve_all(web, article)
    shown = web.api("zhangwei", "GET", f"/articles/{article}").json()
    assert shown["status"] == "approved" and len(shown["approvals"]) == 3
    published = web.api("zhangwei", "POST", f"/articles/{article}/publish", json={})
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = web.api("qianli", "GET", "/deliveries", params={"article": article}).json()
        if rows and all(r["status"] == "delivered" for r in rows):
            break
        time.sleep(0.2)
    assert rows and all(r["status"] == "delivered" for r in rows), rows
    history = web.api("zhangwei", "GET", f"/articles/{article}/history").json()
    assert [h["type"] for h in history][:2] == ["ArticleCreated", "ArticleChecked"]
    assert "ArticlePublished" in [h["type"] for h in history]


def test_other_sites_articles_do_not_exist_for_a_user(web: Web) -> None:
    article = web.article()
    answer = web.api("zhoumin", "GET", f"/articles/{article}")  # an editor of drc
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "ARTICLE_NOT_FOUND"
    listed = web.api("zhoumin", "GET", "/articles", params={"limit": 500}).json()
    assert article not in [item["id"] for item in listed]
    assert web.api("zhoumin", "POST", f"/articles/{article}/submit").status_code == 404
    assert article in [i["id"] for i in web.api("liting", "GET", "/articles",
                                                params={"limit": 500}).json()]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/articles", {"site": "gov"}),
        (
            "POST",
            "/articles",
            {"site": "nowhere", "columns": ["x"], "title": "t", "body_html": "<p>x</p>"},
        ),
        (
            "POST",
            "/articles",
            {"site": "gov", "columns": ["notices"], "title": "", "body_html": ""},
        ),
        (
            "POST",
            "/articles",
            {"site": "gov", "columns": ["notices"], "title": "t" * 5000, "body_html": "x"},
        ),
        (
            "POST",
            "/articles",
            {"site": "gov", "columns": [], "title": "t", "body_html": "<p>x</p>"},
        ),
        (
            "POST",
            "/articles",
            {
                "site": "gov",
                "columns": ["notices"],
                "title": "标题",
                "body_html": "<p>x</p>",
                "metadata": {"written_date": "昨天"},
            },
        ),
        ("POST", "/articles", [1, 2, 3]),
        ("POST", "/articles/{a}/approve", {"gates": "political"}),
        ("POST", "/articles/{a}/approve", {"gates": ["nonsense"], "revision": -1}),
        ("POST", "/articles/{a}/return", {"reasons": []}),
        ("POST", "/articles/{a}/publish", {"at": "not a time"}),
        ("POST", "/articles/{a}/nonsense", {}),
        ("GET", "/articles/%00%ff", None),
        ("GET", "/articles/{a}x", None),
        ("GET", "/articles", {"limit": "many"}),
        ("POST", "/deliveries/abc/retry", None),
        ("POST", "/deliveries/abcdef0123/cancel", {"reason": ""}),
    ],
)
def test_bad_input_is_a_clear_4xx(web: Web, method: str, path: str, body: object) -> None:
    article = web.article()
    kwargs: dict[str, object] = {"params": body} if method == "GET" and body else {"json": body}
    answer = web.api("zhangwei", method, path.replace("{a}", article), **kwargs)
    assert 400 <= answer.status_code < 500, answer.text
    error = answer.json()["error"]
    assert error["code"] and error["message"]


def test_a_malformed_json_body_is_refused(web: Web) -> None:
    answer = web.api("zhangwei", "POST", "/articles", data=b"{not json",
                     headers={"Authorization": f"Bearer {web.token('zhangwei')}",
                              "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400


PAYLOADS = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">点此</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">点此</a>',
    '<div style="display:none"><a href="http://casino.example">博彩</a></div>',
    '<p style="position:absolute;left:-9999px"><a href="http://dark.example">暗链</a></p>',
    '<svg onload=alert(1)></svg><iframe src="http://evil.example"></iframe>',
    '"><script>alert(2)</script>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_and_hidden_links_are_neutralised_in_every_field(web: Web, payload: str) -> None:
    body = {"site": "gov", "columns": ["notices"], "title": f"通知{payload}"[:200],
            "body_html": f"<p>正文</p>{payload}",
            "metadata": {"source": payload[:200], "author": payload[:200],
                         "summary": payload, "keywords": [payload[:200]]}}  # fmt: skip
    made = web.api("zhangwei", "POST", "/articles", json=body)
    assert made.status_code == 201, made.text
    article = made.json()["id"]
    stored = web.api("zhangwei", "GET", f"/articles/{article}").json()
    html = stored["body_html"].lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "data:", "display:none",
                "position", "<iframe", "<svg"):  # fmt: skip
        assert bad not in html, (bad, html)
    # Text fields are text: the page escapes them wherever they appear.
    session, _ = web.login("zhangwei")
    page = session.get(f"{web.url}/console/articles/{article}", timeout=30).text
    assert active_parts(page) == []


def active_parts(page: str) -> list[str]:
    """Whatever in a page could run script or hide a link: script elements other than the
    console's own, event-handler attributes, script URLs, frames, inline hiding styles."""
    found: list[str] = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "script" and values.get("src") != "/console/static/console.js":
                found.append(f"<script {values}>")
            own_preview = (  # the console's own sandboxed frame for its preview pages
                tag == "iframe"
                and values.get("name") == "preview"
                and values.get("sandbox") == "allow-same-origin"
                and (values.get("src") or "").startswith("/console/articles/")
            )
            if tag in ("iframe", "svg", "object", "embed") and not own_preview:
                found.append(tag)
            for name, value in attrs:
                text = (value or "").replace(" ", "").lower()
                if name.startswith("on") or text.startswith(("javascript:", "data:")):
                    found.append(f"{tag} {name}={value}")
                if name == "style" and ("display:none" in text or "position" in text):
                    found.append(f"{tag} style={value}")

    Finder().feed(page)
    return found


def test_the_active_parts_finder_finds_them() -> None:
    assert active_parts('<img src="x" onerror="alert(1)"><a href="javascript:x">a</a>')
    assert active_parts('<script>alert(1)</script><div style="display: none">x</div>')
    assert active_parts('<script src="/console/static/console.js"></script>') == []


def test_each_stages_opinion_and_the_signoff_opinion_are_shown(web: Web) -> None:
    article = web.article(major=True)
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    opinions = ["文字已核，可送复审", "法律依据充分", "同意发布 <b>注意</b>"]
    for (user, gates), opinion in zip(STAGES, opinions, strict=True):
        answer = web.api(user, "POST", f"/articles/{article}/approve",
                         json={"gates": gates, "opinion": opinion})  # fmt: skip
        assert answer.status_code == 200, answer.text
    signed = web.api("zhaolei", "POST", f"/articles/{article}/signoff", json={"opinion": "同意"})
    assert signed.status_code == 200, signed.text
    shown = web.api("zhangwei", "GET", f"/articles/{article}").json()
    assert [a["opinion"] for a in shown["approvals"]] == opinions
    assert (shown["signed_off_by"], shown["signoff_opinion"]) == ("zhaolei", "同意")
    session, _ = web.login("liting")
    page = session.get(f"{web.url}/console/articles/{article}", timeout=30).text
    assert "审核意见：文字已核，可送复审" in page and "签批意见：同意" in page
    assert "同意发布 &lt;b&gt;注意&lt;/b&gt;" in page  # text, not markup


def test_drafts_are_checked_before_they_are_saved(web: Web) -> None:
    draft = {"site": "gov", "columns": ["notices"], "title": "关于某事项的公示",
             "body_html": "<p>当事人身份证号码 11010519491231002X。</p>", "metadata": {}}  # fmt: skip
    before = len(web.api("zhangwei", "GET", "/articles", params={"limit": 500}).json())
    answer = web.api("zhangwei", "POST", "/checks/draft", json=draft)
    assert answer.status_code == 200, answer.text
    checked = answer.json()
    assert checked["valid"] and checked["errors"] == []
    assert any(f["text"] == "11010519491231002X" for f in checked["findings"])
    after = web.api("zhangwei", "GET", "/articles", params={"limit": 500}).json()
    assert len(after) == before  # a check saves nothing
    bad = {**draft, "metadata": {"written_date": "2026-13-45", "disclosure_type": "not_disclosed"}}
    invalid = web.api("zhangwei", "POST", "/checks/draft", json=bad).json()
    assert not invalid["valid"] and invalid["findings"] == []
    fields = {e["field"] for e in invalid["errors"]}
    assert "metadata.written_date" in fields
    for user, site, code in (("qianli", "gov", "SITE_ROLE_REQUIRED"),
                             ("zhangwei", "city", "SITE_ROLE_REQUIRED"),
                             ("zhangwei", "nowhere", "SITE_UNKNOWN")):  # fmt: skip
        refused = web.api(user, "POST", "/checks/draft", json={**draft, "site": site})
        assert refused.json()["error"]["code"] == code, (user, site, refused.text)
    no_column = web.api("zhangwei", "POST", "/checks/draft", json={**draft, "columns": ["x"]})
    assert no_column.status_code == 400, no_column.text
    assert no_column.json()["error"]["code"] == "COLUMN_UNKNOWN"


def test_fix_override_recheck_and_reschedule_through_the_api(web: Web) -> None:
    body = "<p>联系人张三，电话13812345678。详见<a href='http://www.example.com/a'>说明</a>。</p>"
    made = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": "关于调整办事指南的通知", "body_html": body})  # fmt: skip
    article = made.json()["id"]
    blocked = web.api("zhangwei", "POST", f"/articles/{article}/submit")
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "CHECKS_BLOCKED"
    fixed = web.api("zhangwei", "POST", f"/articles/{article}/fix", json={})
    assert fixed.status_code == 200 and fixed.json()["revision"] == 2, fixed.text
    again = web.api("zhangwei", "POST", f"/articles/{article}/fix", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "NOTHING_TO_FIX"
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    refused = web.api("liting", "POST", f"/articles/{article}/approve",
                      json={"gates": ["wording", "secrecy"]})  # fmt: skip
    assert refused.json()["error"]["code"] == "FINDINGS_NOT_OVERRIDDEN"
    open_findings = refused.json()["error"]["details"]["findings"]
    no_reason = web.api("liting", "POST", f"/articles/{article}/override",
                        json={"finding_id": open_findings[0], "reason": " "})  # fmt: skip
    assert no_reason.status_code == 400
    by_editor = web.api("zhangwei", "POST", f"/articles/{article}/override",
                        json={"finding_id": open_findings[0], "reason": "已核实"})  # fmt: skip
    assert by_editor.status_code == 403
    for finding_id in open_findings:
        accepted = web.api("liting", "POST", f"/articles/{article}/override",
                           json={"finding_id": finding_id, "reason": "已核实，联系方式为公开的办事电话"})  # fmt: skip
        assert accepted.status_code == 200, accepted.text
    approve_all(web, article)
    assert web.api("zhangwei", "GET", f"/articles/{article}").json()["status"] == "approved"
    rechecked = web.api("qianli", "POST", f"/articles/{article}/recheck")
    assert rechecked.status_code == 200, rechecked.text
    # Scheduled an hour from now, then moved an hour on; a time in the past is refused.
    soon = datetime.now(UTC).replace(microsecond=0)
    first, later = (soon + timedelta(hours=1)).isoformat(), soon + timedelta(hours=2)
    scheduled = web.api("zhangwei", "POST", f"/articles/{article}/publish", json={"at": first})
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["status"] == "scheduled"
    moved = web.api("zhangwei", "POST", f"/articles/{article}/reschedule",
                    json={"at": later.isoformat()})  # fmt: skip
    assert moved.status_code == 200, moved.text
    shown = web.api("zhangwei", "GET", f"/articles/{article}").json()["scheduled"]
    assert datetime.fromisoformat(shown["publish_at"]) == later
    past = web.api("zhangwei", "POST", f"/articles/{article}/reschedule",
                   json={"at": "2001-01-01T09:00:00+08:00"})  # fmt: skip
    assert past.status_code == 400 and past.json()["error"]["code"] == "PUBLISH_TIME_PAST"


def test_directory_dictionaries_event_log_and_bulk_recheck(web: Web) -> None:
    group = web.api("zhangwei", "GET", "/sites").json()
    assert {s["key"] for s in group["sites"]} == {"gov", "drc", "edu", "city"}
    assert all("settings" not in a for a in group["accounts"])  # no platform keys
    words = web.api("zhangwei", "GET", "/dictionaries").json()
    assert words["version"] and words["terms"] > 0 and words["history"]
    web.article()  # a few events at least
    log = web.api("admin", "GET", "/events", params={"after": 0, "limit": 2}).json()
    assert [e["global_position"] for e in log] == [1, 2]
    later = web.api("admin", "GET", "/events", params={"after": 1, "limit": 1}).json()
    assert later == log[1:]
    assert {"event_id", "stream_id", "type", "payload", "actor"} <= set(log[0])
    assert web.api("qianli", "GET", "/events").status_code == 403  # every site's events
    assert web.api("admin", "GET", "/events", params={"limit": 5000}).status_code == 400
    assert web.api("zhangwei", "POST", "/recheck").status_code == 403
    unknown = web.api("qianli", "POST", "/recheck", params={"site": "nowhere"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "SITE_UNKNOWN"
    done = web.api("qianli", "POST", "/recheck", params={"site": "gov"})
    assert done.status_code == 200, done.text
    assert {"checked", "unchanged", "failing"} <= set(done.json())


def test_numeric_query_parameters_are_bounded(web: Web) -> None:
    huge = str(10**20)
    answer = web.api("admin", "GET", "/events", params={"after": huge})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "INVALID_INPUT"
    assert web.api("admin", "GET", "/events", params={"after": str(2**53 - 1)}).json() == []
    feed = requests.get(f"{web.url}/app/v1/feed", params={"app": "sf-app", "since": huge},
                        timeout=30)  # fmt: skip
    assert feed.status_code == 422
    token = web.hub.screen_token("sf-hall")
    beat = requests.post(f"{web.url}/screen/v1/screens/sf-hall/heartbeat", timeout=30,
                         json={"version_seen": 10**20},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert beat.status_code == 422
    with requests.get(
        f"{web.url}/screen/v1/screens/sf-hall/events",
        stream=True,
        timeout=30,
        headers={"Authorization": f"Bearer {token}", "Last-Event-ID": huge},
    ) as s:
        assert s.status_code == 200  # resumes from the current head  # fmt: skip


UNSAFE_TEXT = {"NUL": "\x00", "bell": "\x07", "right-to-left override": "\u202e",
               "isolate": "\u2066", "line break": "\n"}  # fmt: skip


def test_control_and_direction_characters_are_refused_with_a_field_error(web: Web) -> None:
    for name, char in UNSAFE_TEXT.items():
        title = web.api("zhangwei", "POST", "/articles", json={
            "site": "gov", "columns": ["notices"], "title": f"关于{char}通知",
            "body_html": "<p>正文</p>"})  # fmt: skip
        assert title.status_code == 400, (name, title.text)
        assert "title" in title.text and "控制" in title.text, (name, title.text)
        meta = web.api("zhangwei", "POST", "/articles", json={
            "site": "gov", "columns": ["notices"], "title": "关于通知", "body_html": "<p>正文</p>",
            "metadata": {"source": f"示范{char}日报"}})  # fmt: skip
        assert meta.status_code == 400 and "source" in meta.text, (name, meta.text)
    session, csrf = web.login("zhangwei")
    form = session.post(f"{web.url}/console/articles/new", timeout=30, data={
        "csrf_token": csrf, "column": "gov/notices", "title": "关于\u202e通知",
        "body_html": "<p>正文</p>"})  # fmt: skip
    assert form.status_code == 400 and "U+202E" in form.text


def test_the_api_documentation_needs_nothing_from_outside(web: Web) -> None:
    page = requests.get(f"{web.url}/api/docs", timeout=30)
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/api/docs/static/") for a in assets), assets
    for asset in assets:
        assert requests.get(web.url + asset, timeout=30).status_code == 200, asset
    schema = requests.get(f"{web.url}/api/openapi.json", timeout=30).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["api_token"] == {"type": "http", "scheme": "bearer", "bearerFormat": "hubt_…",
                                    "description": schemes["api_token"]["description"]}  # fmt: skip
    me = schema["paths"]["/api/v1/me"]["get"]
    assert {"api_token": []} in me["security"]
    ok = me["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Me"}
    deliveries = schema["paths"]["/api/v1/deliveries"]["get"]["responses"]["200"]
    assert deliveries["content"]["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/Delivery"}  # fmt: skip
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "204" in operation["responses"]:
                continue  # answers with no body
            answer = operation["responses"].get("200") or operation["responses"].get("201")
            assert answer, (method, path)
            bodies = [c.get("schema", {}) for c in answer.get("content", {}).values()]
            generic = ({}, {"type": "object"}, {"additionalProperties": True, "type": "object"})
            assert any(b not in generic for b in bodies), (method, path, bodies)


ENGLISH = re.compile(r"Field required|should|Input|String|valid|Extra inputs|at least|at most")


def test_validation_messages_are_chinese_where_people_read_them(web: Web) -> None:
    article = web.article()
    bad = [
        ("POST", f"/articles/{article}/retract", {"reason": "  "}),
        ("POST", f"/articles/{article}/return", {"reasons": []}),
        ("POST", f"/articles/{article}/approve", {"gates": "wording"}),
        ("POST", "/articles", {"site": "gov", "columns": ["notices"], "title": "",
                               "body_html": "<p>x</p>", "metadata": {"written_date": "2026-13-01"}}),
        ("POST", "/articles", {"site": "gov"}),
        ("GET", "/events?limit=0", None),
        ("POST", f"/articles/{article}/publish", {"at": "明天", "extra": 1}),
    ]  # fmt: skip
    for method, path, body in bad:
        answer = web.api("admin" if "events" in path else "zhangwei", method, path, json=body)
        assert answer.status_code == 400, (path, answer.text)
        message = answer.json()["error"]["message"]
        assert not ENGLISH.search(message), (path, message)
        assert re.search("[\u4e00-\u9fff]", message.removeprefix("输入有误")), (path, message)
    session, csrf = web.login("zhangwei")
    form = session.post(f"{web.url}/console/articles/{article}/return", timeout=30,
                        data={"csrf_token": csrf})  # fmt: skip
    assert form.status_code == 400 and "至少 1 项" in form.text
    assert not ENGLISH.search(re.sub(r"<[^>]+>", "", form.text.split("<main", 1)[1])[:3000])


def test_time_travel_over_the_api(web: Web) -> None:
    """GET /api/v1/live: what a site or an account showed at a moment, for its own staff."""
    from tests.helpers import approved

    hub = web.hub
    article = approved(hub, title="关于开展冬季消防检查的通知")
    hub.publishing.publish("qianli", article, ["gov/notices"], feeds=False)
    deadline = time.monotonic() + 30
    while True:
        answer = web.api("liting", "GET", "/live", params={"site": "gov", "column": "notices"})
        assert answer.status_code == 200, answer.text
        found = [i for i in answer.json()["items"] if i["article_id"] == article]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert found and found[0]["revision"] == 1 and found[0]["approvals"][-1]["user"] == "chenjing"
    past = web.api(
        "liting", "GET", "/live", params={"site": "gov", "at": "2020-01-01T00:00:00+08:00"}
    )
    assert past.status_code == 200 and past.json()["items"] == []
    # Another site's staff, bad or missing places, the future: refused, never a 5xx.
    assert web.api("zhoumin", "GET", "/live", params={"site": "gov"}).status_code == 403
    for params in ({}, {"site": "gov", "account": "sf-app"}, {"column": "notices"},
                   {"site": "nosuch"}, {"account": "nosuch"}, {"site": "gov", "column": "nosuch"},
                   {"site": "gov", "at": "2999-01-01T00:00:00"}, {"site": "gov", "at": "junk"}):  # fmt: skip
        answer = web.api("liting", "GET", "/live", params=params)
        assert 400 <= answer.status_code < 500, (params, answer.status_code, answer.text)
    assert web.api(None, "GET", "/live", params={"site": "gov"}).status_code == 401
    # The console page: the same answer for the site's staff, refused to others.
    session, _ = web.login("liting")
    page = session.get(f"{web.url}/console/live", params={"site": "gov", "column": "notices"},
                       timeout=30)  # fmt: skip
    assert page.status_code == 200 and "关于开展冬季消防检查的通知" in page.text
    assert "陈静" in page.text and "第 1 版" in page.text
    past = session.get(f"{web.url}/console/live", params={"site": "gov", "at": "2020-01-01T00:00"},
                       timeout=30)  # fmt: skip
    assert past.status_code == 200 and "这一时刻没有在线的稿件" in past.text
    for params in ({"at": "junk"}, {"site": "nosuch"}, {"at": "2999-01-01T00:00"}):
        refused = session.get(f"{web.url}/console/live", params=params, timeout=30)
        assert 400 <= refused.status_code < 500, (params, refused.status_code)
    other, _ = web.login("zhoumin")
    assert (
        other.get(f"{web.url}/console/live", params={"site": "gov"}, timeout=30).status_code == 403
    )
