"""Events of a work order stream (`workorder-<id>`): one problem of one site, column or
account found by supervision (管网), from its finding to its closing (销号). Every state change
and every piece of evidence is one of these events; the supervisors' screen is their fold."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from events.envelope import Event
from events.registry import event_type
from workflows.vocabulary import PROBLEM_LABELS as PROBLEM_LABELS
from workflows.vocabulary import Problem as Problem


class Evidence(BaseModel):
    """What a probe, a crawl or a check saw: kept with the order, never edited."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # http | screenshot | dom | check | log
    summary: str  # for people: "HTTP 503，耗时 15.0 秒"
    detail: str = ""  # the trace, the DOM hash, the finding's text
    vantage: str = ""  # where it was seen from (a probe's name)
    seen_at: datetime
    dom_hash: str = ""  # the page as it was seen (SHA-256 of its HTML, first 16 hex digits)
    screenshot: str = ""  # the media store's address of a screenshot of the rendered page


@event_type("WorkOrderOpened")
class WorkOrderOpened(Event):
    """A problem was found: the order is open, for the unit that runs the subject, to be
    fixed by `due_by` (the threshold it threatens), closed after `passes_required` passing
    re-checks."""

    order_id: str
    problem: Problem
    subject: str  # site code, site/column, account id, or a page's URL
    site: str  # the code of the site responsible (an account's: the site that runs it)
    unit: str  # the unit responsible (the site's or the account's organisation)
    summary: str
    key: str  # the problem's identity: a second finding of it while open joins this order
    due_by: datetime
    passes_required: int
    evidence: Evidence


@event_type("WorkOrderObserved")
class WorkOrderObserved(Event):
    """The problem was found again while the order is open (it joined the order)."""

    evidence: Evidence


@event_type("WorkOrderDispatched")
class WorkOrderDispatched(Event):
    """A supervisor sent the order to a unit (派单), with a deadline."""

    unit: str
    deadline: datetime
    by: str
    note: str = ""


@event_type("WorkOrderRectified")
class WorkOrderRectified(Event):
    """The unit reports the problem fixed (整改), for re-check (复核)."""

    by: str
    note: str


@event_type("WorkOrderRechecked")
class WorkOrderRechecked(Event):
    """An automatic re-check ran: passed, or the problem is still there."""

    passed: bool
    evidence: Evidence


@event_type("WorkOrderReturned")
class WorkOrderReturned(Event):
    """The rectification was not accepted (退回): the unit must work on it again."""

    by: str
    reason: str


@event_type("WorkOrderExtended")
class WorkOrderExtended(Event):
    """The deadline moved later (延期), with the reason."""

    by: str
    reason: str
    until: datetime


@event_type("WorkOrderClosed")
class WorkOrderClosed(Event):
    """Closed (销号) after the required passing re-checks."""

    by: str
    passes: int
