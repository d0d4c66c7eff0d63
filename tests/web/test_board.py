"""The operator's board: account health beside the deliveries."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from events.envelope import Actor, NewEvent
from hub.projections.deliveries import unsettled_count
from hub.runtime.embedded import EmbeddedHub
from hub.web.board import MIN_GAP_S
from tests.helpers import approve_all, approved
from tests.web.conftest import Web
from workflows.delivery_decider import DELIVERIES
from workflows.delivery_events import DeliveryReported


def test_account_health_shows_deliveries_circuits_and_failures(web: Web) -> None:
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    assert web.api("zhangwei", "POST", f"/articles/{article}/publish", json={}).status_code == 200
    gov = web.hub.config.directory.site("gov").code
    deadline, health = time.monotonic() + 20, []
    while time.monotonic() < deadline:
        health = web.api("qianli", "GET", "/accounts/health").json()
        site = next(h for h in health if h["account"] == gov)
        if site["deliveries"].get("delivered", 0) >= 1 and not site["deliveries"].get("pending"):
            break
        time.sleep(0.2)
    accounts = {h["account"]: h for h in health}
    directory = web.hub.config.directory
    assert set(accounts) == {s.code for s in directory.sites} | {a.id for a in directory.accounts}
    assert accounts[gov]["circuit"] == "closed" and accounts[gov]["last_delivered_at"]
    assert accounts["sf-app"]["deliveries"].get("delivered", 0) >= 1  # the column feeds it
    assert accounts["sf-app"]["push"] == "可推送"  # JPush credentials in place
    # A push states the app's JPush API quota; the board shows what is left of it.
    notified = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{notified}/submit").status_code == 200
    approve_all(web, notified)
    published = web.api("zhangwei", "POST", f"/articles/{notified}/publish",
                        json={"notify": True})  # fmt: skip
    assert published.status_code == 200, published.text
    deadline, app = time.monotonic() + 20, {}
    while time.monotonic() < deadline:
        app = next(h for h in web.api("qianli", "GET", "/accounts/health").json()
                   if h["account"] == "sf-app")  # fmt: skip
        if "quota_remaining" in app:
            break
        time.sleep(0.2)
    assert app["quota_remaining"].endswith("/600") and app["quota_reset_s"] > 0

    # Five failures in a row open an account's circuit; the board says so, and until when.
    breaker = web.hub.deliveries.breaker
    for _ in range(breaker.threshold):
        breaker.record("city-app", False, datetime.now(UTC))
    try:
        opened = {h["account"]: h for h in web.api("qianli", "GET", "/accounts/health").json()}
        assert opened["city-app"]["circuit"] == "open" and opened["city-app"]["circuit_until"]
        session, _ = web.login("qianli")
        board = session.get(f"{web.url}/console/deliveries", timeout=30).text
        assert 'data-account="city-app" data-circuit="open"' in board and "已熔断" in board
        assert f'data-account="{gov}" data-circuit="closed"' in board
    finally:
        breaker.record("city-app", True, datetime.now(UTC))

    # Staff of one site see the health of that site's targets only.
    mine = {h["account"] for h in web.api("zhangwei", "GET", "/accounts/health").json()}
    assert gov in mine and "sf-app" in mine and "city-app" not in mine
    assert web.api(None, "GET", "/accounts/health").status_code == 401


def test_one_poller_serves_every_open_board_with_counts_over_all_deliveries(web: Web) -> None:
    import json
    import threading

    calls = []
    service = web.hub.delivery_service
    original = service.changed_since

    def counted(since: int, limit: int = 5000) -> list:
        calls.append(since)
        return original(since, limit)

    service.changed_since = counted  # type: ignore[method-assign]
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    session, _ = web.login("qianli")
    received: list[list[str]] = [[], [], []]

    def watch(index: int) -> None:
        with session.get(f"{web.url}/console/deliveries/stream", params={"article": article},
                         stream=True, timeout=30) as answer:  # fmt: skip
            deadline = time.monotonic() + 4
            for line in answer.iter_lines(decode_unicode=True):
                received[index].append(line)
                if time.monotonic() > deadline:
                    break

    started = time.monotonic()
    try:
        threads = [threading.Thread(target=watch, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        published = web.api("zhangwei", "POST", f"/articles/{article}/publish",
                            json={"to": ["gov/notices", "app:sf-app"], "feeds": False})  # fmt: skip
        assert published.status_code == 200
        for thread in threads:
            thread.join(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        service.changed_since = original  # type: ignore[method-assign]
    for lines in received:
        assert "event: delivery" in lines, lines[:10]
        counts = [json.loads(line[6:]) for i, line in enumerate(lines)
                  if line.startswith("data: {") and lines[i - 1] == "event: counts"]  # fmt: skip
        assert counts and "已送达 2" in counts[-1]["total"], counts[-1:]
        assert set(counts[-1]["channels"]) == {"网站", "移动客户端"}
        assert "示范省人民政府门户网站" in counts[-1]["sites"]
    # Three boards open: one read of the ledger per change heard of, at most one per
    # MIN_GAP_S, not one per board, besides each board's one catch-up when it connects.
    assert (len(calls) - 3) / elapsed <= 1 / MIN_GAP_S, (len(calls), elapsed)


def test_the_ledger_numbers_its_commits_so_a_late_event_time_is_not_missed(
    hub: EmbeddedHub,
) -> None:
    """The board reads what changed after the last commit it saw. Read by event time, as it
    once was, a change stamped earlier than one already seen (a worker whose clock lags, a
    batch folded late by another worker) was skipped for good."""
    article = approved(hub)
    hub.publishing.publish("qianli", article, ["gov/notices"], feeds=False)
    for _ in range(20):
        hub.work()
        if not unsettled_count(hub.store):
            break
    service = hub.delivery_service
    before = service.latest_change()
    assert before > 0
    heard: list[int] = []
    hub.ledger.listen(heard.append)
    delivery = service.find(article)[0]
    stream = DELIVERIES(delivery["id"])
    yesterday = datetime.now(UTC) - timedelta(days=1)
    hub.store.append(stream, [NewEvent(DeliveryReported(reported_by="test"), Actor("test", "system"),
                     "c-late", occurred_at=yesterday)], hub.store.stream_version(stream))  # fmt: skip
    hub.catch_up()
    assert heard == [before + 1]  # told once the commit is readable, with its number
    rows = service.changed_since(before)
    assert [(r["id"], r["change"]) for r in rows] == [(delivery["id"], before + 1)]
    assert service.changed_since(before + 1) == []
    # A hub that folds nothing new says nothing.
    hub.catch_up()
    assert heard == [before + 1]
