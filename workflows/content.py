"""Article content and government metadata (government-rules.md 7c), and its content hash."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from events.envelope import from_store
from workflows.frozen import FrozenModel
from workflows.vocabulary import Sensitivity

MAX_BODY_CHARS = 2_000_000
_TAG = re.compile(r"<[^>]*>")

# Characters that make text read differently from how it is stored: C0/C1 controls (NUL
# included; a summary may keep line breaks) and the bidirectional overrides and isolates that
# reorder what a reader sees (Trojan Source, CVE-2021-42574).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_LINE_BREAKS = re.compile("[\t\n\r]")


def unsafe_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control or direction-control character in `text` (U+XXXX), or None."""
    found = _UNSAFE.search(text) or (None if multiline else _LINE_BREAKS.search(text))
    return f"U+{ord(found.group(0)):04X}" if found else None


def _refuse_unsafe(value: object, *, multiline: bool = False) -> object:
    for text in value if isinstance(value, tuple) else (value,):
        if isinstance(text, str) and (bad := unsafe_character(text, multiline=multiline)):
            raise ValueError(f"含控制字符或文字方向控制符（{bad}），请删除")
    return value


ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class DisclosureType(StrEnum):
    """公开方式."""

    PROACTIVE = "proactive"  # 主动公开
    ON_REQUEST = "on_request"  # 依申请公开
    NOT_DISCLOSED = "not_disclosed"  # 不予公开


class Validity(StrEnum):
    """有效性 of a policy document (政策文件): in force, amended, repealed ("" not stated)."""

    NONE = ""
    IN_FORCE = "现行有效"
    AMENDED = "已修改"
    REPEALED = "已废止"


class InterpretationForm(StrEnum):
    """How a 政策解读 explains its document (the forms the 三同步 rules name)."""

    NONE = ""
    TEXT = "文字"
    GRAPHIC = "图解"
    VIDEO = "视频"
    AUDIO = "音频"
    H5 = "H5"
    COMIC = "漫画"


class PiiExemption(StrEnum):
    """Why personal data may be published (2018年政务公开工作要点): 惩戒公示 or 强制性披露."""

    NONE = ""
    PUNISHMENT = "punishment"  # 惩戒公示
    MANDATORY = "mandatory"  # 强制性信息披露


class ArticleMetadata(BaseModel):
    """Government metadata of one revision. Formats of 文号/索引号 are checked by the checks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: ShortText = ""  # 来源 ContentSource
    author: ShortText = ""  # 作者 Author
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
    keywords: tuple[ShortText, ...] = ()
    doc_number: ShortText = ""  # 发文字号 文号
    index_number: ShortText = ""  # 索引号
    issuing_agency: ShortText = ""  # 发文机关
    written_date: date | None = None  # 成文日期
    subject_category: ShortText = ""  # 主题分类
    disclosure_type: DisclosureType = DisclosureType.PROACTIVE
    disclosure_reason: ShortText = ""
    sensitivity: Sensitivity = Sensitivity.NORMAL
    major: bool = False  # 重大事项: needs a leader's sign-off
    repost: bool = False  # 转载: the source (来源) is then required
    pii_exemption: PiiExemption = PiiExemption.NONE  # 惩戒公示 / 强制性信息披露
    related_articles: tuple[ShortText, ...] = ()  # 解读关联: policy <-> interpretation
    validity: Validity = Validity.NONE  # 有效性 of a 政策文件
    replaced_by: ShortText = ""  # the document that amends or repeals it (an article id)
    interpretation_form: InterpretationForm = InterpretationForm.NONE  # 解读形式

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object, info: ValidationInfo) -> object:
        if from_store(info):
            return value  # stored events are read as they were written
        return _refuse_unsafe(value, multiline=info.field_name == "summary")

    @model_validator(mode="after")
    def _reason_for_withholding(self, info: ValidationInfo) -> Self:
        if from_store(info):
            return self
        if self.disclosure_type is DisclosureType.NOT_DISCLOSED and not self.disclosure_reason:
            raise ValueError("不予公开必须填写理由 (disclosure_reason)")
        if self.validity in (Validity.AMENDED, Validity.REPEALED) and not self.replaced_by:
            raise ValueError(f"有效性为“{self.validity}”时须指明修改或废止它的文件 (replaced_by)")
        if self.replaced_by and self.validity not in (Validity.AMENDED, Validity.REPEALED):
            raise ValueError("只有已修改或已废止的文件才有 replaced_by")
        return self


class ArticleContent(FrozenModel):
    """One revision's content: what reviewers approve and what channels publish."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body_html: Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS)]
    metadata: ArticleMetadata = Field(default_factory=ArticleMetadata)

    @field_validator("title", mode="after")
    @classmethod
    def _title_is_plain(cls, value: str, info: ValidationInfo) -> str:
        if from_store(info):
            return value
        _refuse_unsafe(value)
        return value

    @model_validator(mode="after")
    def _body_has_text(self, info: ValidationInfo) -> Self:
        if from_store(info):
            return self
        if not _TAG.sub("", self.body_html).strip():
            raise ValueError("正文不能为空 (body_html has no text)")
        return self

    def content_hash(self) -> str:
        """SHA-256 over the canonical JSON of the content: what an approval binds to.

        Fields at their default are left out, so adding a field with a default to the schema
        never changes the hash of content stored before it existed.
        """
        return self.canonical_hash

    @cached_property
    def canonical_hash(self) -> str:
        """`content_hash()`, computed once per (immutable) content: the decider, the checks
        and the screens all ask for it."""
        canonical = json.dumps(
            self.model_dump(mode="json", exclude_defaults=True),
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
