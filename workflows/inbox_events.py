"""Events of a user's inbox stream (`inbox-<user>`): the notifications themselves are folded
from the work order events (hub/projections/notifications.py); what the user did with them
is recorded here."""

from __future__ import annotations

from datetime import datetime

from events.envelope import Event
from events.registry import event_type


@event_type("NotificationsRead")
class NotificationsRead(Event):
    """The user read their notifications up to this moment."""

    up_to: datetime
