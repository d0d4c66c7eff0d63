"""What the probes saw (hub/supervision/probes.py), as tables: each site's probes per hour and
vantage point, and every outage with when it began and ended."""

from __future__ import annotations

from events.decider import StreamName
from events.envelope import RecordedEvent
from events.recorder import Column, Table
from events.store import SubscriberTransaction
from workflows.probe_events import (
    CrawlRecorded,
    OutageConfirmed,
    OutageEnded,
    ProbeHourRecorded,
    UpdateSeen,
)

PROBES = StreamName("probe")  # probe-<site code>-<yyyymm>

PROBE_HOURS = Table(
    "probe_hours",
    (
        Column("site", key=True), Column("hour", key=True), Column("vantage", key=True),
        Column("attempts", "int"), Column("failures", "int"),
        Column("homepage_attempts", "int"), Column("homepage_failures", "int"),
        Column("slowest_ms", "int"),
    ),
    indexes=(("hour",),),
)  # fmt: skip
OUTAGES = Table(
    "outages",
    (
        Column("url", key=True), Column("vantage", key=True), Column("site", required=True),
        Column("homepage", "int"), Column("since", required=True), Column("detail"),
        Column("ended_at"),
    ),
    indexes=(("site", "ended_at"),),
)  # fmt: skip

CRAWLS = Table(
    "crawls",
    (
        Column("site", key=True), Column("kind", key=True), Column("vantage", key=True),
        Column("at", required=True), Column("pages", "int"), Column("links", "int"),
        Column("broken_pages", "int"), Column("broken_links", "int"),
        Column("outbound_hosts", "int"), Column("hidden_pages", "int"),
        Column("wording_pages", "int"),
    ),
)  # fmt: skip

SEEN_UPDATES = Table(
    "seen_updates",
    (Column("target", key=True), Column("latest_at", required=True), Column("seen_at"),
     Column("source")),
)  # fmt: skip


class ProbesProjection:
    """Keeps `probe_hours` and `outages` from the probe streams."""

    name = "probes"
    stream_prefix = PROBES.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(PROBE_HOURS, OUTAGES, CRAWLS, SEEN_UPDATES)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(PROBE_HOURS, OUTAGES, CRAWLS, SEEN_UPDATES)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if not PROBES.owns(event.stream_id):
            return
        site = PROBES.entity(event.stream_id).split("-", 1)[0]
        match event.payload:
            case ProbeHourRecorded() as p:
                tx.upsert(PROBE_HOURS, [(site, p.hour.isoformat(), p.vantage, p.attempts,
                                         p.failures, p.homepage_attempts, p.homepage_failures,
                                         p.slowest_ms)])  # fmt: skip
            case OutageConfirmed() as p:
                tx.upsert(OUTAGES, [(p.url, p.vantage, site, int(p.homepage),
                                     p.since.isoformat(), p.detail, None)])  # fmt: skip
            case UpdateSeen() as p:
                tx.upsert(SEEN_UPDATES, [(p.target, p.latest_at.isoformat(),
                                          event.occurred_at.isoformat(), p.source)])  # fmt: skip
            case CrawlRecorded() as p:
                tx.upsert(CRAWLS, [(site, "full" if p.full else "incremental", p.vantage,
                                    p.at.isoformat(), p.pages, p.links, p.broken_pages,
                                    p.broken_links, p.outbound_hosts, p.hidden_pages,
                                    p.wording_pages)])  # fmt: skip
            case OutageEnded() as p:
                tx.update(OUTAGES, {"url": p.url, "vantage": p.vantage},
                          {"ended_at": p.at.isoformat()})  # fmt: skip
