"""All dictionary terms in one Aho-Corasick automaton: one pass over the text finds every hit.

A loop over 50,000 words would read a 20,000-character article 50,000 times; the automaton
reads it once whatever the dictionaries' size.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import ahocorasick

from workflows.checks.dictionaries import Dictionaries, Leader
from workflows.checks.text import is_cjk


class Hit(NamedTuple):
    """A dictionary term found at [start, end) of the searched text."""

    start: int
    end: int
    kind: str
    entry: Any


# Kinds of terms, each feeding one rule.
COUNTRY_WRONG = "country_wrong"  # P01
COUNTRY_RIGHT = "country_right"
LEADER_NAME = "leader_name"  # P02
LEADER_TITLE = "leader_title"
FORMULATION_WRONG = "formulation_wrong"  # P03
FORMULATION_RIGHT = "formulation_right"
OLD_AGENCY = "old_agency"  # P06
SENSITIVE = "sensitive"  # P07
TYPO = "typo"  # P08
POLITICAL = "political"
AD = "ad"  # P23
_CORRECT_KINDS = {COUNTRY_WRONG: COUNTRY_RIGHT, FORMULATION_WRONG: FORMULATION_RIGHT}


@dataclass(frozen=True)
class CompiledDictionaries:
    """Dictionaries plus the structures built from them once (automaton, leader indexes)."""

    dictionaries: Dictionaries

    @cached_property
    def version(self) -> str:
        return self.dictionaries.digest()

    @cached_property
    def _automaton(self) -> ahocorasick.Automaton | None:
        entries: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        d = self.dictionaries
        for correction in d.country_names:
            entries[correction.correct].append((COUNTRY_RIGHT, correction))
            for wrong in correction.wrong:
                entries[wrong].append((COUNTRY_WRONG, correction))
        for correction in d.formulations:
            entries[correction.correct].append((FORMULATION_RIGHT, correction))
            for wrong in correction.wrong:
                entries[wrong].append((FORMULATION_WRONG, correction))
        for leader in d.leaders:
            entries[leader.name].append((LEADER_NAME, leader))
            for title in leader.titles:
                entries[title.title].append((LEADER_TITLE, title.title))
        for agency in d.renamed_agencies:
            entries[agency.old].append((OLD_AGENCY, agency))
        for word in d.sensitive_words:
            entries[word.word].append((SENSITIVE, word))
        for correction in d.typos:
            for wrong in correction.wrong:
                entries[wrong].append((TYPO, correction))
        for term in d.political_terms:
            entries[term].append((POLITICAL, term))
        for phrase in d.ad_phrases:
            entries[phrase].append((AD, phrase))
        if not entries:
            return None
        automaton = ahocorasick.Automaton()
        for term, values in entries.items():
            # The same title string may come from several leaders: keep one hit per kind.
            unique = list({(kind, id(entry)): (kind, entry) for kind, entry in values}.values())
            automaton.add_word(term, (len(term), tuple(unique)))
        automaton.make_automaton()
        return automaton

    def scan(self, text: str) -> list[Hit]:
        """Every term occurrence in `text`, in order of start; wrong variants covered by a
        correct form (the correct form contains them) are dropped."""
        automaton = self._automaton
        if automaton is None or not text:
            return []
        hits: list[Hit] = []
        for end_index, (length, values) in automaton.iter(text):
            start = end_index - length + 1
            for kind, entry in values:
                hits.append(Hit(start, end_index + 1, kind, entry))
        hits.sort(key=_position)
        right_spans = [(h.start, h.end) for h in hits if h.kind in _CORRECT_KINDS.values()]
        if right_spans:
            hits = [
                h
                for h in hits
                if h.kind not in _CORRECT_KINDS
                or not any(s <= h.start and h.end <= e for s, e in right_spans)
            ]
        return hits

    @cached_property
    def leaders_by_sound(self) -> dict[tuple[str, ...], tuple[Leader, ...]]:
        """Leaders by the pinyin of their names, character by character."""
        grouped: dict[tuple[str, ...], list[Leader]] = defaultdict(list)
        for leader in self.dictionaries.leaders:
            grouped[sound(leader.name)].append(leader)
        return {k: tuple(v) for k, v in grouped.items()}

    @cached_property
    def leader_name_lengths(self) -> dict[str, tuple[int, ...]]:
        """For each surname (first character), the lengths of leaders' names starting with it."""
        grouped: dict[str, set[int]] = defaultdict(set)
        for leader in self.dictionaries.leaders:
            grouped[leader.name[0]].add(len(leader.name))
        return {k: tuple(sorted(v)) for k, v in grouped.items()}

    @cached_property
    def surnames(self) -> re.Pattern[str]:
        """Any first character of a leader's name."""
        firsts = sorted({leader.name[0] for leader in self.dictionaries.leaders}) or ["\x00"]
        return re.compile("[" + "".join(re.escape(c) for c in firsts) + "]")

    @cached_property
    def leaders_by_title(self) -> dict[str, tuple[Leader, ...]]:
        grouped: dict[str, list[Leader]] = defaultdict(list)
        for leader in self.dictionaries.leaders:
            for title in {t.title for t in leader.titles}:
                grouped[title].append(leader)
        return {k: tuple(v) for k, v in grouped.items()}

    @cached_property
    def leader_titles(self) -> frozenset[str]:
        return frozenset(t.title for leader in self.dictionaries.leaders for t in leader.titles)

    @cached_property
    def leader_names(self) -> dict[str, Leader]:
        return {leader.name: leader for leader in self.dictionaries.leaders}


def _position(hit: Hit) -> tuple[int, int]:
    return hit.start, hit.end


_CHAR_SOUNDS: dict[str, str] = {}


def sound(text: str) -> tuple[str, ...]:
    """The toneless pinyin of `text`, each character read on its own (names are read so)."""
    sounds = _CHAR_SOUNDS
    missing = [c for c in text if c not in sounds]
    if missing:
        from pypinyin import Style, lazy_pinyin  # its dictionaries load on first use

        for char in missing:
            read = lazy_pinyin(char, style=Style.NORMAL, errors="default") if is_cjk(char) else ()
            sounds[char] = read[0] if read else char
    return tuple(sounds[c] for c in text)


def iter_kind(hits: list[Hit], kind: str) -> Iterator[Hit]:
    """The hits of one kind."""
    return (h for h in hits if h.kind == kind)
