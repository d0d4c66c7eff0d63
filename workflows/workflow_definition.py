"""Review workflows: ordered stages with a role and the gates it must attest, plus sign-off."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from events.envelope import STORED, from_store
from workflows.frozen import FrozenModel
from workflows.vocabulary import SIGNOFF_STAGE, Gate, Role, Sensitivity

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class Stage(BaseModel):
    """One review stage (审核环节): who acts and which gates they attest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    name: str = Field(min_length=1)
    role: Role
    gates: tuple[Gate, ...]

    @model_validator(mode="after")
    def _gates_present(self, info: ValidationInfo) -> Self:
        if from_store(info):
            return self
        if not self.gates:
            raise ValueError(f"审核环节 {self.id} 没有配置把关项 (stage without gates)")
        if len(set(self.gates)) != len(self.gates):
            raise ValueError(f"审核环节 {self.id} 的把关项重复 (duplicate gate)")
        return self


class SignoffRule(BaseModel):
    """When a leader must sign off (领导签批) after the last stage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role = Role.LEADER
    major: bool = True
    grades: tuple[Sensitivity, ...] = (Sensitivity.SENSITIVE,)


class WorkflowDefinition(FrozenModel):
    """A configured review workflow. A snapshot is recorded on each article at creation."""

    id: Identifier
    name: str = Field(min_length=1)
    stages: tuple[Stage, ...] = Field(min_length=1)
    signoff: SignoffRule = Field(default_factory=SignoffRule)

    @model_validator(mode="after")
    def _stages_distinct(self, info: ValidationInfo) -> Self:
        if from_store(info):
            return self
        ids = [stage.id for stage in self.stages]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"审核环节重复 (duplicate stage): {', '.join(duplicates)}")
        if SIGNOFF_STAGE in ids:
            raise ValueError(f"环节名 {SIGNOFF_STAGE} 保留给领导签批 (reserved stage id)")
        return self

    @cached_property
    def stored_text(self) -> str:
        """The JSON text events store this snapshot as (see `workflow_from_text`); one
        definition serves many articles, so it is written once."""
        return self.model_dump_json()

    def stage(self, stage_id: str) -> Stage | None:
        """The stage with this id, if any."""
        return next((s for s in self.stages if s.id == stage_id), None)

    def needs_signoff(self, major: bool, sensitivity: Sensitivity) -> bool:
        """Whether an item so marked needs a leader's sign-off after the last stage."""
        return (major and self.signoff.major) or sensitivity in self.signoff.grades


# Stored events carry the workflow snapshot as its JSON text (see `ArticleCreated`): every
# article created under one workflow version carries the same text, so a replay builds the
# definition once and then finds it by the text. Few versions ever exist; the bound only
# keeps a long-running process from growing without limit.
_FROM_TEXT: dict[str, WorkflowDefinition] = {}
_FROM_TEXT_LIMIT = 256


def workflow_from_text(text: str) -> WorkflowDefinition:
    """The stored (already validated) workflow snapshot of this JSON text, built once."""
    found = _FROM_TEXT.get(text)
    if found is None:
        found = WorkflowDefinition.model_validate_json(text, context=STORED)
        if len(_FROM_TEXT) >= _FROM_TEXT_LIMIT:
            _FROM_TEXT.clear()
        _FROM_TEXT[text] = found
    return found
