"""The permission matrix over the HTTP API: every role × every command × own site / other
site. The web runs the same services as the CLI, so the decider's rules decide; this proves
no web path skips them and that users of other sites cannot even see the article."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import STAGES, approve_all, settled
from tests.web.conftest import Web

# Users by role; "own" hold it on gov (the article's site), "other" on drc only.
OWN = {
    "author (editor)": "zhangwei",
    "editor + first reviewer": "liuyang",
    "first reviewer": "liting",
    "second reviewer": "wangqiang",
    "final reviewer": "chenjing",
    "leader + final reviewer": "zhaolei",
    "operator (every site)": "qianli",
    "admin (every site)": "admin",
}
OTHER = {
    "editor of drc": "zhoumin",
    "first/second reviewer of drc": "wujun",
    "second/final reviewer of drc": "xuhui",
    "leader of drc": "hegang",
}
USERS = {**OWN, **OTHER}


def draft(web: Web, major: bool = False) -> str:
    return web.article(major=major)


def submitted(web: Web, major: bool = False) -> str:
    article = draft(web, major)
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    return article


def at_stage(n: int, major: bool = False) -> Callable[[Web], str]:
    def make(web: Web) -> str:
        article = submitted(web, major)
        for user, gates in STAGES[:n]:
            answer = web.api(user, "POST", f"/articles/{article}/approve", json={"gates": gates})
            assert answer.status_code == 200, answer.text
        return article

    return make


def approved(web: Web) -> str:
    article = submitted(web)
    approve_all(web, article)
    return article


def published(web: Web) -> str:
    article = approved(web)
    answer = web.api("zhangwei", "POST", f"/articles/{article}/publish", json={"feeds": False})
    assert answer.status_code == 200, answer.text
    return article


def scheduled(web: Web) -> str:
    article = approved(web)
    now = datetime.now(UTC)
    answer = web.api("zhangwei", "POST", f"/articles/{article}/publish", json={
        "feeds": False, "at": (now + timedelta(hours=1)).isoformat(),
        "expire_at": (now + timedelta(days=30)).isoformat()})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return article


FIXABLE = "<p>联系人张三，电话13812345678。详见<a href='http://www.example.com/a'>说明</a>。</p>"


def fixable(web: Web) -> str:
    """A draft whose submission was blocked by a finding with a suggested fix."""
    answer = web.api("zhangwei", "POST", "/articles", json={
        "site": "gov", "columns": ["notices"], "title": "关于调整办事指南的通知",
        "body_html": FIXABLE})  # fmt: skip
    article = str(answer.json()["id"])
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 409
    return article


OPEN_FINDING: dict[str, str] = {}


def with_open_finding(web: Web) -> str:
    """In review at 初审 with a REVIEW finding no reviewer has accepted yet."""
    article = fixable(web)
    assert web.api("zhangwei", "POST", f"/articles/{article}/fix", json={}).status_code == 200
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    recorded = web.api("zhangwei", "GET", f"/articles/{article}/findings").json()["recorded"]
    OPEN_FINDING[article] = next(f["id"] for f in recorded if f["severity"] == "REVIEW")
    return article


# command: (set-up, path, body, the users allowed)
MATRIX: dict[str, tuple[Callable[[Web], str], str, dict, set[str]]] = {
    "submit": (draft, "submit", {}, {"zhangwei", "liuyang"}),
    "edit": (draft, "edit", {"title": "关于做好冬季安全工作的通知"}, {"zhangwei", "liuyang"}),
    "withdraw": (submitted, "withdraw", {}, {"zhangwei", "liuyang"}),
    "approve 初审": (submitted, "approve", {"gates": STAGES[0][1]}, {"liting", "liuyang"}),
    "approve 复审": (at_stage(1), "approve", {"gates": STAGES[1][1]}, {"wangqiang"}),
    "approve 终审": (at_stage(2), "approve", {"gates": STAGES[2][1]}, {"chenjing", "zhaolei"}),
    "return at 初审": (submitted, "return", {"reasons": ["请补充"]}, {"liting", "liuyang"}),
    "signoff": (at_stage(3, major=True), "signoff", {}, {"zhaolei"}),
    "archive": (draft, "archive", {}, {"zhangwei", "liuyang", "admin"}),
    "publish": (approved, "publish", {"feeds": False}, {"zhangwei", "liuyang", "qianli", "admin"}),
    "retract": (published, "retract", {"reason": "内容有误"},
                {"zhangwei", "liuyang", "qianli", "admin"}),
    "reschedule": (scheduled, "reschedule", {"clear_expiry": True},
                   {"zhangwei", "liuyang", "qianli", "admin"}),
    "recheck": (approved, "recheck", {}, {"qianli", "admin"}),
    "fix": (fixable, "fix", {}, {"zhangwei", "liuyang"}),
    "override": (with_open_finding, "override", {"reason": "已核实"}, {"liting", "liuyang"}),
}  # fmt: skip


@pytest.mark.parametrize("command", MATRIX)
def test_permission_matrix(web: Web, command: str) -> None:
    setup, path, body, allowed = MATRIX[command]
    outcomes = {}
    for role, user in USERS.items():
        article = setup(web)
        if path == "override":
            body = {**body, "finding_id": OPEN_FINDING[article]}
        answer = web.api(user, "POST", f"/articles/{article}/{path}", json=body)
        outcomes[role] = (answer.status_code, answer.json().get("error", {}).get("code"))
        if user in allowed:
            assert answer.status_code == 200, (role, answer.text)
        elif user in OTHER.values():
            # Another site's article does not exist for them.
            assert outcomes[role] == (404, "ARTICLE_NOT_FOUND"), (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert outcomes[role][1].endswith("_REQUIRED") or outcomes[role][1] in (
                "AUTHOR_CANNOT_REVIEW", "EDITOR_CANNOT_REVIEW", "REVIEWER_ALREADY_APPROVED",
            ), (role, answer.text)  # fmt: skip


def test_creating_needs_the_editor_role_on_that_site(web: Web) -> None:
    for role, user in USERS.items():
        answer = web.api(user, "POST", "/articles", json={
            "site": "gov", "columns": ["notices"], "title": "关于开展检查的通知",
            "body_html": "<p>正文</p>"})  # fmt: skip
        expected = 201 if user in ("zhangwei", "liuyang") else 403
        assert answer.status_code == expected, (role, answer.text)


def test_delivery_retry_and_cancel_need_the_operator_role(web: Web) -> None:
    article = published(web)
    rows = settled(web, article)  # planned by the engine loop in the background
    assert rows
    delivery = rows[0]["id"]
    for role, user in USERS.items():
        answer = web.api(user, "POST", f"/deliveries/{delivery}/cancel", json={"reason": "测试"})
        if user in ("qianli", "admin"):
            assert answer.status_code in (200, 409), (role, answer.text)  # 409: already arrived
        else:
            assert answer.status_code == 403, (role, answer.text)
    # Staff of other sites do not see the delivery at all.
    assert web.api("zhoumin", "GET", "/deliveries", params={"article": article}).json() == []


# Targets on other sites than the article's (gov): columns, and accounts those sites own.
FOREIGN_TARGETS = ["drc/notices", "wechat:drc-wechat", "city/news", "app:city-app",
                   "screen:city-hall"]  # fmt: skip
PUBLISHERS_EVERYWHERE = {"qianli", "admin"}


@pytest.mark.parametrize("target", FOREIGN_TARGETS)
def test_publishing_into_another_sites_column_or_account_needs_a_role_there(
    web: Web, target: str
) -> None:
    for role, user in USERS.items():
        article = approved(web)
        answer = web.api(user, "POST", f"/articles/{article}/publish",
                         json={"to": [target], "feeds": False})  # fmt: skip
        if user in PUBLISHERS_EVERYWHERE:
            assert answer.status_code == 200, (role, answer.text)
        elif user in OTHER.values():
            assert answer.status_code == 404, (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert answer.json()["error"]["code"] == "SITE_ROLE_REQUIRED", (role, answer.text)
    # A gov editor's own column with a foreign one: nothing of it goes out.
    article = approved(web)
    both = web.api("zhangwei", "POST", f"/articles/{article}/publish",
                   json={"to": ["gov/notices", "drc/notices"], "feeds": False})  # fmt: skip
    assert both.status_code == 403
    assert web.api("zhangwei", "GET", f"/articles/{article}").json()["status"] == "approved"


def test_a_receiving_sites_staff_see_and_withdraw_what_is_live_on_their_site(web: Web) -> None:
    article = approved(web)
    answer = web.api("qianli", "POST", f"/articles/{article}/publish",
                     json={"to": ["gov/notices", "drc/notices"], "feeds": False})  # fmt: skip
    assert answer.status_code == 200, answer.text
    settled(web, article)  # delivered by the engine loop in the background
    # drc's staff see it (it is on their site), though it is gov's article, in lists too.
    assert web.api("zhoumin", "GET", f"/articles/{article}").status_code == 200
    listed = web.api("zhoumin", "GET", "/articles", params={"limit": 500}).json()
    assert article in [i["id"] for i in listed]
    assert web.api("hegang", "GET", f"/articles/{article}").status_code == 200  # drc's leader
    assert web.api("wujun", "GET", f"/articles/{article}").status_code == 200
    # A reviewer of drc does not publish there, so cannot take it down either.
    refused = web.api("wujun", "POST", f"/articles/{article}/retract", json={"reason": "不宜"})
    assert refused.status_code == 403
    taken = web.api("zhoumin", "POST", f"/articles/{article}/retract",
                    json={"reason": "与本站职能无关"})  # fmt: skip
    assert taken.status_code == 200, taken.text
    assert "TargetsWithdrawn" in taken.json()["events"]
    shown = web.api("zhangwei", "GET", f"/articles/{article}").json()
    assert shown["status"] == "published"  # still live on gov
    # The retract answers at once; the engine loop plans the take-down in the background.
    deadline = time.monotonic() + 20
    while True:
        rows = web.api("qianli", "GET", "/deliveries", params={"article": article}).json()
        states = {r["target"]: r["status"] for r in rows}
        drc = [s for t, s in states.items() if t.startswith("website:9900000012/")]
        gov = [s for t, s in states.items() if t.startswith("website:9900000001/")]
        withdrawn = drc and all(s in ("retracting", "retracted", "cancelled") for s in drc)
        if withdrawn or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert withdrawn, states
    assert gov and all(s not in ("retracting", "retracted") for s in gov), states
    # Once off drc, drc's staff no longer see gov's article.
    assert web.api("zhoumin", "GET", f"/articles/{article}").status_code == 404
