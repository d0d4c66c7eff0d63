"""Wording errors live: the checks run again over the copies the public reads (the WeChat
article page, the Weibo post page — from the sandboxes, as followers see them). A phrase the
dictionaries learn after publication opens one work order for the article, whose evidence
names the revision, its reviewers and every copy; one correction reaches every copy and the
order closes on its re-checks."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from hub.delivery.planner import run_planner
from hub.supervision.wording import WordingChecker, live_findings
from tests.channels.social_world import STAGES, World
from workflows.checks.dictionaries import SensitiveWord
from workflows.checks.matcher import CompiledDictionaries


def test_a_wording_error_on_every_platform_is_traced_and_one_correction_closes_it(
    world: World,
) -> None:
    hub = world.hub
    article = world.publish(["wechat:sf-wechat", "weibo:sf-weibo"], "关于开展违规自查工作的通知")
    world.deliver()

    before = hub.config.checks
    learned = CompiledDictionaries(hub.config.dictionaries.model_copy(update={
        "sensitive_words": (*hub.config.dictionaries.sensitive_words,
                            SensitiveWord(word="违规自查", category="测试"))}))  # fmt: skip
    dictionaries = [before]
    checker = WordingChecker(hub.store, hub.work_orders, hub.config.directory,
                             "http://unused.invalid/{key}/", lambda: dictionaries[0],
                             lambda a: hub.articles.state(a)[0], "测试")  # fmt: skip
    now = datetime.now(UTC)
    assert checker.run_once(now) == []  # as reviewed: nothing wrong
    dictionaries[0] = learned  # the dictionaries learn the phrase: every copy is read again
    (opened,) = checker.run_once(now)
    order = hub.work_orders.get(opened)
    assert order["problem"] == "wording_error" and order["subject"] == article
    assert "违规自查" in order["summary"] and order["site"] == "9900000001"
    detail = hub.work_orders.history(opened)[0]["evidence"]["detail"]
    assert f"稿件 {article} 第 1 版" in detail
    for reviewer in ("liting", "wangqiang", "chenjing"):
        assert reviewer in detail  # who approved the revision the public reads
    assert "微信公众号 wechat:sf-wechat" in detail and "微博 weibo:sf-weibo" in detail
    assert checker.run_once(now) == []  # the same finding again: no second order

    # One correction reaches both platforms; the re-checks pass and the order closes.
    hub.publishing.correct("zhangwei", article, title="关于开展自查工作的通知")
    for user, gates in STAGES:
        hub.articles.approve(user, article, gates)
    hub.react()
    run_planner(hub.store)
    world.deliver()
    checker.run_once(now + timedelta(minutes=5))
    checker.run_once(now + timedelta(minutes=10))
    closed = hub.work_orders.get(opened)
    assert closed["status"] == "closed", hub.work_orders.history(opened)[-1]
    assert "第 2 版" in hub.work_orders.history(opened)[-2]["evidence"]["detail"]


def test_live_findings_read_the_content_not_the_page_frame(world: World) -> None:
    compiled = world.hub.config.checks
    page = ("<html><body><nav>网上赌场</nav><main><p>本市开展网上赌场专项整治。</p></main>"
            "</body></html>")  # fmt: skip
    (finding,) = live_findings(page, compiled, datetime.now(UTC).date())
    assert finding.rule == "P07" and finding.text == "网上赌场"
    assert live_findings("<main><p>各有关单位：请按时报送。</p></main>", compiled,
                         datetime.now(UTC).date()) == []  # fmt: skip


def test_an_account_posting_with_other_tools_is_fresh_by_what_its_platform_lists(
    world: World,
) -> None:
    """A unit posts on WeChat and Weibo with the platforms' own tools: the hub never
    published there, yet the accounts are up to date — the platforms say so."""
    from hub.supervision.accounts import AccountWatcher
    from hub.supervision.freshness import State, platform_freshness

    hub = world.hub
    now = datetime.now(UTC)
    _, before = platform_freshness(hub.config.directory, hub.store, now)
    states = {c.subject: c.state for c in before}
    assert states["wechat:sf-wechat"] is State.BLANK and states["weibo:sf-weibo"] is State.BLANK
    draft = world.wechat_api.add_draft([{"title": "本周政务服务提示", "content": "<p>提示</p>",
                                         "thumb_media_id": world.wechat_api.add_thumb(_jpeg())}])  # fmt: skip
    world.wechat_api.submit(draft)
    world.weibo_api.share("【提示】本周政务服务大厅照常开放 https://www.sf.gov.cn/")
    time.sleep(0.3)  # the sandbox publishes after its delay
    watcher = AccountWatcher(hub.store, hub.config.directory, {"sf-wechat": world.wechat_api},
                             {"sf-weibo": world.weibo_api}, "测试")  # fmt: skip
    seen = watcher.run_once(now)
    assert set(seen) == {"wechat:sf-wechat", "weibo:sf-weibo"}
    position = hub.store.head_position()
    watcher.run_once(now)  # nothing new: nothing appended
    assert hub.store.head_position() == position
    hub.catch_up()
    _, after = platform_freshness(hub.config.directory, hub.store, now)
    for countdown in after:
        if countdown.subject in seen:
            assert countdown.state is State.OK and countdown.last_update is not None
            assert abs((countdown.last_update - now).total_seconds()) < 120


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 200), (20, 90, 160)).save(out, "JPEG")
    return out.getvalue()
