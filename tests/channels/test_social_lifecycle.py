"""An article's whole life on both social platforms, through the real engine and sandboxes:
published (Weibo with the article's picture and its link), corrected (neither platform can
edit: the old post is deleted, the corrected one published — still one of each), retracted
(both deleted)."""

from __future__ import annotations

import io
import time

import requests
from PIL import Image

from hub.delivery.planner import run_planner
from hub.projections.deliveries import deliveries_of
from tests.channels.social_world import APPID, STAGES, UID, World


def by_channel(world: World, article: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for delivery in deliveries_of(world.hub.store, article):
        found.setdefault(str(delivery.target.channel), []).append(delivery)
    return found


def test_published_corrected_and_retracted_on_both_platforms(world: World) -> None:
    hub = world.hub
    photo = io.BytesIO()
    Image.new("RGB", (800, 450), (20, 90, 160)).save(photo, "JPEG")
    image = hub.media.put(photo.getvalue(), "现场.jpg")
    created = hub.articles.create("zhangwei", "gov", ["notices"], "关于开展自查工作的通知",
                                  f'<p>请于月底前完成自查。</p><p><img src="{image.url}" alt=""></p>')  # fmt: skip
    article = created.article_id
    hub.articles.submit("zhangwei", article)
    for user, gates in STAGES:
        hub.articles.approve(user, article, gates)
    hub.publishing.publish("zhangwei", article, ["wechat:sf-wechat", "weibo:sf-weibo"],
                           feeds=False)  # fmt: skip
    run_planner(hub.store)
    world.deliver()
    first = by_channel(world, article)
    assert [str(d.status) for d in first["wechat"] + first["weibo"]] == ["delivered"] * 2
    (post,) = world.weibo.posted(UID)
    assert post.pic == photo.getvalue()  # the article's picture went with it
    link = f"https://www.sf.gov.cn/notices/{article}.html"
    assert list(post.links.values()) == [link] and post.text.startswith(
        "【关于开展自查工作的通知】"
    )
    page = requests.get(first["weibo"][0].url, timeout=10)
    assert page.status_code == 200 and link in page.text
    (task,) = world.wechat.published(APPID)
    assert task.articles[0]["content_source_url"] == link  # 阅读原文
    old_wechat, old_weibo = task.article_id, post.id

    # A correction: delete and publish anew on each platform, still one article each.
    hub.publishing.correct("zhangwei", article, title="关于开展自查工作的通知（更正）")
    for user, gates in STAGES:
        hub.articles.approve(user, article, gates)
    hub.react()  # the correction policy publishes it
    run_planner(hub.store)
    world.deliver()
    corrected = by_channel(world, article)
    assert [str(d.status) for d in corrected["wechat"]] == ["delivered"] * 2, corrected
    assert [str(d.status) for d in corrected["weibo"]] == ["delivered"] * 2, corrected
    (task,) = world.wechat.published(APPID)
    assert task.articles[0]["title"].endswith("（更正）") and task.article_id != old_wechat
    assert world.wechat.publishes[next(
        p for p, t in world.wechat.publishes.items() if t.article_id == old_wechat)].deleted  # fmt: skip
    (post,) = world.weibo.posted(UID)
    assert "（更正）" in post.text and post.id != old_weibo
    assert world.weibo.statuses[old_weibo].deleted
    replaced = next(d for d in corrected["wechat"] if d.revision == 2)
    assert dict(replaced.steps)["replaced"] == old_wechat

    # A retraction deletes what each platform allows deleting: here, everything.
    hub.publishing.retract("qianli", article, "政策调整")
    run_planner(hub.store)
    world.deliver()
    assert world.wechat.published(APPID) == [] and world.weibo.posted(UID) == []
    statuses = {str(d.status) for ds in by_channel(world, article).values() for d in ds}
    assert statuses == {"retracted"}


def test_health_tells_token_state_and_quota(world: World) -> None:
    wechat, weibo = world.adapters["wechat"], world.adapters["weibo"]
    assert wechat.health("sf-wechat") == {"token": "尚未获取"}
    world.wechat_api.token()
    report = wechat.health("sf-wechat")
    assert report["token"] == "有效" and report["quota_remaining"] == "100/100"
    assert weibo.health("sf-weibo")["token"] == "有效"
    world.weibo_api.tokens.put(world.weibo_api.token_key, world.weibo_api.tokens.get(
        world.weibo_api.token_key)._replace(expires_at=time.time() - 1))  # type: ignore[union-attr]  # fmt: skip
    assert weibo.health("sf-weibo") == {"token": "授权已过期"}
    assert wechat.health("nope") == {} and weibo.health("nope") == {}
