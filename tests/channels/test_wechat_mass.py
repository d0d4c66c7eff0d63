"""A WeChat mass send (群发) when the publication asks for it, through the real engine, adapter
and sandbox over HTTP: sent once (a lost answer is sent again under the same clientmsgid and
WeChat answers with the first send), the day's quota parks the delivery until Beijing
midnight, the link comes with WeChat's MASSSENDJOBFINISH push, a correction deletes the mass
send and publishes the corrected article without a second push, a retraction deletes it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from hub.delivery.planner import run_planner
from hub.projections.deliveries import deliveries_of
from hub.runtime.server import BackgroundServer
from hub.web.app import create_app
from sandboxes.wechat import Fault
from tests.channels.social_world import APPID, STAGES, TITLE, World, wait_for
from workflows.delivery_decider import DeliveryStatus

BEIJING = timedelta(hours=8)


def mass_publish(world: World, title: str = TITLE) -> str:
    return world.publish("wechat:sf-wechat", title, mass_send=True)


@pytest.fixture
def callback(world: World) -> Iterator[None]:
    """The hub serving its callback URL, saved as the account's server in the sandbox."""
    server = BackgroundServer(create_app(world.hub)).start()
    keys = world.hub.wechat_callback("sf-wechat")
    assert keys is not None and keys.aes_key  # safe mode: the pushes come encrypted
    url = f"{server.url}/channels/wechat/sf-wechat/callback"
    assert world.wechat.set_server(APPID, url, keys.token, keys.aes_key) == ""
    yield
    world.wechat.close()
    server.stop()


def test_a_mass_send_goes_out_once_and_its_link_comes_with_the_push(
    world: World, callback: None
) -> None:
    article = mass_publish(world)
    world.engine("w1").run_once()
    done = world.delivery(article)
    assert done.status is DeliveryStatus.DELIVERED, done.last_error
    (mass,) = world.wechat.published(APPID, mass=True)
    assert world.wechat.published(APPID, mass=False) == []  # not also a plain publish
    assert done.remote_id == f"mass/{mass.msg_id}"
    assert dict(done.steps)["mass"] == mass.msg_id
    client_ids = world.wechat.accounts[APPID].client_msg_ids
    assert list(client_ids) == [done.delivery_id]  # the delivery id is the clientmsgid
    # WeChat's push carries the link (no query returns it): the delivery takes it.
    wait_for(lambda: world.delivery(article).url != "")
    assert world.delivery(article).url == world.wechat.article_url(mass, 1)
    wait_for(lambda: len(world.wechat.pushes) == 1)  # listed once the hub has answered
    assert world.wechat.pushes[0].event == "MASSSENDJOBFINISH"


def test_a_lost_answer_is_sent_again_and_wechat_answers_with_the_first_send(
    world: World,
) -> None:
    world.wechat.inject(APPID, Fault(api="message/mass/sendall", delay=1.0))  # > timeout
    article = mass_publish(world)
    engine, now = world.engine("w1"), datetime.now(UTC)
    engine.run_once(now)
    lost = world.delivery(article)
    assert lost.status is DeliveryStatus.UNKNOWN and "mass" not in dict(lost.steps)
    time.sleep(1.2)  # the sandbox sent it all the same
    assert len(world.wechat.published(APPID, mass=True)) == 1
    engine.run_once(now)  # asks: WeChat has no query by clientmsgid, so it is sent again
    engine.run_once(now)
    too_soon = world.delivery(article)
    assert too_soon.status is DeliveryStatus.RETRYING and "45066" in too_soon.last_error
    assert too_soon.next_at is not None and too_soon.next_at >= now + timedelta(seconds=60)
    with world.wechat._lock:  # a minute passes on the platform
        (key,) = world.wechat.accounts[APPID].client_msg_ids
        first, sent_at, tried = world.wechat.accounts[APPID].client_msg_ids[key]
        world.wechat.accounts[APPID].client_msg_ids[key] = (first, sent_at, tried - 61)
    engine.run_once(too_soon.next_at)
    done = world.delivery(article)
    assert done.status is DeliveryStatus.DELIVERED, done.last_error
    assert done.remote_id == f"mass/{first}" and len(world.wechat.masses) == 1


def test_the_days_mass_send_is_spent_then_the_next_waits_for_midnight(world: World) -> None:
    first = mass_publish(world)
    engine = world.engine("w1")
    engine.run_once()
    assert world.delivery(first).status is DeliveryStatus.DELIVERED
    second = mass_publish(world, "关于开展第二轮自查工作的通知")
    now = datetime.now(UTC)
    engine.run_once(now)
    parked = world.delivery(second)
    assert parked.status is DeliveryStatus.RETRYING and "45028" in parked.last_error
    assert parked.attempts == 1
    local = now + BEIJING
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert parked.next_at is not None
    assert midnight - BEIJING <= parked.next_at <= midnight - BEIJING + timedelta(minutes=2)
    assert len(world.wechat.published(APPID, mass=True)) == 1


def test_a_correction_deletes_the_mass_send_and_publishes_without_a_second_push(
    world: World,
) -> None:
    hub = world.hub
    article = mass_publish(world)
    engine = world.engine("w1")
    engine.run_once()
    (mass,) = world.wechat.published(APPID, mass=True)
    hub.publishing.correct("zhangwei", article, title=TITLE + "（更正）")
    for user, gates in STAGES:
        hub.articles.approve(user, article, gates)
    hub.react()  # the correction policy publishes it
    run_planner(hub.store)
    hub.catch_up()
    engine.run_once()
    hub.catch_up()
    corrected = [d for d in deliveries_of(hub.store, article) if d.revision == 2]
    assert [str(d.status) for d in corrected] == ["delivered"], corrected
    assert mass.deleted  # the mass send's links are gone
    assert world.wechat.published(APPID, mass=True) == []
    (task,) = world.wechat.published(APPID, mass=False)  # a publish, not another push
    assert task.articles[0]["title"].endswith("（更正）")
    assert len(world.wechat.masses) == 1
    # Retracted: the corrected article is deleted too.
    hub.publishing.retract("zhangwei", article, "信息有误")
    run_planner(hub.store)
    engine.run_once()
    assert world.wechat.published(APPID) == []


def test_retracting_a_mass_sent_article_deletes_the_mass_send(world: World) -> None:
    article = mass_publish(world)
    engine = world.engine("w1")
    engine.run_once()
    (mass,) = world.wechat.published(APPID, mass=True)
    world.hub.publishing.retract("zhangwei", article, "信息有误")
    run_planner(world.hub.store)
    engine.run_once()
    assert world.delivery(article).status is DeliveryStatus.RETRACTED
    assert mass.deleted and world.wechat.published(APPID) == []
