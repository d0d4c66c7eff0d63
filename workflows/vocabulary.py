"""Roles, gates, stages and grades: the fixed words of the three-review rule (三审三校)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may do on a site."""

    EDITOR = "editor"
    FIRST_REVIEWER = "first_reviewer"
    SECOND_REVIEWER = "second_reviewer"
    FINAL_REVIEWER = "final_reviewer"
    LEADER = "leader"
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"  # 监管: watches sites and accounts, dispatches work orders
    ADMIN = "admin"


# Who writes article bodies (and so uploads their images, imports documents, checks drafts):
# editors, and reviewers, who may correct the text they review.
WRITING_ROLES = frozenset(
    {Role.EDITOR, Role.FIRST_REVIEWER, Role.SECOND_REVIEWER, Role.FINAL_REVIEWER}
)

ROLE_LABELS: dict[str, str] = {
    Role.EDITOR: "编辑",
    Role.FIRST_REVIEWER: "初审",
    Role.SECOND_REVIEWER: "复审",
    Role.FINAL_REVIEWER: "终审",
    Role.LEADER: "领导签批",
    Role.OPERATOR: "渠道运维",
    Role.SUPERVISOR: "监管",
    Role.ADMIN: "管理员",
}


class Gate(StrEnum):
    """What a reviewer attests (把关项)."""

    POLITICAL = "political"
    LEGAL = "legal"
    POLICY = "policy"
    SECRECY = "secrecy"
    WORDING = "wording"
    PUBLIC_OPINION = "public_opinion"


GATE_LABELS: dict[str, str] = {
    Gate.POLITICAL: "政治关",
    Gate.LEGAL: "法律关",
    Gate.POLICY: "政策关",
    Gate.SECRECY: "保密关",
    Gate.WORDING: "文字关",
    Gate.PUBLIC_OPINION: "舆情关",
}


class Sensitivity(StrEnum):
    """Information grade (信息等级): A 普通, B 重要, C 敏感."""

    NORMAL = "normal"
    IMPORTANT = "important"
    SENSITIVE = "sensitive"


SENSITIVITY_LABELS: dict[str, str] = {
    Sensitivity.NORMAL: "普通",
    Sensitivity.IMPORTANT: "重要",
    Sensitivity.SENSITIVE: "敏感",
}


class ArticleStatus(StrEnum):
    """Where an article is in its life."""

    NEW = "new"
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    AWAITING_SIGNOFF = "awaiting_signoff"
    RETURNED = "returned"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    RETRACTED = "retracted"
    ARCHIVED = "archived"


STATUS_LABELS: dict[str, str] = {
    ArticleStatus.NEW: "未创建",
    ArticleStatus.DRAFT: "草稿",
    ArticleStatus.IN_REVIEW: "审核中",
    ArticleStatus.AWAITING_SIGNOFF: "待领导签批",
    ArticleStatus.RETURNED: "已退回",
    ArticleStatus.APPROVED: "已审定待发布",
    ArticleStatus.SCHEDULED: "定时待发布",
    ArticleStatus.PUBLISHED: "已发布",
    ArticleStatus.RETRACTED: "已撤稿",
    ArticleStatus.ARCHIVED: "已归档",
}

SIGNOFF_STAGE = "signoff"
