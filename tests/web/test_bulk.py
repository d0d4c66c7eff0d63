"""Operators work in bulk: retry or cancel many deliveries at once, by selection or by the
board's filter, each still under its own rules (role, state); nobody else may."""

from __future__ import annotations

import time

from tests.web.conftest import Web
from tests.web.test_api import approve_all


def published_to(web: Web, targets: list[str]) -> str:
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    answer = web.api("qianli", "POST", f"/articles/{article}/publish",
                     json={"to": targets, "feeds": False})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return article


def settled(web: Web, article: str, until: tuple[str, ...] = ("pending", "sending")) -> list[dict]:
    """The article's deliveries once they are planned and none is in one of `until` (a
    publish returns at once; the engine loop plans and delivers in the background)."""
    deadline = time.monotonic() + 20
    while True:
        rows = web.api("qianli", "GET", "/deliveries", params={"article": article}).json()
        done = rows and all(r["status"] not in until for r in rows)
        if done or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_bulk_retry_and_cancel_through_the_api(web: Web) -> None:
    # No WeChat platform answers in this hub: those deliveries keep failing.
    article = published_to(web, ["gov/notices", "wechat:sf-wechat"])
    rows = settled(web, article)
    failing = [r["id"] for r in rows if r["target"].startswith("wechat:")]
    delivered = [r["id"] for r in rows if r["status"] == "delivered"]
    assert failing and delivered
    editor = web.api("zhangwei", "POST", "/deliveries/bulk",
                     json={"action": "retry", "ids": failing})  # fmt: skip
    assert editor.status_code == 200
    assert [r["code"] for r in editor.json()["refused"]] == ["SITE_ROLE_REQUIRED"] * len(failing)
    no_reason = web.api("qianli", "POST", "/deliveries/bulk",
                        json={"action": "cancel", "ids": failing})  # fmt: skip
    assert no_reason.status_code == 400 and no_reason.json()["error"]["code"] == "REASON_REQUIRED"
    both = web.api("qianli", "POST", "/deliveries/bulk", json={
        "action": "cancel", "ids": failing + delivered, "reason": "平台维护"})  # fmt: skip
    assert both.status_code == 200, both.text
    assert [d["id"] for d in both.json()["done"]] == failing
    assert [r["id"] for r in both.json()["refused"]] == delivered  # arrived: not cancellable
    after = settled(web, article, ("pending", "sending", "retrying", "unknown"))
    states = {r["id"]: r["status"] for r in after}
    assert all(states[i] == "cancelled" for i in failing), states
    assert (
        web.api("qianli", "POST", "/deliveries/bulk", json={"action": "retry"}).status_code == 400
    )


def test_bulk_by_the_boards_filter_in_the_console(web: Web) -> None:
    import re

    article = published_to(web, ["wechat:sf-wechat", "wechat:drc-wechat"])
    settled(web, article)
    session, csrf = web.login("qianli")
    answer = session.post(f"{web.url}/console/deliveries/bulk", timeout=30, data={
        "csrf_token": csrf, "article": article, "action": "cancel", "reason": "暂停推送",
        "scope": "filter"}, allow_redirects=False)  # fmt: skip
    assert answer.status_code == 303 and "done=bulk" in answer.headers["location"]
    after = settled(web, article, ("pending", "sending", "retrying", "unknown"))
    states = [r["status"] for r in after]
    assert states == ["cancelled", "cancelled"], states
    page = session.get(f"{web.url}{answer.headers['location']}", timeout=30).text
    assert "批量操作已完成" in page
    assert re.search(r'name="ids" value="[^"]+" form="bulk"', page)
    empty = session.post(f"{web.url}/console/deliveries/bulk", timeout=30, data={
        "csrf_token": csrf, "action": "retry", "scope": "selected"})  # fmt: skip
    assert empty.status_code == 400 and "请先勾选投递" in empty.text
