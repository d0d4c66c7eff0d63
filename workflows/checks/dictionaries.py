"""The checks' dictionaries (校验词库): validated, versioned by digest, compiled once.

They live as YAML files in `config/checks/`; the hub records a `DictionariesChanged` event
whenever the digest of what it loaded differs from the last one recorded.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Correction(_Frozen):
    """A correct form and its known wrong variants (国名、机构名、固定提法、错别字)."""

    correct: Term
    wrong: tuple[Term, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _wrong_differs(self) -> Correction:
        if self.correct in self.wrong:
            raise ValueError(f"“{self.correct}”同时出现在正确和错误写法中")
        return self


class LeaderTitle(_Frozen):
    """One post a leader holds or held, with its validity."""

    title: Term
    valid_from: date | None = None
    valid_to: date | None = None  # None: still holds it


class LeaderStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"  # 免职、落马: may not be presented as holding office


class Leader(_Frozen):
    """A leader whose name, titles and ordering the checks protect."""

    name: Annotated[str, StringConstraints(min_length=2, max_length=6)]
    titles: tuple[LeaderTitle, ...] = ()
    rank: int = 1000  # lower ranks are listed first
    status: LeaderStatus = LeaderStatus.ACTIVE
    note: str = ""


class RenamedAgency(_Frozen):
    """An agency name no longer in use after a reform (机构改革)."""

    old: Term
    new: Term
    renamed_on: date


class WordSeverity(StrEnum):
    BLOCK = "BLOCK"
    REVIEW = "REVIEW"


class SensitiveWord(_Frozen):
    """A word that must not appear (反动、暴力、色情、赌博、...)."""

    word: Term
    category: Term
    severity: WordSeverity = WordSeverity.BLOCK


class SensitivePeriod(_Frozen):
    """A calendar window (哀悼日、重大灾害、...) in which every item needs extra review."""

    start: date
    end: date
    reason: Term


class Dictionaries(_Frozen):
    """Everything the content checks look up. Empty lists are allowed (a rule then finds nothing)."""

    country_names: tuple[Correction, ...] = ()  # P01
    leaders: tuple[Leader, ...] = ()  # P02
    formulations: tuple[Correction, ...] = ()  # P03
    renamed_agencies: tuple[RenamedAgency, ...] = ()  # P06
    sensitive_words: tuple[SensitiveWord, ...] = ()  # P07
    typos: tuple[Correction, ...] = ()  # P08
    political_terms: tuple[Term, ...] = ()  # P08: typos near these are serious
    allowed_link_domains: tuple[Term, ...] = ("gov.cn", "政务")  # P20
    blocked_link_domains: tuple[Term, ...] = ()  # P20: gambling, porn, reactionary targets
    repost_sources: tuple[Term, ...] = ()  # P22: whitelisted 稿源单位 for new media
    ad_phrases: tuple[Term, ...] = ()  # P23
    sensitive_periods: tuple[SensitivePeriod, ...] = ()  # P24
    agencies: tuple[Term, ...] = ()  # P25: the issuing agencies (发文机关) a document may name
    subject_categories: tuple[Term, ...] = ()  # P25: the 主题分类 taxonomy

    def digest(self) -> str:
        """A short, stable version id of the content (sha256 of canonical JSON)."""
        canonical = json.dumps(
            self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def term_count(self) -> int:
        """How many matchable terms the dictionaries hold."""
        return (
            sum(1 + len(c.wrong) for c in self.country_names)
            + sum(1 + len(leader.titles) for leader in self.leaders)
            + sum(1 + len(c.wrong) for c in self.formulations)
            + len(self.renamed_agencies)
            + len(self.sensitive_words)
            + sum(len(c.wrong) for c in self.typos)
            + len(self.political_terms)
            + len(self.ad_phrases)
        )

    def entry_digests(self) -> dict[str, dict[str, str]]:
        """Per dictionary, each entry's key (its first field; `#2`, `#3` for repeats) and a
        digest of the whole entry, so two versions can be compared entry by entry."""
        result: dict[str, dict[str, str]] = {}
        for name in type(self).model_fields:
            entries: dict[str, str] = {}
            for item in getattr(self, name):
                data = item.model_dump(mode="json") if isinstance(item, BaseModel) else item
                key = str(next(iter(data.values()))) if isinstance(data, dict) else str(data)
                unique, n = key, 1
                while unique in entries:
                    n += 1
                    unique = f"{key}#{n}"
                canonical = json.dumps(data, ensure_ascii=False, sort_keys=True)
                entries[unique] = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
            result[name] = entries
        return result

    def counts(self) -> dict[str, int]:
        """Entries per dictionary, for change records and status output."""
        return {name: len(getattr(self, name)) for name in type(self).model_fields}
