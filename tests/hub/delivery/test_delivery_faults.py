"""Fault injection in the JPush sandbox: retryable errors, permanent errors, credentials
refused, a timeout whose push did go out, rate limiting and an empty audience. Each delivery
reaches the right state with the right reason, and no phone is notified twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.subscriptions import rebuild
from hub.projections.deliveries import DELIVERIES_TABLE, deliveries_of
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.server import BackgroundServer, seed_jpush
from sandboxes import sandbox_app
from sandboxes.jpush import Fault, JPushSandbox
from tests.helpers import approved
from workflows.delivery_decider import DeliveryState

APP_KEY = "5f3a8c0e2b7d4e9a1c6f0b3d"  # sf-app


@dataclass
class Setup:
    hub: EmbeddedHub
    jpush: JPushSandbox

    def publish(self) -> str:
        article = approved(self.hub)
        self.hub.publishing.publish("zhangwei", article, ["app:sf-app"], feeds=False, notify=True)
        self.hub.work()  # the worker's round: plans and makes the first attempt
        return article

    def delivery(self, article: str) -> DeliveryState:
        (only,) = deliveries_of(self.hub.store, article)
        return only

    def later(self, seconds: float) -> None:
        """One engine round as if `seconds` had passed."""
        self.hub.deliveries.run_once(datetime.now(UTC) + timedelta(seconds=seconds))


@pytest.fixture
def setup(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    jpush = JPushSandbox()
    sandbox = BackgroundServer(sandbox_app(jpush)).start()
    monkeypatch.setenv("HUB_JPUSH_URL", sandbox.url)
    with (config_dir / "hub.yaml").open("a", encoding="utf-8") as out:
        out.write("channel_timeout_s: 0.5\n")
    hub = EmbeddedHub.open(config_dir)
    seed_jpush(hub, jpush)
    yield Setup(hub, jpush)
    hub.close()
    sandbox.stop()


def test_a_retryable_error_backs_off_then_delivers(setup: Setup) -> None:
    setup.jpush.inject(APP_KEY, Fault(code=1000))
    article = setup.publish()
    failed = setup.delivery(article)
    assert str(failed.status) == "retrying"
    assert failed.last_error == "retryable: JPush 1000：系统内部错误"
    assert failed.next_at is not None and failed.next_at > datetime.now(UTC)
    setup.later(0)
    assert str(setup.delivery(article).status) == "retrying"  # not yet due
    setup.later(5)
    assert str(setup.delivery(article).status) == "delivered"
    assert len(setup.jpush.pushes_of(APP_KEY)) == 1


def test_permanent_and_credential_errors_are_dead_at_once_with_the_reason(setup: Setup) -> None:
    setup.jpush.inject(APP_KEY, Fault(code=2003))
    blacklisted = setup.publish()
    dead = setup.delivery(blacklisted)
    assert (str(dead.status), dead.last_error) == (
        "dead",
        "permanent: JPush 2003：The appKey is in black list.",
    )
    setup.jpush.apps[APP_KEY].master_secret = "rotated-elsewhere"
    refused = setup.publish()
    dead = setup.delivery(refused)
    assert (str(dead.status), dead.last_error) == (
        "dead",
        "needs_reauthorisation: JPush 1004：Authen failed",
    )
    history = setup.hub.store.read_stream(f"delivery-{dead.delivery_id}")
    assert [e.payload.kind for e in history if e.type == "DeliveryFailed"] == [
        "needs_reauthorisation"
    ]
    setup.later(3600)
    assert str(setup.delivery(refused).status) == "dead"  # never retried by itself
    assert setup.jpush.pushes_of(APP_KEY) == []


def test_a_timeout_after_the_push_went_out_is_checked_not_repeated(setup: Setup) -> None:
    setup.jpush.inject(APP_KEY, Fault(delay=2.0))  # pushes, then answers too late
    article = setup.publish()
    unknown = setup.delivery(article)
    assert str(unknown.status) == "unknown"
    assert "未应答" in unknown.last_error
    assert len(setup.jpush.pushes_of(APP_KEY)) == 1
    setup.later(0)  # status query: not confirmed locally, so the same cid is sent again
    setup.later(0)
    assert str(setup.delivery(article).status) == "delivered"
    assert len(setup.jpush.pushes_of(APP_KEY)) == 1  # JPush answered the cid from before
    assert setup.jpush.requests[APP_KEY] == 2


def test_rate_limiting_waits_for_the_reset_the_channel_names(setup: Setup) -> None:
    # Two calls a minute: the first publication fetches a batch of cids and pushes; the
    # second (a cid from the batch) finds the quota spent.
    setup.jpush.apps[APP_KEY].quota_per_minute = 2
    setup.publish()
    limited = setup.delivery(setup.publish())
    assert str(limited.status) == "retrying"
    assert limited.last_error == "retryable: JPush 2002：Rate limit exceeded"
    assert limited.next_at is not None
    wait = (limited.next_at - datetime.now(UTC)).total_seconds()
    assert 50 < wait <= 61  # X-Rate-Limit-Reset, not the 2-second first backoff
    assert len(setup.jpush.pushes_of(APP_KEY)) == 1


def test_no_phone_to_notify_still_delivers_to_the_feed(setup: Setup) -> None:
    setup.jpush.apps[APP_KEY].registrations.clear()
    article = setup.publish()
    assert str(setup.delivery(article).status) == "delivered"
    assert setup.hub.app_feed.get("sf-app", article) is not None
    assert "no device matched" in setup.delivery(article).remote_id
    assert setup.jpush.pushes_of(APP_KEY) == []


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_the_ledger_folded_in_batches_equals_the_ledger_folded_event_by_event(
    setup: Setup, batch_size: int
) -> None:
    setup.jpush.inject(APP_KEY, Fault(code=1000))
    retried = setup.publish()
    setup.later(5)
    setup.jpush.inject(APP_KEY, Fault(code=2003))
    setup.publish()
    setup.publish()
    # Every column the log decides (not the commit numbers of the fold).
    ledger = f"SELECT {', '.join(DELIVERIES_TABLE.of_the_log)} FROM deliveries ORDER BY delivery_id"
    live = setup.hub.store.query(ledger)
    assert len(live) == 3 and str(setup.delivery(retried).status) == "delivered"
    (projection,) = [p for p in setup.hub.projections if p.name == "deliveries"]
    rebuild(setup.hub.store, projection, batch_size=1)  # `apply`, one event at a time
    one_by_one = setup.hub.store.query(ledger)
    rebuild(setup.hub.store, projection, batch_size=batch_size)
    assert setup.hub.store.query(ledger) == one_by_one == live
