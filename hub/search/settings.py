"""What search is configured with (`config/search.yaml`, optional): synonym groups, the
vertical (检索频道) of each column type, and the words a question carries that mean nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.setup.config import ConfigError, parse_yaml

Vertical = Annotated[str, Field(pattern=r"^(policy|interpretation|service|organisation|news)$")]
VERTICAL_LABELS = {
    "policy": "政策文件",
    "interpretation": "政策解读",
    "service": "办事服务",
    "organisation": "机构职能",
    "news": "新闻动态",
}
Word = Annotated[str, Field(min_length=1, max_length=30)]


class SearchSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    synonyms: tuple[tuple[Word, ...], ...] = ()
    verticals: dict[Word, Vertical] = Field(default_factory=dict)
    stop_words: frozenset[Word] = frozenset()
    # Words that say which vertical is wanted rather than what it must contain (公积金 解读:
    # an interpretation about 公积金 first, the document itself after it).
    intents: dict[Word, Vertical] = Field(default_factory=dict)
    # How much an item of each vertical counts for the same match (scores × log2(2 + w)):
    # the document itself above its interpretation and guide, those above news. Changing it
    # takes `hub search --rebuild`.
    authority: dict[Vertical, Annotated[float, Field(ge=0, le=10)]] = Field(
        default_factory=lambda: {"policy": 1.0, "interpretation": 0.5, "service": 0.5,
                                 "organisation": 0.5, "news": 0.0})  # fmt: skip

    @field_validator("synonyms")
    @classmethod
    def _groups(cls, groups: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        seen: set[str] = set()
        for group in groups:
            if len(group) < 2:
                raise ValueError(f"同义词组至少两个词: {list(group)}")
            for word in group:
                if word in seen:
                    raise ValueError(f"同义词 {word!r} 出现在两个组中")
                seen.add(word)
        return groups

    def vertical_of(self, column_type: str) -> str:
        return self.verticals.get(column_type, "news")

    def synonyms_of(self, term: str) -> tuple[str, ...]:
        """The other words of `term`'s synonym group (none if it has no group)."""
        for group in self.synonyms:
            if term in group:
                return tuple(w for w in group if w != term)
        return ()

    def dictionary(self) -> list[str]:
        """Words the segmenter must know: every synonym."""
        return [word for group in self.synonyms for word in group]


def load_search_settings(config_root: Path) -> SearchSettings:
    path = config_root / "search.yaml"
    if not path.is_file():
        return SearchSettings()
    try:
        return SearchSettings.model_validate(parse_yaml(path.read_text(encoding="utf-8")) or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"search.yaml: {problems}") from None
