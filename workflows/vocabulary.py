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


# -- channels and supervision problems (light, so the command line can list them) ----------


class Channel(StrEnum):
    """Kinds of targets; each has a channel adapter."""

    WEBSITE = "website"
    APP = "app"
    SCREEN = "screen"
    WECHAT = "wechat"
    WEIBO = "weibo"


CHANNEL_LABELS: dict[str, str] = {
    Channel.WEBSITE: "网站",
    Channel.APP: "移动客户端",
    Channel.SCREEN: "大屏",
    Channel.WECHAT: "微信公众号",
    Channel.WEIBO: "微博",
}


class Problem(StrEnum):
    """The classes of problem the national inspection names (government-rules.md §1)."""

    UNREACHABLE = "unreachable"  # 站点无法访问
    HOMEPAGE_STALE = "homepage_stale"  # 首页不更新
    COLUMN_STALE = "column_stale"  # 栏目不更新
    BLANK_COLUMN = "blank_column"  # 空白栏目
    BROKEN_LINK = "broken_link"  # 错链、断链
    INJECTED_LINK = "injected_link"  # 外链、暗链
    WORDING_ERROR = "wording_error"  # 严重表述错误
    ACCOUNT_STALE = "account_stale"  # 新媒体不更新
    NOT_VISIBLE = "not_visible"  # 已发布但页面上看不到


PROBLEM_LABELS: dict[str, str] = {
    Problem.UNREACHABLE: "站点无法访问",
    Problem.HOMEPAGE_STALE: "首页不更新",
    Problem.COLUMN_STALE: "栏目不更新",
    Problem.BLANK_COLUMN: "空白栏目",
    Problem.BROKEN_LINK: "错链断链",
    Problem.INJECTED_LINK: "外链暗链",
    Problem.WORDING_ERROR: "严重表述错误",
    Problem.ACCOUNT_STALE: "新媒体不更新",
    Problem.NOT_VISIBLE: "已发布未可见",
}
