"""Small event types for store tests, in a registry of their own."""

from __future__ import annotations

from events.envelope import Actor, Event, NewEvent
from events.registry import EventRegistry

registry = EventRegistry()


class Noted(Event):
    text: str
    n: int = 0


registry.register(Noted, "Noted")
ACTOR = Actor("tester", "editor")


def noted(text: str, n: int = 0, event_id: str | None = None) -> NewEvent:
    if event_id is None:
        return NewEvent(Noted(text=text, n=n), ACTOR, "corr")
    return NewEvent(Noted(text=text, n=n), ACTOR, "corr", event_id=event_id)
