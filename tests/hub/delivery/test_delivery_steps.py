"""Deliveries made in several calls (WeChat: cover, draft, publish task): each step's result
is recorded before the next, so a worker killed between any two steps is followed by one
that continues — nothing the platform did is done twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels.contract import DeliveryItem, Receipt
from hub.delivery.engine import DeliveryEngine
from hub.delivery.planner import run_planner
from hub.projections.deliveries import deliveries_of
from hub.runtime.embedded import EmbeddedHub
from tests.helpers import approved
from tests.servers import both_databases  # noqa: F401  (these tests run on both databases)
from workflows.delivery_decider import Start, decide
from workflows.errors import DomainError


class Killed(BaseException):
    """The worker's process dies here (nothing after it runs)."""


class ThreeSteps:
    """A platform that publishes in three calls, none of them idempotent, and a way to ask
    what it published (by the id the last step returned)."""

    channel = "website"
    capabilities = frozenset()
    limits = None

    def __init__(self) -> None:
        self.calls: dict[str, int] = {"cover": 0, "draft": 0, "publish": 0}
        self.published: set[str] = set()
        self.kill_after: str | None = None

    def _step(self, item: DeliveryItem, step: str) -> str:
        if step in item.steps:
            return item.steps[step]  # done by an earlier attempt: not again
        self.calls[step] += 1
        value = f"{step}-{self.calls[step]}"
        if step == "publish":
            self.published.add(value)
        assert item.record is not None
        item.record(step, value)
        if self.kill_after == step:
            self.kill_after = None
            raise Killed()
        return value

    def send(self, item: DeliveryItem) -> Receipt:
        self._step(item, "cover")
        self._step(item, "draft")
        publish_id = self._step(item, "publish")
        return Receipt(remote_id=publish_id, url=f"https://mp.example/{publish_id}")

    def status(self, item: DeliveryItem) -> Receipt | None:
        publish_id = item.steps.get("publish")
        if publish_id in self.published:
            return Receipt(remote_id=publish_id, url=f"https://mp.example/{publish_id}")
        return None

    def retract(self, item: DeliveryItem) -> None:
        self.published.discard(item.steps.get("publish", ""))


@pytest.mark.parametrize("killed_after", ["cover", "draft", "publish"])
def test_a_worker_killed_between_steps_never_repeats_one(
    hub: EmbeddedHub, killed_after: str
) -> None:
    article = approved(hub)
    hub.publishing.publish("zhangwei", article, ["gov/notices"], feeds=False)
    run_planner(hub.store)
    hub.catch_up()
    platform = ThreeSteps()
    platform.limits = hub.adapters["website"].limits  # type: ignore[attr-defined]
    dying = DeliveryEngine(hub.store, {"website": platform}, after_write=hub.catch_up,
                           worker="dying", lease=timedelta(seconds=30))  # fmt: skip
    platform.kill_after = killed_after
    now = datetime.now(UTC)
    with pytest.raises(Killed):
        dying.run_once(now)
    hub.catch_up()
    (delivery,) = deliveries_of(hub.store, article)  # the operators' ledger knows the steps
    assert str(delivery.status) == "sending"
    assert dict(delivery.steps)[killed_after] == f"{killed_after}-1"

    other = DeliveryEngine(hub.store, {"website": platform}, after_write=hub.catch_up,
                           worker="other", lease=timedelta(seconds=30))  # fmt: skip
    assert other.run_once(now).attempted == 0  # the dead worker's lease still holds
    later = now + timedelta(seconds=31)
    for step in range(4):  # a status check, then (if nothing arrived) the send resumes
        other.run_once(later + timedelta(seconds=10 * step))
        hub.catch_up()
    (delivery,) = deliveries_of(hub.store, article)
    assert str(delivery.status) == "delivered", delivery
    assert platform.calls == {"cover": 1, "draft": 1, "publish": 1}
    assert delivery.remote_id == "publish-1" and len(platform.published) == 1


def appended(hub: EmbeddedHub, delivery: str, payloads: list, version: int) -> None:
    """Events a worker decided, appended as it would (at the version it decided on)."""
    from events.envelope import SYSTEM_ACTOR, NewEvent
    from workflows.delivery_decider import DELIVERIES

    hub.store.append(DELIVERIES(delivery), [NewEvent(p, SYSTEM_ACTOR, "c") for p in payloads],
                     version)  # fmt: skip


def test_a_step_from_a_worker_that_lost_its_lease_is_refused(hub: EmbeddedHub) -> None:
    article = approved(hub)
    hub.publishing.publish("zhangwei", article, ["gov/notices"], feeds=False)
    run_planner(hub.store)
    hub.catch_up()
    (delivery,) = deliveries_of(hub.store, article)
    engine = DeliveryEngine(hub.store, {}, worker="slow")
    versions = {delivery.delivery_id: 1}
    now = datetime.now(UTC)
    started = decide(Start(now, "slow", timedelta(seconds=30)), delivery)
    appended(hub, delivery.delivery_id, started, 1)
    versions[delivery.delivery_id] += len(started)
    held = delivery
    for event in started:
        from workflows.delivery_decider import evolve

        held = evolve(held, event)
    record = engine._recorder(held, {delivery.delivery_id: (held, versions[delivery.delivery_id])})
    record("cover", "c-1")
    record("cover", "c-1")  # the same again: nothing new
    taken = decide(Start(now + timedelta(seconds=31), "fast", timedelta(seconds=30)),
                   deliveries_of(hub.store, article)[0])  # fmt: skip
    hub.catch_up()
    appended(hub, delivery.delivery_id, taken, versions[delivery.delivery_id] + 1)
    with pytest.raises(DomainError) as lost:
        record("draft", "d-1")
    assert lost.value.code == "DELIVERY_LEASE_LOST"
