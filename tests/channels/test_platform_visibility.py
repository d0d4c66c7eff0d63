"""Published but not on the platform, retracted but still there (已发布未可见 for new media):
the ledger's WeChat articles and Weibo posts against what each platform lists now — real
sandboxes speaking the platforms' protocols, a copy removed in the platform's back office,
a retraction the platform did not carry out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.supervision.platform_visibility import PlatformVisibility, platform_id
from tests.channels.social_world import World
from workflows.publication import Channel


def checker(world: World) -> PlatformVisibility:
    hub = world.hub
    return PlatformVisibility(hub.store, hub.work_orders, hub.config.directory,
                              {"sf-wechat": world.wechat_api}, {"sf-weibo": world.weibo_api},
                              hub.articles.titles, "测试")  # fmt: skip


def copies(world: World, article: str) -> dict[str, str]:
    """channel -> the platform's id of the article's copy."""
    from hub.projections.deliveries import DELIVERIES_TABLE

    world.hub.catch_up()
    rows = world.hub.store.rows(DELIVERIES_TABLE, {"article_id": article},
                                ("channel", "remote_id"))  # fmt: skip
    return {str(c): platform_id(Channel(str(c)), str(r)) for c, r in rows}


def test_copies_missing_from_the_platforms_open_orders_and_retractions_close_them(
    world: World,
) -> None:
    hub = world.hub
    watch = checker(world)
    world.publish(["wechat:sf-wechat", "weibo:sf-weibo"], "关于公布第一批政务服务事项的通知")
    world.deliver()
    now = datetime.now(UTC)
    assert watch.run_once(now) == []  # within the grace period: not asked yet
    assert watch.run_once(now + timedelta(minutes=11)) == []  # listed on both: nothing wrong
    assert hub.work_orders.find(problem="not_visible") == []
    assert watch.copies(now + timedelta(minutes=11)) == []  # seen once as it should: settled

    # A second article: both copies go out, then someone removes them in the platforms' back
    # offices (or the platform takes them down) — the hub did not retract anything.
    gone = world.publish(["wechat:sf-wechat", "weibo:sf-weibo"], "关于调整办事大厅开放时间的通知")
    world.deliver()
    ids = copies(world, gone)
    assert set(ids) == {"wechat", "weibo"} and all(ids.values())
    world.wechat_api.delete(ids["wechat"])
    world.weibo_api.destroy(ids["weibo"])
    opened = watch.run_once(now + timedelta(minutes=12))
    assert len(opened) == 2
    orders = {str(o["subject"]).split(":")[0]: o for o in hub.work_orders.find(
        problem="not_visible", status="open")}  # fmt: skip
    assert set(orders) == {"wechat", "weibo"}
    assert "已发布但平台上没有" in str(orders["wechat"]["summary"])
    assert "关于调整办事大厅开放时间的通知" in str(orders["weibo"]["summary"])
    assert orders["wechat"]["site"] == "9900000001"
    evidence = hub.work_orders.history(str(orders["weibo"]["order_id"]))[0]["evidence"]
    assert evidence["kind"] == "platform" and ids["weibo"] in evidence["summary"]
    assert watch.run_once(now + timedelta(minutes=13)) == []  # joined, not opened again

    # The editor retracts the article through the hub: the copies are meant to be gone, the
    # platform agrees, and the orders close on their re-checks.
    hub.publishing.retract("zhangwei", gone, "已由平台删除")
    world.deliver()
    later = now + timedelta(minutes=25)
    watch.run_once(later)
    watch.run_once(later + timedelta(minutes=5))
    for order in orders.values():
        assert hub.work_orders.get(str(order["order_id"]))["status"] == "closed"

    # Retracted, yet the platform lists it again (restored in its back office): an order.
    still = world.publish("weibo:sf-weibo", "关于征集意见建议的公告")
    world.deliver()
    post = copies(world, still)["weibo"]
    hub.publishing.retract("zhangwei", still, "内容有误")
    world.deliver()
    assert world.weibo.statuses[int(post)].deleted
    world.weibo.statuses[int(post)].deleted = False  # the scripted fault
    (reopened,) = watch.run_once(later + timedelta(minutes=30))
    order = hub.work_orders.get(reopened)
    assert "已撤稿仍在平台上" in str(order["summary"]) and post in str(order["subject"])


def test_a_copy_older_than_the_platforms_answer_is_not_judged(world: World) -> None:
    """The platform lists its newest items only: a copy older than the oldest item of a
    full answer is beyond it (not 'missing')."""
    from hub.supervision.platform_visibility import Listing

    watch = checker(world)
    world.publish("weibo:sf-weibo", "关于印发工作要点的通知")
    world.deliver()
    now = datetime.now(UTC)
    watch.listing = lambda channel, account: Listing(frozenset(), now + timedelta(hours=1))  # type: ignore[method-assign]
    assert watch.run_once(now + timedelta(minutes=11)) == []
    watch.listing = lambda channel, account: Listing(frozenset(), None)  # type: ignore[method-assign]
    assert len(watch.run_once(now + timedelta(minutes=11))) == 1
