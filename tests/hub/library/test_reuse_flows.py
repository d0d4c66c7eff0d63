"""Content flowing between sites, through the services, on both databases: a reference (共享调用)
follows its source's correction and retraction; an offer (推送) is adopted (采用) as a copy in
the receiving site's own review, with its lineage; a submission (信息报送) goes only upward and
is returned with a reason, then adopted; a source's correction reaches every copy by the
receiving site's policy (auto: into its review; task: a task), and the repost speed of a
document is known for every site."""

from __future__ import annotations

import pytest

from hub.runtime.embedded import EmbeddedHub
from tests.helpers import STAGES, approved
from tests.servers import both_databases  # noqa: F401  (these tests run on both databases)
from workflows.errors import DomainError

ALL = ["political", "legal", "policy", "secrecy", "wording", "public_opinion"]


def settle(hub: EmbeddedHub, rounds: int = 3) -> None:
    for _ in range(rounds):
        hub.work()


def review(hub: EmbeddedHub, article: str, reviewers: tuple[str, ...]) -> None:
    for user in reviewers:
        hub.articles.approve(user, article, ALL)


def live_sites(hub: EmbeddedHub, article: str) -> set[str]:
    state, _ = hub.articles.commands.load(article)
    return {t.account for t in state.live.targets} if state.live else set()


def test_a_reference_follows_its_source(hub: EmbeddedHub) -> None:
    source = approved(hub, title="关于做好2026年冬季供暖保障工作的通知")
    hub.publishing.publish("qianli", source, ["gov/notices"], feeds=False)
    with pytest.raises(DomainError) as own:  # gov's editor reuses on gov: that is publishing
        hub.reuse.reuse("zhangwei", source, ["gov/news-gov"])
    assert own.value.code == "REUSE_OWN_SITE"
    with pytest.raises(DomainError) as other:  # drc's editor cannot place it on gov's columns
        hub.reuse.reuse("zhoumin", source, ["gov/news-gov"])
    assert other.value.code == "SITE_ROLE_REQUIRED"
    hub.reuse.reuse("zhoumin", source, ["drc/notices"], feeds=False)  # two clicks: find, place
    settle(hub)
    assert live_sites(hub, source) == {"9900000001", "9900000012"}
    page = hub.config.sites_root / "drc" / "notices" / f"{source}.html"
    html = page.read_text(encoding="utf-8")
    assert "转载自" in html and "示范省人民政府门户网站" in html
    listed = hub.reuse.listing(["9900000012"])
    assert [(r["kind"], r["source_article"], r["offered_by"]) for r in listed] == [
        ("reference", source, "zhoumin")]  # fmt: skip
    with pytest.raises(DomainError) as again:
        hub.reuse.reuse("zhoumin", source, ["drc/notices"], feeds=False)
    assert again.value.code == "ALREADY_REUSED"
    # The source is corrected: the reference shows the correction; retracted: it goes.
    hub.publishing.correct("zhangwei", source, title="关于做好2026年冬季供暖保障工作的通知（更正）")
    for user, gates in STAGES:
        hub.articles.approve(user, source, gates)
    settle(hub)
    assert "（更正）" in page.read_text(encoding="utf-8")
    hub.publishing.retract("qianli", source, "有误")
    settle(hub)
    assert not page.exists()
    gone = hub.reuse.listing(["9900000012"])
    assert [(r["kind"], r["status"], r["change"]) for r in gone] == [
        ("reference", "withdrawn", "retracted")
    ]


def test_a_site_takes_a_reference_off_and_places_it_again(hub: EmbeddedHub) -> None:
    source = approved(hub, title="关于做好2026年春节期间安全生产工作的通知")
    hub.publishing.publish("qianli", source, ["gov/notices"], feeds=False)
    hub.reuse.reuse("zhoumin", source, ["drc/notices"], feeds=False)
    settle(hub)
    hub.publishing.retract("zhoumin", source, "与本站职能无关")  # drc's own: off drc only
    settle(hub)
    assert [(r["status"], r["change"]) for r in hub.reuse.listing(["9900000012"])] == [
        ("withdrawn", "withdrawn")]  # fmt: skip
    assert live_sites(hub, source) == {"9900000001"}
    hub.reuse.reuse("zhoumin", source, ["drc/notices"], feeds=False)
    settle(hub)
    again = hub.reuse.listing(["9900000012"])
    assert [(r["status"], r["change"], r["columns"]) for r in again] == [
        ("accepted", None, ["website:9900000012/notices"])]  # fmt: skip


def test_an_offer_is_adopted_as_a_copy_reviewed_by_the_receiving_site(hub: EmbeddedHub) -> None:
    created = hub.articles.create("zhoumin", "drc", ["notices"], "关于开展价格监测工作的通知",
                                  "<p>各有关单位：请做好价格监测工作。</p>")  # fmt: skip
    offer_of = created.article_id
    with pytest.raises(DomainError) as unreviewed:
        hub.reuse.offer("zhoumin", offer_of, "gov")
    assert unreviewed.value.code == "NOT_APPROVED"
    hub.articles.submit("zhoumin", offer_of)
    review(hub, offer_of, ("wujun", "songjie", "xuhui"))
    with pytest.raises(DomainError) as stranger:
        hub.reuse.offer("linfang", offer_of, "gov")  # city's editor: no role on drc
    assert stranger.value.code == "SITE_ROLE_REQUIRED"
    reuse_id = hub.reuse.offer("zhoumin", offer_of, "gov", "建议在通知公告栏目转载")
    with pytest.raises(DomainError) as twice:
        hub.reuse.offer("zhoumin", offer_of, "gov")
    assert twice.value.code == "REUSE_EXISTS"
    incoming = hub.reuse.listing(["9900000001"], status="offered")
    assert [(r["reuse_id"], r["kind"], r["title"], r["note"]) for r in incoming] == [
        (reuse_id, "offer", "关于开展价格监测工作的通知", "建议在通知公告栏目转载")]  # fmt: skip
    with pytest.raises(DomainError) as not_theirs:
        hub.reuse.accept("zhoumin", reuse_id, ["notices"])  # the sender cannot adopt it
    assert not_theirs.value.code == "SITE_ROLE_REQUIRED"
    adopted = hub.reuse.accept("zhangwei", reuse_id, ["notices"])
    copy = adopted["copy_article"]
    assert adopted["status"] == "accepted" and adopted["decided_by"] == "zhangwei"
    state, _ = hub.articles.commands.load(copy)
    assert state.site == "9900000001" and str(state.status) == "in_review"
    assert state.content is not None and state.content.metadata.source == "示范省发展和改革委员会"
    assert state.content.metadata.repost
    for user, gates in STAGES:  # gov's own reviewers
        hub.articles.approve(user, copy, gates)
    hub.publishing.publish("zhangwei", copy, feeds=False)
    settle(hub)
    speed = hub.reuse.repost_speed(offer_of)
    gov = next(s for s in speed["sites"] if s["site"] == "gov")
    # On gov since the copy went out; the source never went out on drc: no delay to time.
    assert gov["reposted_at"] is not None and gov["hours"] is None
    # The sender sees that it was adopted.
    sent = hub.reuse.listing(["9900000012"], incoming=False)
    assert [(r["status"], r["to_site_name"]) for r in sent] == [
        ("accepted", "示范省人民政府门户网站")
    ]


def test_a_submission_goes_up_is_returned_then_adopted_and_copies_follow_their_source(
    hub: EmbeddedHub,
) -> None:
    created = hub.articles.create("linfang", "city", ["news"], "示范市一网通办改革取得新成效",
                                  "<p>今年以来，我市一网通办改革持续深化。</p>")  # fmt: skip
    city_item = created.article_id
    hub.articles.submit("linfang", city_item)
    review(hub, city_item, ("huangbo", "yangfan", "zhengkai"))
    hub.publishing.publish("linfang", city_item, feeds=False)
    with pytest.raises(DomainError) as sideways:
        hub.reuse.offer("linfang", city_item, "drc", kind="submission")
    assert sideways.value.code == "NOT_UPWARD"
    reuse_id = hub.reuse.submit("linfang", city_item, "请省政府网站采用")
    with pytest.raises(DomainError) as no_reason:
        hub.reuse.decline("zhangwei", reuse_id, "  ")
    assert no_reason.value.code == "REASON_REQUIRED"
    returned = hub.reuse.decline("zhangwei", reuse_id, "请补充具体数据")
    assert (returned["status"], returned["reason"]) == ("declined", "请补充具体数据")
    assert hub.reuse.submit("linfang", city_item, "已补充数据") == reuse_id  # the same flow
    copy = hub.reuse.accept("liuyang", reuse_id, ["news-local"])["copy_article"]
    for user, gates in STAGES:
        hub.articles.approve(user, copy, gates)
    hub.publishing.publish("zhangwei", copy, feeds=False)
    settle(hub)
    speed = hub.reuse.repost_speed(city_item)
    gov = next(s for s in speed["sites"] if s["site"] == "gov")
    assert gov["reposted_at"] is not None and gov["hours"] is not None and gov["within_24h"]
    assert speed["reposted"] == 1 and speed["of"] == 3
    # The city corrects its item: gov's policy is `auto`: the copy's new revision is in gov's
    # review (live still shows the reviewed one until gov approves it).
    hub.publishing.correct(
        "linfang",
        city_item,
        body_html="<p>今年以来，我市一网通办改革持续深化，办件量增长三成。</p>",
    )
    review(hub, city_item, ("huangbo", "yangfan", "zhengkai"))
    settle(hub, 4)
    state, _ = hub.articles.commands.load(copy)
    assert state.content is not None and "增长三成" in state.content.body_html
    assert str(state.status) == "in_review" and state.live is not None and state.live.revision == 1
    changed = hub.reuse.get(reuse_id)
    assert (changed["change"], changed["followed"]) == ("corrected", True)
    # The city retracts it: the copy is taken down on gov.
    hub.publishing.retract("linfang", city_item, "数据有误")
    settle(hub, 4)
    assert hub.articles.commands.load(copy)[0].live is None
    assert hub.reuse.get(reuse_id)["change"] == "retracted"


def test_a_task_site_keeps_its_copy_and_is_told(hub: EmbeddedHub) -> None:
    source = approved(hub, title="关于做好2026年防汛准备工作的通知")
    hub.publishing.publish("qianli", source, ["gov/notices"], feeds=False)
    reuse_id = hub.reuse.offer("zhangwei", source, "city")
    copy = hub.reuse.accept("linfang", reuse_id, ["notices"])["copy_article"]
    review(hub, copy, ("huangbo", "yangfan", "zhengkai"))
    hub.publishing.publish("linfang", copy, feeds=False)
    settle(hub)
    hub.publishing.correct("zhangwei", source, title="关于做好2026年防汛准备工作的通知（更正）")
    for user, gates in STAGES:
        hub.articles.approve(user, source, gates)
    settle(hub, 4)
    state, _ = hub.articles.commands.load(copy)
    assert state.content is not None and not state.content.title.endswith("（更正）")
    told = hub.reuse.listing(["9901000001"])
    assert [(r["change"], r["followed"]) for r in told] == [("corrected", False)]
