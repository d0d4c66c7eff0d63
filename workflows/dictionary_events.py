"""The check dictionaries' own history: each loaded version that differs from the last one
recorded becomes a `DictionariesChanged` event in the `dictionaries` stream, naming the entries
added, changed and removed. Folding the stream gives the entry digests of the newest recorded
version, which is what the next version is compared with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from pydantic import Field

from events.decider import Decider, StreamName
from events.envelope import Event
from events.registry import event_type
from workflows.checks.dictionaries import Dictionaries

DICTIONARIES = StreamName("dictionaries")  # one stream, named "dictionaries"
DICTIONARIES_STREAM = DICTIONARIES("")

DICTIONARY_LABELS: dict[str, str] = {
    "country_names": "国家和地区名称",
    "leaders": "领导人姓名职务",
    "formulations": "固定表述",
    "renamed_agencies": "机构更名",
    "sensitive_words": "敏感词",
    "typos": "易错字词",
    "political_terms": "政治术语",
    "allowed_link_domains": "允许链接域名",
    "blocked_link_domains": "禁止链接域名",
    "repost_sources": "转载稿源白名单",
    "ad_phrases": "广告用语",
    "sensitive_periods": "敏感时期",
}

EntryDigests = dict[str, dict[str, str]]  # dictionary -> entry key -> entry digest


@event_type("DictionariesChanged")
class DictionariesChanged(Event):
    """The hub started checking with a dictionary version different from the last recorded."""

    version: str
    previous_version: str | None = None
    counts: dict[str, int]
    added: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    changed: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    removed: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    digests: EntryDigests = Field(default_factory=dict)  # of the added and changed entries
    source: str = ""  # where the dictionaries were loaded from

    def summary(self) -> str:
        """One line in Chinese: what changed per dictionary."""
        parts = []
        for name in DICTIONARY_LABELS:
            added, changed, removed = (
                len(self.added.get(name, ())),
                len(self.changed.get(name, ())),
                len(self.removed.get(name, ())),
            )
            if added or changed or removed:
                counts = "、".join(
                    f"{label}{n}"
                    for label, n in (("增", added), ("改", changed), ("删", removed))
                    if n
                )
                parts.append(f"{DICTIONARY_LABELS[name]}{counts}")
        return "；".join(parts) or "内容未变"


@dataclass(frozen=True, slots=True)
class Recorded:
    """The newest recorded version and the entry digests it holds."""

    version: str | None = None
    digests: EntryDigests = field(default_factory=dict)


def evolve(state: Recorded, event: Event) -> Recorded:
    """The recorded dictionaries after one more change (the digests are copied, not edited)."""
    if not isinstance(event, DictionariesChanged):
        return state
    digests = {name: dict(entries) for name, entries in state.digests.items()}
    for name, keys in event.removed.items():
        for key in keys:
            digests.get(name, {}).pop(key, None)
    for name, entries in event.digests.items():
        digests.setdefault(name, {}).update(entries)
    return Recorded(event.version, digests)


def fold_digests(events: list[DictionariesChanged]) -> tuple[str | None, EntryDigests]:
    """The newest recorded version and its entry digests."""
    state = Recorded()
    for event in events:
        state = evolve(state, event)
    return state.version, state.digests


def dictionaries_changed(
    dictionaries: Dictionaries,
    previous_version: str | None,
    previous: EntryDigests,
    source: str = "",
) -> DictionariesChanged | None:
    """The event recording `dictionaries`, or None when it is the version last recorded."""
    version = dictionaries.digest()
    if version == previous_version:
        return None
    current = dictionaries.entry_digests()
    added: dict[str, tuple[str, ...]] = {}
    changed: dict[str, tuple[str, ...]] = {}
    removed: dict[str, tuple[str, ...]] = {}
    digests: EntryDigests = {}
    for name in sorted(set(current) | set(previous)):
        now, before = current.get(name, {}), previous.get(name, {})
        new = tuple(k for k in now if k not in before)
        edited = tuple(k for k in now if k in before and before[k] != now[k])
        gone = tuple(k for k in before if k not in now)
        if new:
            added[name] = new
        if edited:
            changed[name] = edited
        if gone:
            removed[name] = gone
        if new or edited:
            digests[name] = {k: now[k] for k in (*new, *edited)}
    return DictionariesChanged(
        version=version,
        previous_version=previous_version,
        counts=dictionaries.counts(),
        added=added,
        changed=changed,
        removed=removed,
        digests=digests,
        source=source,
    )


class RecordDictionaries(NamedTuple):
    """Record the loaded dictionaries if they differ from the version last recorded."""

    dictionaries: Dictionaries
    source: str = ""


def decide(command: RecordDictionaries, state: Recorded) -> list[Event]:
    change = dictionaries_changed(command.dictionaries, state.version, state.digests,
                                  command.source)  # fmt: skip
    return [change] if change is not None else []


# What the runner needs to record dictionary versions.
dictionaries_decider: Decider[RecordDictionaries, Recorded] = Decider(
    name="dictionaries",
    streams=DICTIONARIES,
    initial_state=Recorded(),
    decide=decide,
    evolve=evolve,
    entity=lambda command: "",
)
