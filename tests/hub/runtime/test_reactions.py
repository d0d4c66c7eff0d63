"""Reactions run in the worker, not in the user's request: a publish or an approval appends its
events and returns; the worker's round (the engine loop under `hub serve`) plans, publishes
approved corrections and delivers; the loop wakes as soon as something is appended."""

from __future__ import annotations

import time

from events.policies import run_policy
from hub.commands.correction_policy import CorrectionPublisher
from hub.projections.deliveries import deliveries_of
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.server import EngineLoop
from tests.helpers import STAGES, approved, pages
from tests.servers import both_databases  # noqa: F401  (these tests run on both databases)


def test_a_publish_appends_and_returns_and_the_worker_delivers(hub: EmbeddedHub) -> None:
    article = approved(hub)
    published = hub.publishing.publish("qianli", article, ["gov/notices"], feeds=False)
    assert published.event_types == ("ArticleChecked", "ArticlePublished")
    hub.catch_up()
    assert deliveries_of(hub.store, article) == [] and pages(hub) == []  # nothing yet
    done = hub.work()
    assert done.deliveries.planned == 1 and done.deliveries.outcomes == {"delivered": 1}
    assert [p.name for p in pages(hub)] == [f"{article}.html"]


def test_an_approved_correction_is_published_by_the_worker_once(hub: EmbeddedHub) -> None:
    article = approved(hub)
    hub.publishing.publish("qianli", article, ["gov/notices"], feeds=False)
    hub.work()
    hub.publishing.correct("zhangwei", article, title="关于开展自查工作的通知（更正）")
    for user, gates in STAGES:
        final = hub.articles.approve(user, article, gates)
    # The final approval returns with the correction approved, not yet out.
    assert final.state.live is not None and final.state.live.revision == 1
    assert hub.work().reacted == 1
    state, _ = hub.articles.state(article)
    assert state.live is not None and state.live.revision == 2
    page = hub.config.sites_root / "gov" / "notices" / f"{article}.html"
    assert "（更正）" in page.read_text("utf-8")
    # A worker that crashed before its checkpoint reacts to every approval again: nothing
    # is published twice.
    with hub.store.subscriber_transaction(CorrectionPublisher.name) as tx:
        tx.reset()
    assert run_policy(hub.store, CorrectionPublisher(hub.articles)) == 0
    published = [e for e in hub.articles.history(article) if e.type == "ArticlePublished"]
    assert len(published) == 2
    assert published[1].causation_id is not None  # caused by the approval event


def test_the_engine_loop_wakes_when_a_command_appends(hub: EmbeddedHub) -> None:
    article = approved(hub)
    loop = EngineLoop(hub, interval=60).start()  # without a wake-up it would sleep a minute
    try:
        deadline = time.monotonic() + 10
        while loop.rounds == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # the loop is now napping
        started = time.monotonic()
        hub.publishing.publish("qianli", article, ["gov/notices"], feeds=False)
        page = hub.config.sites_root / "gov" / "notices" / f"{article}.html"
        while not page.exists() and time.monotonic() - started < 10:
            time.sleep(0.01)
        assert page.exists()
        assert time.monotonic() - started < 5
    finally:
        loop.stop()
