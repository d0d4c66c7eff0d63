"""Operators work in bulk: retry or cancel many deliveries at once, by selection or by the
board's filter, each still under its own rules (role, state); nobody else may."""

from __future__ import annotations

from tests.helpers import published_to, settled
from tests.web.conftest import Web


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
