"""Events of a site's probe stream (`probe-<site code>`): what the probes saw, rolled up by
the hour (raw results are not kept: 359 sites × 50 pages every 5 minutes would be 5 million
events a day), and each outage once confirmed and once over."""

from __future__ import annotations

from datetime import datetime

from events.envelope import Event
from events.registry import event_type


@event_type("ProbeHourRecorded")
class ProbeHourRecorded(Event):
    """One vantage point's probes of one site in one hour: how many, how many failed (no
    answer within the timeout, or an error status), of them the homepage's."""

    hour: datetime
    vantage: str
    attempts: int
    failures: int
    homepage_attempts: int
    homepage_failures: int
    slowest_ms: int
    failed_urls: tuple[str, ...] = ()  # a few, for the evidence


@event_type("OutageConfirmed")
class OutageConfirmed(Event):
    """A page failed twice in a row (or from two vantage points): it is down."""

    url: str
    homepage: bool
    since: datetime
    vantage: str
    detail: str  # the last failure: "HTTP 503", "超时 15 秒", "连接被拒绝"


@event_type("OutageEnded")
class OutageEnded(Event):
    """A page that was down answered again."""

    url: str
    at: datetime
    vantage: str


@event_type("CrawlRecorded")
class CrawlRecorded(Event):
    """One crawl pass over a site (hub/supervision/crawler.py): how much it read and found."""

    at: datetime
    vantage: str
    full: bool
    pages: int
    links: int
    bytes: int
    broken_pages: int
    broken_links: int
    outbound_hosts: int
    hidden_pages: int
    wording_pages: int
    seconds: float


@event_type("UpdateSeen")
class UpdateSeen(Event):
    """The newest item of something the hub does not publish by itself, as seen from outside:
    a new-media account's newest post as its platform lists it (posts made with other tools
    count), or the newest date on a column or homepage the hub did not write (crawled)."""

    target: str  # wechat:<id>, weibo:<id>, website:<site code>/<column>, website:<site code>
    latest_at: datetime
    vantage: str
    source: str  # platform | crawl
