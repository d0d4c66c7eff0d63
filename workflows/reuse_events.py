"""Events of a reuse stream (资源库流转): one source article offered to, or submitted up to,
one receiving site, and what became of it."""

from __future__ import annotations

from events.envelope import Event
from events.registry import event_type


@event_type("ReuseOffered")
class ReuseOffered(Event):
    """A site's staff offered a reviewed article to another site (推送), or submitted it to
    the site above (信息报送); the receiving site decides."""

    kind: str  # offer | submission
    source_article: str
    source_site: str  # code
    revision: int
    content_hash: str
    title: str
    to_site: str  # code
    offered_by: str
    note: str = ""


@event_type("ReuseAccepted")
class ReuseAccepted(Event):
    """The receiving site took it (采用): a copy of its own, reviewed by its own reviewers."""

    copy_article: str
    columns: tuple[str, ...]
    accepted_by: str


@event_type("ReuseDeclined")
class ReuseDeclined(Event):
    """The receiving site returned it (退回/不予采用), with the reason the sender sees."""

    declined_by: str
    reason: str


@event_type("SourceChanged")
class SourceChanged(Event):
    """The source of an accepted copy was corrected or retracted; `followed`: the copy was
    changed accordingly by the receiving site's policy (else its editors have a task)."""

    change: str  # corrected | retracted
    revision: int
    followed: bool
