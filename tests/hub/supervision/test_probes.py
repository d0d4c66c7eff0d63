"""Probes against sites with scripted faults (sandboxes/supervised_sites.py, a real HTTP
server): an outage is confirmed after two failures in a row and opens a work order at once;
a timeout counts as a failure; recovery re-checks and closes the order; the hour's rollup and
the week's homepage ratio come from the log; never more than two requests at once to a host."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from hub.projections.probes import OUTAGES
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.server import BackgroundServer
from hub.supervision.probes import Prober, homepage_ratios, probe_targets
from sandboxes.supervised_sites import SupervisedSites


@pytest.fixture
def sites() -> Iterator[tuple[SupervisedSites, str]]:
    sandbox = SupervisedSites(slow_s=2.0)
    server = BackgroundServer(sandbox.app()).start()
    yield sandbox, server.url
    server.stop()


def test_outages_are_confirmed_dispatched_and_closed(
    hub: EmbeddedHub, sites: tuple[SupervisedSites, str]
) -> None:
    sandbox, url = sites
    targets = probe_targets(hub.config.directory, url + "/{key}/")
    assert len([t for t in targets if t.homepage]) == 4 and len(targets) > 4
    prober = Prober(hub.store, hub.work_orders, hub.config.directory, targets, "test-1",
                    timeout=1.0)  # fmt: skip
    now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    key = "unreachable:9900000001"

    def probe(minutes: int) -> None:
        prober.run_once(now + timedelta(minutes=minutes))
        hub.catch_up()

    probe(0)
    sandbox.faults["gov"] = "down"
    probe(5)
    assert hub.work_orders.open_order(key) is None  # one failure: not yet an outage
    sandbox.faults["gov"] = "slow"  # past the timeout: a failure too
    probe(10)
    order = hub.work_orders.open_order(key)
    assert order is not None and "首页无法访问：超时" in order["summary"]
    (outage,) = hub.store.rows(OUTAGES, {"site": "9900000001", "homepage": 1, "ended_at": None},
                               ("url", "detail"))  # fmt: skip
    assert outage[0] == url + "/gov/" and "超时" in outage[1]
    probe(15)  # still down: the same order, no second outage
    assert len(hub.store.rows(OUTAGES, {"site": "9900000001", "homepage": 1})) == 1
    assert len(hub.work_orders.find(status="open", problem="unreachable")) == 1  # pages: no order

    sandbox.faults.clear()
    probe(20)
    assert hub.store.rows(OUTAGES, {"site": "9900000001", "ended_at": None}) == []
    assert hub.work_orders.get(str(order["order_id"]))["passes"] == 1
    probe(25)
    assert hub.work_orders.get(str(order["order_id"]))["status"] == "closed"
    history = [h["type"] for h in hub.work_orders.history(str(order["order_id"]))]
    assert history == ["WorkOrderOpened", "WorkOrderRechecked", "WorkOrderRechecked",
                       "WorkOrderClosed"]  # fmt: skip

    # The hour's rollup, then the week's homepage ratio: 3 failures in 6 probes.
    probe(65)  # the next hour: the first one is recorded
    prober.flush()
    hub.catch_up()
    attempts, failures = homepage_ratios(hub.store, now + timedelta(hours=2))["9900000001"]
    assert (attempts, failures) == (7, 3)
    assert sandbox.requests["gov/"] == 7  # (this host: every site; silent rounds skip the rest)
    # Politeness: every page of every site is on this one host; never more than 2 at once
    # (measured once the slow answers the probes gave up on have ended on the server).
    deadline = time.monotonic() + 10
    while sandbox.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    sandbox.most_at_once = 0
    probe(70)
    assert sandbox.most_at_once == 2


def test_a_failed_page_is_probed_again_soon_to_confirm_its_outage(
    hub: EmbeddedHub, sites: tuple[SupervisedSites, str]
) -> None:
    sandbox, url = sites
    targets = [t for t in probe_targets(hub.config.directory, url + "/{key}/") if t.homepage]
    prober = Prober(hub.store, hub.work_orders, hub.config.directory, targets, "test-2",
                    timeout=1.0)  # fmt: skip
    now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    sandbox.faults["drc"] = "refuse"
    prober.run_once(now)
    assert [t.site for t in prober.suspects()] == ["9900000012"]
    before = dict(sandbox.requests)
    prober.recheck_suspects(now + timedelta(seconds=30))  # only the suspect is asked again
    assert {k: v - before.get(k, 0) for k, v in sandbox.requests.items()
            if v != before.get(k, 0)} == {"drc/": 1}  # fmt: skip
    hub.catch_up()
    assert hub.work_orders.open_order("unreachable:9900000012") is not None
    assert prober.suspects() == []  # confirmed: no more quick re-probes


def test_a_host_that_does_not_answer_holds_the_round_for_two_timeouts_not_all_its_pages(
    hub: EmbeddedHub, sites: tuple[SupervisedSites, str]
) -> None:
    sandbox, url = sites
    sandbox.faults["edu"] = "slow"  # every page past the timeout
    targets = [t for t in probe_targets(hub.config.directory, url + "/{key}/")
               if "/edu/" in t.url] * 4  # fmt: skip
    prober = Prober(hub.store, hub.work_orders, hub.config.directory, targets, "test-3",
                    timeout=0.5)  # fmt: skip
    started = time.monotonic()
    results = prober.run_once(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    assert time.monotonic() - started < 2.0  # two at once time out, the rest are skipped
    assert sum(not r.skipped for r in results) == 2 and len(results) == len(targets) > 10
    prober.flush()
    hub.catch_up()
    attempts, failures = homepage_ratios(hub.store, datetime(2026, 12, 4, 10, 0, tzinfo=UTC))[
        "9900000023"]  # fmt: skip
    assert failures <= attempts <= 2  # the skipped pages counted neither way


def test_two_vantage_points_confirm_each_other_and_close_only_when_both_see_it_up(
    hub: EmbeddedHub, sites: tuple[SupervisedSites, str]
) -> None:
    sandbox, url = sites
    targets = [t for t in probe_targets(hub.config.directory, url + "/{key}/") if t.homepage]
    beijing = Prober(hub.store, hub.work_orders, hub.config.directory, targets, "北京",
                     timeout=1.0)  # fmt: skip
    shanghai = Prober(hub.store, hub.work_orders, hub.config.directory, targets, "上海",
                      timeout=1.0)  # fmt: skip
    now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    key = "unreachable:9900000001"
    sandbox.faults["gov"] = "down"
    beijing.run_once(now)
    beijing.run_once(now + timedelta(seconds=30))
    hub.catch_up()
    order = hub.work_orders.open_order(key)
    assert order is not None  # two failures in a row from 北京
    shanghai.run_once(now + timedelta(seconds=40))  # one failure, but 北京 has it down
    hub.catch_up()
    down = {str(v) for (v,) in hub.store.rows(OUTAGES, {"url": url + "/gov/", "ended_at": None},
                                              ("vantage",))}  # fmt: skip
    assert down == {"北京", "上海"}

    # Up again, seen from 上海 only (北京's network still fails, say): no passing re-check.
    sandbox.faults.clear()
    shanghai.run_once(now + timedelta(minutes=5))
    hub.catch_up()
    assert hub.work_orders.get(str(order["order_id"]))["passes"] == 0
    beijing.run_once(now + timedelta(minutes=6))  # and from 北京: both agree, it passes
    hub.catch_up()
    shanghai.run_once(now + timedelta(minutes=10))
    hub.catch_up()
    assert hub.work_orders.get(str(order["order_id"]))["status"] == "closed"


def test_an_endless_page_is_read_only_so_far() -> None:
    """A hostile site answering with a huge body does not fill the prober's memory."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    from hub.supervision.probes import MAX_PAGE_BYTES, fetch, open_session

    async def endless(request: object) -> StreamingResponse:
        async def chunks():
            for _ in range(1000):  # 64 MB, if anyone read it all
                yield b"<p>" + b"x" * 65_533

        return StreamingResponse(chunks(), media_type="text/html")

    async def long_page(request: object) -> StreamingResponse:
        async def chunks():
            for _ in range(4):  # 256 KB in pieces: read whole
                yield b"y" * 65_536

        return StreamingResponse(chunks(), media_type="text/html")

    server = BackgroundServer(Starlette(routes=[Route("/", endless),
                                                Route("/long", long_page)])).start()  # fmt: skip
    try:

        async def run(path: str) -> int:
            async with open_session(10.0) as session:
                got = await fetch(session, server.url + path, timeout=10.0, keep_body=True)
                assert got.ok
                return len(got.body)

        assert asyncio.run(run("/")) <= MAX_PAGE_BYTES
        assert asyncio.run(run("/long")) == 4 * 65_536
    finally:
        server.stop()
