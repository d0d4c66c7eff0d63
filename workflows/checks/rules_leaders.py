"""Leaders' names, titles and ordering (P02), against the leader dictionary.

- a near-miss of a leader's name (one character off, or the same pinyin with other characters)
  next to a title, or a homophone anywhere: BLOCK, with the right name as the fix;
- a leader's name beside a title they do not hold, or held only in the past: BLOCK;
- a removed (免职/落马) official presented with a title: BLOCK; mentioned otherwise: REVIEW;
- leaders listed (、) out of their protocol order: BLOCK, with the ordered list as the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from rapidfuzz.distance import Levenshtein

from workflows.checks.dictionaries import Leader, LeaderStatus
from workflows.checks.document import Document, Section
from workflows.checks.findings import Finding, Severity
from workflows.checks.matcher import LEADER_NAME, LEADER_TITLE, Hit, iter_kind, sound
from workflows.checks.text import is_cjk

_LIST_SEPARATORS = "、，, "
_FORMER = "原前"  # 原省长王建国: a former title, correctly used


def _near_miss(candidate: str, leaders: Iterable[Leader]) -> Leader | None:
    """A leader whose name `candidate` misspells (edit distance 1 or same pinyin)."""
    for leader in leaders:
        if candidate == leader.name or len(candidate) != len(leader.name):
            continue
        # One character off is a near miss for names of three or more characters; two-character
        # names differ by one character from too many real people, so only pinyin counts there.
        if len(leader.name) >= 3 and Levenshtein.distance(candidate, leader.name) <= 1:
            return leader
        if sound(candidate) == sound(leader.name):
            return leader
    return None


def _holds(leader: Leader, title: str, as_of: date) -> bool | None:
    """True: holds `title` on `as_of`; False: held it before; None: never held it."""
    held = None
    for post in leader.titles:
        if post.title != title:
            continue
        if (post.valid_from is None or post.valid_from <= as_of) and (
            post.valid_to is None or as_of <= post.valid_to
        ):
            return True
        held = False
    return held


def _current_titles(leader: Leader, as_of: date) -> list[str]:
    return [t.title for t in leader.titles if _holds(leader, t.title, as_of)]


def check_leaders(doc: Document) -> Iterator[Finding]:
    """P02 for every section."""
    for section in doc.sections:
        yield from _check_section(doc, section)


def _check_section(doc: Document, section: Section) -> Iterator[Finding]:
    text = section.text
    hits = doc.hits(section)
    names = list(iter_kind(hits, LEADER_NAME))
    titles = list(iter_kind(hits, LEADER_TITLE))
    all_leaders = list(doc.compiled.dictionaries.leaders)
    as_of = doc.context.as_of
    reported: set[tuple[int, int]] = set()

    # Exact names: title beside them, removed officials.
    # A title written right before the name (省长王建国) or right after it (王建国省长).
    ending_at: dict[int, Hit] = {}
    starting_at: dict[int, Hit] = {}
    for t in titles:
        ending_at.setdefault(t.end, t)
        starting_at.setdefault(t.start, t)
    by_span: dict[tuple[int, int], list[Leader]] = {}
    for hit in names:
        by_span.setdefault((hit.start, hit.end), []).append(hit.entry)
    for hit in names:
        leader: Leader = hit.entry
        title = ending_at.get(hit.start) or starting_at.get(hit.end)
        if leader.status is LeaderStatus.REMOVED:
            reported.add((hit.start, hit.end))
            yield doc.finding(
                section,
                hit.start,
                hit.end,
                "P02",
                Severity.BLOCK if title else Severity.REVIEW,
                f"{leader.name}已免职或被查处{('，不得称其为' + title.entry) if title else '，请核实表述语境'}",
            )
            continue
        if title is None:
            continue
        homonyms = by_span[hit.start, hit.end]
        if len(homonyms) > 1 and any(_holds(h, title.entry, as_of) for h in homonyms):
            continue  # another leader of the same name holds the title
        holds = _holds(leader, title.entry, as_of)
        former = title.start > 0 and text[title.start - 1] in _FORMER
        if holds or (holds is False and former):
            continue
        current = _current_titles(leader, as_of)
        reported.add((title.start, title.end))
        problem = "已不再担任" if holds is False else "不担任"
        yield doc.finding(
            section,
            title.start,
            title.end,
            "P02",
            Severity.BLOCK,
            f"职务与姓名不符：{leader.name}{problem}“{title.entry}”"
            + (f"，现任职务为“{'、'.join(current)}”" if current else ""),
            current[0] if len(current) == 1 else None,
        )

    # Near misses beside a title: the characters right after or before the title.
    covered = {i for h in names for i in range(h.start, h.end)}
    for title in titles:
        holders = list(doc.compiled.leaders_by_title.get(title.entry, ()))
        for start, end in _candidates(text, title):
            if start in covered or end - 1 in covered:
                continue
            near = _near_miss(text[start:end], holders or all_leaders)
            if near and (start, end) not in reported:
                reported.add((start, end))
                yield _misspelt(doc, section, start, end, near)

    # Homophones anywhere: a leader's surname followed by the rest of the name in other
    # characters with the same pinyin (杜家毫 -> 杜家豪): one dictionary lookup per surname.
    by_sound = doc.compiled.leaders_by_sound
    lengths = doc.compiled.leader_name_lengths
    for match in doc.compiled.surnames.finditer(text):
        index, char = match.start(), match.group(0)
        for size in lengths[char]:
            end = index + size
            candidate = text[index:end]
            if len(candidate) != size:
                continue
            for leader in by_sound.get(sound(candidate), ()):
                if (
                    leader.name[0] == char
                    and candidate != leader.name
                    and all(is_cjk(c) for c in candidate)
                    and (index, end) not in reported
                ):
                    reported.add((index, end))
                    yield _misspelt(doc, section, index, end, leader)

    # Homonyms share a span: order by the first of them.
    yield from _check_order(
        doc, section, list({(h.start, h.end): h for h in reversed(names)}.values())[::-1]
    )


def _misspelt(doc: Document, section: Section, start: int, end: int, leader: Leader) -> Finding:
    return doc.finding(
        section,
        start,
        end,
        "P02",
        Severity.BLOCK,
        f"领导人姓名疑似写错，应为“{leader.name}”（严重表述错误，单项否决）",
        leader.name,
    )


def _candidates(text: str, title: Hit) -> Iterator[tuple[int, int]]:
    """Spans of 2-4 CJK characters right after a title, and right before it."""
    for size in (2, 3, 4):
        end = title.end + size
        if end <= len(text) and all(is_cjk(c) for c in text[title.end : end]):
            yield title.end, end
        start = title.start - size
        if start >= 0 and all(is_cjk(c) for c in text[start : title.start]):
            yield start, title.start


def _check_order(doc: Document, section: Section, names: list[Hit]) -> Iterator[Finding]:
    """Leaders listed with 、 must follow their protocol order (rank)."""
    text = section.text
    run: list[Hit] = []
    for hit in [*names, None]:
        if hit is not None and run:
            gap = text[run[-1].end : hit.start]
            if gap and all(c in _LIST_SEPARATORS for c in gap) and "、" in gap:
                run.append(hit)
                continue
        if len(run) >= 2:
            ranks = [h.entry.rank for h in run]
            if ranks != sorted(ranks):
                ordered = sorted(run, key=lambda h: h.entry.rank)
                yield doc.finding(
                    section,
                    run[0].start,
                    run[-1].end,
                    "P02",
                    Severity.BLOCK,
                    "领导人排序有误，应按职务排序：" + "、".join(h.entry.name for h in ordered),
                    "、".join(h.entry.name for h in ordered),
                )
        run = [hit] if hit is not None else []
