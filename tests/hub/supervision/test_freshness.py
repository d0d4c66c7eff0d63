"""Freshness from the log: each column's, homepage's and account's countdown to its veto
threshold, computed from the publication events (no crawl), against the national rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.projections.deliveries import unsettled_count
from hub.runtime.embedded import EmbeddedHub
from hub.supervision.freshness import SiteFreshness, State, platform_freshness
from tests.helpers import approved


def settle(hub: EmbeddedHub) -> None:
    for _ in range(30):
        hub.work()
        if not unsettled_count(hub.store):
            return


def gov(hub: EmbeddedHub, now: datetime) -> tuple[SiteFreshness, dict[str, State]]:
    sites, accounts = platform_freshness(hub.config.directory, hub.store, now)
    site = next(s for s in sites if s.site == "9900000001")
    states = {c.subject.rsplit("/", 1)[-1]: c.state for c in site.countdowns}
    states |= {c.subject: c.state for c in accounts}
    return site, states


def test_countdowns_follow_the_publications_and_the_rules(hub: EmbeddedHub) -> None:
    now = datetime.now(UTC)
    site, states = gov(hub, now)
    assert states["9900000001"] is State.BLANK  # the homepage: nothing ever published
    assert site.count("blank") == 9 and "空白栏目" in site.vetoes()

    news = approved(hub, title="关于全省安全生产工作的新闻")
    hub.publishing.publish("qianli", news, ["gov/news-gov", "app:sf-app"], feeds=False)
    notice = approved(hub, title="关于开展自查工作的通知")
    hub.publishing.publish("qianli", notice, ["gov/notices"], feeds=False)
    settle(hub)
    hub.catch_up()
    site, states = gov(hub, now)
    # The sub-column and its first-level parent were updated; so were the homepage and the app.
    assert states["news-gov"] is states["news"] is states["notices"] is State.OK
    assert states["9900000001"] is State.OK and states["app:sf-app"] is State.OK
    assert states["news-local"] is State.BLANK and states["wechat:sf-wechat"] is State.BLANK
    assert site.count("blank") == 6  # news-local, policy and its two, interpretation, personnel
    # Days later: news warns 4 days before its 14, then counts against the site; notices
    # (6 months) stay fresh; the homepage follows the newest item anywhere on the site.
    site, states = gov(hub, now + timedelta(days=11))
    assert states["news"] is State.WARNING and states["notices"] is State.OK
    assert states["9900000001"] is State.WARNING and "首页即将超期未更新" in site.warnings()
    site, states = gov(hub, now + timedelta(days=15))
    assert states["news"] is State.OVERDUE and states["news-gov"] is State.OVERDUE
    assert states["notices"] is State.OK and states["app:sf-app"] is State.OVERDUE
    assert site.count("A") == 2 and "首页不更新" in site.vetoes()
    homepage = site.homepage
    assert homepage.days_left(now + timedelta(days=15)) < 0  # type: ignore[operator]

    # A retracted article no longer counts: the column is blank again.
    hub.publishing.retract("qianli", notice, "发布有误")
    hub.catch_up()
    _, states = gov(hub, now)
    assert states["notices"] is State.BLANK and states["news"] is State.OK
