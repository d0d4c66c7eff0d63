"""The delivery engine with the website channel: pages appear, are corrected in place and
disappear on retraction; a worker that dies mid-send never causes a second send."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

from channels.contract import DeliveryItem, Receipt
from channels.website.adapter import WebsiteAdapter
from channels.website.site_index import Listed
from hub.delivery.engine import DeliveryEngine
from hub.delivery.planner import run_planner
from hub.projections.deliveries import deliveries_of
from hub.runtime.embedded import EmbeddedHub, website_sites
from tests.helpers import STAGES, approved, pages
from tests.servers import both_databases  # noqa: F401  (these tests run on both databases)
from workflows.beijing_time import beijing_text
from workflows.delivery_decider import ForDelivery, Start
from workflows.delivery_events import Operation


def meta(page: Path, name: str) -> str:
    found = re.search(rf'<meta name="{name}" content="([^"]*)">', page.read_text("utf-8"))
    assert found, name
    return found.group(1)


def test_publish_correct_and_retract_on_two_sites(hub: EmbeddedHub, html_validator) -> None:
    article = approved(hub)
    # The publish appends and returns; the worker's round (hub serve's engine loop) delivers.
    hub.publishing.publish("qianli", article, ["gov/notices", "drc/news"], feeds=False)
    hub.work()
    gov, drc = (hub.config.sites_root / "gov" / "notices" / f"{article}.html",
                hub.config.sites_root / "drc" / "news" / f"{article}.html")  # fmt: skip
    assert pages(hub) == sorted([gov, drc])
    assert meta(gov, "SiteIDCode") == "9900000001" and meta(drc, "SiteIDCode") == "9900000012"
    assert meta(gov, "ColumnName") == "通知公告" and meta(drc, "ColumnName") == "工作动态"
    assert meta(gov, "ArticleTitle") == "关于开展自查工作的通知"
    for name in ("SiteName", "SiteDomain", "ColumnType", "PubDate", "ContentSource", "Url"):
        assert meta(gov, name)
    assert meta(gov, "Url") == f"https://www.sf.gov.cn/notices/{article}.html"
    assert html_validator(gov) == [] and html_validator(drc) == []
    broken = gov.with_name("broken.html")
    broken.write_text(gov.read_text("utf-8").replace("</article>", "</section>"), "utf-8")
    assert html_validator(broken)  # the checker does find errors
    broken.unlink()
    # The lists it touched: the column page, its feed, the homepage and the sitemap.
    root = hub.config.sites_root / "gov"
    column_page, home = root / "notices" / "index.html", root / "index.html"
    for listing in (column_page, home):
        assert f"/notices/{article}.html" in listing.read_text("utf-8")
        assert html_validator(listing) == []
    feed = ElementTree.parse(root / "notices" / "atom.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    assert [e.findtext(f"{atom}title") for e in feed.iter(f"{atom}entry")] == [
        "关于开展自查工作的通知"
    ]
    index = ElementTree.parse(root / "sitemap.xml").getroot()
    sm = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    assert [e.findtext(f"{sm}loc") for e in index.iter(f"{sm}sitemap")] == [
        "https://www.sf.gov.cn/sitemap-columns.xml",
        "https://www.sf.gov.cn/sitemap-1.xml",
    ]
    urls = ElementTree.parse(root / "sitemap-1.xml").getroot()
    assert [e.findtext(f"{sm}loc") for e in urls.iter(f"{sm}url")] == [
        f"https://www.sf.gov.cn/notices/{article}.html"
    ]
    states = {d.target.key: d for d in deliveries_of(hub.store, article) if d.target}
    assert {str(d.status) for d in states.values()} == {"delivered"}
    assert hub.deliveries.run_once().attempted == 0  # nothing due: nothing sent again

    hub.publishing.correct(
        "zhangwei", article, body_html="<p>各有关单位：截止时间更正为12月20日。</p>"
    )
    for user, gates in STAGES:
        hub.articles.approve(user, article, gates)
    hub.work()  # the correction policy publishes the approved correction, the engine delivers
    assert "更正为12月20日" in gov.read_text("utf-8") and "更正为12月20日" in drc.read_text("utf-8")
    actions = sorted(str(d.action) for d in deliveries_of(hub.store, article))
    assert actions == ["publish", "publish", "update", "update"]

    hub.publishing.retract("qianli", article, "政策调整")
    hub.work()
    assert pages(hub) == []
    assert article not in column_page.read_text("utf-8") and article not in home.read_text("utf-8")
    assert article not in (root / "sitemap-1.xml").read_text("utf-8")
    assert "本栏目暂无信息" in column_page.read_text("utf-8")
    statuses = sorted(str(d.status) for d in deliveries_of(hub.store, article))
    assert statuses == ["retracted"] * 4


class CountingWebsite(WebsiteAdapter):
    """The real website adapter, counting what reaches it."""

    sends = 0

    def send(self, item: DeliveryItem) -> Receipt:
        CountingWebsite.sends += 1
        return super().send(item)


def test_a_worker_killed_after_sending_causes_no_second_send(hub: EmbeddedHub) -> None:
    CountingWebsite.sends = 0
    article = approved(hub)
    hub.publishing.publish("zhangwei", article, ["gov/notices"], feeds=False)
    run_planner(hub.store)
    hub.catch_up()
    adapter = CountingWebsite(website_sites(hub.config))
    engine = DeliveryEngine(hub.store, {"website": adapter}, after_write=hub.catch_up)
    (delivery,) = deliveries_of(hub.store, article)
    # The dying worker: it records the start, sends, and is killed before recording.
    now = datetime.now(UTC)
    [began] = engine.runner.execute_batch(
        [(ForDelivery(delivery.delivery_id, Start(now, "dying", timedelta(seconds=30))),
          delivery, 1)])  # fmt: skip
    assert not isinstance(began, Exception) and began.event_ids
    engine.adapters["website"].send(engine._item(delivery._replace(operation=Operation.SEND)))
    hub.catch_up()
    assert engine.run_once(now).attempted == 0  # its lease still holds
    report = engine.run_once(now + timedelta(seconds=31))
    assert report.outcomes == {"delivered": 1}
    assert CountingWebsite.sends == 1
    (after,) = deliveries_of(hub.store, article)
    assert str(after.status) == "delivered" and after.attempts == 2
    history = [e.type for e in hub.store.read_stream(f"delivery-{delivery.delivery_id}")]
    assert history == [
        "DeliveryPlanned",
        "DeliveryStarted",
        "DeliveryOutcomeUnknown",
        "DeliveryStarted",
        "DeliverySucceeded",
    ]


def test_two_planners_at_once_plan_each_delivery_once(hub: EmbeddedHub) -> None:
    # The engine loop and a command delivering in-process both run the planner. Here the
    # second one runs (and finishes) between the first one's reading of its checkpoint and
    # its planning: the first must neither fail nor plan anything twice.
    articles = [approved(hub) for _ in range(3)]
    for article in articles:
        hub.publishing.publish("zhangwei", article, ["gov/notices"], feeds=False)

    class Interleaved:
        def __init__(self, store: object) -> None:
            self.store, self.cut_in = store, True

        def __getattr__(self, name: str) -> object:
            return getattr(self.store, name)

        def read_prefix(self, *args: object, **kwargs: object) -> object:
            found = self.store.read_prefix(*args, **kwargs)  # type: ignore[attr-defined]
            if self.cut_in:
                self.cut_in = False
                assert run_planner(self.store) == 3  # the other planner plans everything
            return found

    run_planner(Interleaved(hub.store))  # type: ignore[arg-type]
    hub.catch_up()
    for article in articles:
        assert len(deliveries_of(hub.store, article)) == 1
    assert run_planner(hub.store) == 0


def test_times_on_pages_and_feeds_are_beijing_time(hub: EmbeddedHub) -> None:
    """Every page, list and feed says the Beijing date and time (UTC + 8), feeds carry the
    +08:00 offset, and an item published at 00:30 Beijing time is listed under that day."""
    article = approved(hub)
    before = datetime.now(UTC)
    hub.publishing.publish("zhangwei", article, ["gov/notices"], feeds=False)
    hub.work()
    page = hub.config.sites_root / "gov" / "notices" / f"{article}.html"
    html = page.read_text("utf-8")
    shown = datetime.strptime(meta(page, "PubDate"), "%Y-%m-%d %H:%M")
    utc_minute = before.replace(tzinfo=None, second=0, microsecond=0)
    assert timedelta(hours=8) <= shown - utc_minute <= timedelta(hours=8, minutes=1)
    assert f"发布时间：{meta(page, 'PubDate')}" in html
    listing = (hub.config.sites_root / "gov" / "notices" / "index.html").read_text("utf-8")
    assert f'<span class="date">{shown:%Y-%m-%d}</span>' in listing
    feed = (hub.config.sites_root / "gov" / "notices" / "atom.xml").read_text("utf-8")
    assert f"{shown:%Y-%m-%dT%H:%M}" in feed and "+08:00</updated>" in feed
    late = Listed(article, "notices", "t", "u", "2026-12-10T16:30:00+00:00")
    assert late.date == "2026-12-11"  # 00:30 in Beijing belongs to the 11th
    assert beijing_text("2026-12-10T16:30:00+00:00") == "2026-12-11 00:30"
