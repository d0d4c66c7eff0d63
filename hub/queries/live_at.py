"""Time-travel: what a site (or a column, or a channel account) showed at a moment, answered
from the log — each article's revision live there then, since when it had been out, when that
revision went out, and who reviewed, approved and signed it off.

The delivery ledger (a read model) is used only as an index of which deliveries ever touched
the place; every fact comes from the events of those deliveries and of their articles, read
up to the moment asked about. An article is live on a target at T when the last of its
deliveries' outcomes there at or before T put it there (DeliverySucceeded), not took it off
(DeliveryRetracted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.store import EventStore
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.runtime.clock import as_beijing, utc_now
from hub.setup.directory import Directory
from workflows.article_decider import ARTICLES
from workflows.article_events import (
    ArticleApproved,
    ArticleCreated,
    ArticleRevised,
    ArticleSignedOff,
    StageApproved,
)
from workflows.delivery_decider import DELIVERIES
from workflows.delivery_events import DeliveryPlanned, DeliveryRetracted, DeliverySucceeded
from workflows.errors import DomainError
from workflows.publication import Channel, Target


@dataclass
class Approval:
    stage: str  # the stage's name as reviewers know it (初审, 复审, 终审)
    user: str
    at: datetime


@dataclass
class LiveItem:
    """One article live on one target at the moment asked about."""

    article_id: str
    target: str
    revision: int
    content_hash: str
    title: str
    live_since: datetime  # when it first went live on this target (and stayed since)
    revision_out_at: datetime  # when this revision reached the target
    delivery_id: str
    approvals: list[Approval] = field(default_factory=list)
    approved_at: datetime | None = None
    signed_off_by: str | None = None
    signed_off_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id, "target": self.target, "revision": self.revision,
            "content_hash": self.content_hash, "title": self.title,
            "live_since": self.live_since.isoformat(),
            "revision_out_at": self.revision_out_at.isoformat(),
            "delivery_id": self.delivery_id,
            "approvals": [{"stage": a.stage, "user": a.user, "at": a.at.isoformat()}
                          for a in self.approvals],
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
            "signed_off_by": self.signed_off_by,
            "signed_off_at": self.signed_off_at.isoformat() if self.signed_off_at else None,
        }  # fmt: skip


@dataclass(frozen=True)
class Place:
    """Where to look: a site (by code) and perhaps one of its columns, or an account; and the
    site whose staff may look (an account's is the site that runs it)."""

    site: str | None
    column: str | None
    account: str | None
    owner: str


def place_of(directory: Directory, site: str | None, column: str | None,
             account: str | None) -> Place:  # fmt: skip
    """The place a user named (site by code or key, column by id or name), or refused."""
    if (site is None) == (account is None) or (column is not None and site is None):
        raise DomainError("INVALID_INPUT", "请给出站点（可加栏目）或账号，二者选一")
    if account is not None:
        found = directory.account(account)
        return Place(None, None, found.id, directory.site(found.site).code)
    assert site is not None
    found_site = directory.site(site)
    column_id = directory.column(found_site, column).id if column is not None else None
    return Place(found_site.code, column_id, None, found_site.code)


def moment_of(at: datetime | None) -> datetime:
    """The moment asked about (zone-less: Beijing time; none: now); never the future."""
    moment = as_beijing(at) or utc_now()
    if moment > utc_now():
        raise DomainError("INVALID_INPUT", "时刻不能晚于现在：只能回看已发生的情况")
    return moment


def live_at(
    store: EventStore, at: datetime, *, site: str | None = None, column: str | None = None,
    account: str | None = None,
) -> list[LiveItem]:  # fmt: skip
    """What the site with code `site` (only its `column`, if given) or the channel `account`
    showed at `at`, oldest first."""
    where: dict[str, Any] = (
        {"channel": str(Channel.WEBSITE), "account": site} if site else {"account": account}
    )
    rows = store.rows(DELIVERIES_TABLE, where, ("delivery_id", "target"), order_by=("seq",))
    # target -> article -> (outcome time, live?, delivery, revision, hash) of the last outcome
    outcomes: dict[str, dict[str, list[tuple[datetime, bool, str, int, str]]]] = {}
    for delivery_id, target_key in rows:
        target = Target.parse(str(target_key))
        if column is not None and target.column != column:
            continue
        planned: DeliveryPlanned | None = None
        for event in store.read_stream(DELIVERIES(str(delivery_id))):
            if event.occurred_at > at:
                break
            payload = event.payload
            if isinstance(payload, DeliveryPlanned):
                planned = payload
            elif planned is not None and isinstance(payload, DeliverySucceeded | DeliveryRetracted):
                live = isinstance(payload, DeliverySucceeded)
                outcomes.setdefault(str(target_key), {}).setdefault(planned.article_id, []).append(
                    (event.occurred_at, live, str(delivery_id), planned.revision,
                     planned.content_hash))  # fmt: skip
    items = []
    for target_key, articles in outcomes.items():
        for article_id, seen in articles.items():
            seen.sort(key=lambda o: o[0])
            when, live, delivery_id, revision, content_hash = seen[-1]
            if not live:
                continue
            since = when
            for earlier in reversed(seen[:-1]):  # back to the last time it was taken off
                if not earlier[1]:
                    break
                since = earlier[0]
            out_at = min(o[0] for o in seen if o[1] and o[3] == revision and o[0] >= since)
            item = LiveItem(article_id, target_key, revision, content_hash, "", since, out_at,
                            delivery_id)  # fmt: skip
            _review(store, item, at)
            items.append(item)
    return sorted(items, key=lambda i: (i.live_since, i.article_id, i.target))


def _review(store: EventStore, item: LiveItem, at: datetime) -> None:
    """The revision's title and its review record, from the article's events up to `at`."""
    stages: dict[str, Approval] = {}
    for event in store.read_stream(ARTICLES(item.article_id)):
        if event.occurred_at > at:
            break
        payload = event.payload
        if (isinstance(payload, ArticleCreated) and item.revision == 1) or (
            isinstance(payload, ArticleRevised) and payload.revision == item.revision
        ):
            item.title = payload.content.title
        elif isinstance(payload, StageApproved) and payload.revision == item.revision:
            stages[payload.stage] = Approval(payload.stage_name, payload.approver,
                                             event.occurred_at)  # fmt: skip
        elif isinstance(payload, ArticleSignedOff) and payload.revision == item.revision:
            item.signed_off_by, item.signed_off_at = payload.leader, event.occurred_at
        elif isinstance(payload, ArticleApproved) and payload.revision == item.revision:
            item.approved_at = event.occurred_at
            # the approval of record: each stage's approver as the decider recorded it
            item.approvals = [stages[s] for s in payload.approvers if s in stages]
