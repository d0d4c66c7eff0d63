"""Every refusal and failure the hub reports, as a closed set: a stable code for scripts and
its kind, which decides how every interface renders it (the API's HTTP status, the CLI's and
the console's wording). A code is added here before it is raised; a test fails on a code
raised anywhere that is not here, and on a code here that nothing raises."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What kind of refusal a code is."""

    INPUT = "input"  # the request itself is wrong: fix it and send again
    UNAUTHENTICATED = "unauthenticated"  # no login, or a wrong one
    FORBIDDEN = "forbidden"  # not this user (a role, the separation of duties)
    NOT_FOUND = "not_found"  # no such thing, or not visible to this user
    CONFLICT = "conflict"  # the thing's state does not allow it now
    TOO_LARGE = "too_large"  # over a size limit
    THROTTLED = "throttled"  # too many attempts: wait
    UNAVAILABLE = "unavailable"  # a resource the hub needs is busy or down: try again
    INTERNAL = "internal"  # a defect of the hub

    @property
    def label(self) -> str:
        """How people are told the kind (the CLI, the console and the API documentation)."""
        return KIND_LABELS[self]


KIND_LABELS: dict[Kind, str] = {
    Kind.INPUT: "输入有误",
    Kind.UNAUTHENTICATED: "未登录或令牌无效",
    Kind.FORBIDDEN: "无权执行",
    Kind.NOT_FOUND: "不存在或不可见",
    Kind.CONFLICT: "当前状态不允许",
    Kind.TOO_LARGE: "超过大小限制",
    Kind.THROTTLED: "尝试过多，暂时锁定",
    Kind.UNAVAILABLE: "暂时不可用，请稍后重试",
    Kind.INTERNAL: "内部错误",
}
HTTP_STATUS: dict[Kind, int] = {
    Kind.INPUT: 400,
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.TOO_LARGE: 413,
    Kind.THROTTLED: 429,
    Kind.UNAVAILABLE: 503,
    Kind.INTERNAL: 500,
}


class ErrorCode(StrEnum):
    """A code and its kind. Compares equal to its string (`code == "ARTICLE_NOT_FOUND"`)."""

    kind: Kind

    def __new__(cls, value: str, kind: Kind) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.kind = kind
        return member

    @classmethod
    def of(cls, code: str) -> ErrorCode:
        """The member for a code; ValueError for a code outside the set (a defect)."""
        member = cls._value2member_map_.get(code)
        if not isinstance(member, ErrorCode):
            raise ValueError(f"{code!r} is not an ErrorCode: add it to events/error_codes.py")
        return member

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.kind]

    # -- the request is wrong ---------------------------------------------------------------
    INVALID_INPUT = "INVALID_INPUT", Kind.INPUT
    USAGE = "USAGE", Kind.INPUT  # the CLI was called wrongly
    REASON_REQUIRED = "REASON_REQUIRED", Kind.INPUT
    COLUMN_REQUIRED = "COLUMN_REQUIRED", Kind.INPUT
    GATE_UNKNOWN = "GATE_UNKNOWN", Kind.INPUT
    GATES_MISSING = "GATES_MISSING", Kind.INPUT
    SITE_UNKNOWN = "SITE_UNKNOWN", Kind.INPUT
    REUSE_OWN_SITE = "REUSE_OWN_SITE", Kind.INPUT  # reusing or offering on the article's own site
    TARGET_OTHER_SITE = "TARGET_OTHER_SITE", Kind.INPUT  # a reference onto someone else's site
    NOT_UPWARD = "NOT_UPWARD", Kind.INPUT  # a 信息报送 to a site that is not the one above
    NO_PARENT_SITE = "NO_PARENT_SITE", Kind.INPUT  # the site has no site above it
    FEED_INVALID = "FEED_INVALID", Kind.INPUT  # not an RSS 2.0 or Atom document
    ARCHIVE_INVALID = "ARCHIVE_INVALID", Kind.INPUT  # a migration's archive: no folder or zip
    SOURCE_REQUIRED = "SOURCE_REQUIRED", Kind.INPUT  # a migration without the old site's address
    PUBLISHED_IN_FUTURE = "PUBLISHED_IN_FUTURE", Kind.INPUT  # a migrated page dated ahead
    COLUMN_UNKNOWN = "COLUMN_UNKNOWN", Kind.INPUT
    ACCOUNT_UNKNOWN = "ACCOUNT_UNKNOWN", Kind.INPUT
    TARGETS_REQUIRED = "TARGETS_REQUIRED", Kind.INPUT
    TARGET_UNKNOWN = "TARGET_UNKNOWN", Kind.INPUT
    TARGET_CHANNEL_MISMATCH = "TARGET_CHANNEL_MISMATCH", Kind.INPUT
    TIME_ZONE_REQUIRED = "TIME_ZONE_REQUIRED", Kind.INPUT
    PUBLISH_TIME_PAST = "PUBLISH_TIME_PAST", Kind.INPUT
    EXPIRY_BEFORE_PUBLICATION = "EXPIRY_BEFORE_PUBLICATION", Kind.INPUT
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT", Kind.INPUT
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG", Kind.INPUT
    PASSWORD_TOO_WEAK = "PASSWORD_TOO_WEAK", Kind.INPUT
    TOKEN_LIFETIME_INVALID = "TOKEN_LIFETIME_INVALID", Kind.INPUT
    ARTICLE_AMBIGUOUS = "ARTICLE_AMBIGUOUS", Kind.INPUT
    DELIVERY_AMBIGUOUS = "DELIVERY_AMBIGUOUS", Kind.INPUT
    CURSOR_INVALID = "CURSOR_INVALID", Kind.INPUT
    MEDIA_EMPTY = "MEDIA_EMPTY", Kind.INPUT
    MEDIA_TYPE_REFUSED = "MEDIA_TYPE_REFUSED", Kind.INPUT
    MEDIA_NOT_IMAGE = "MEDIA_NOT_IMAGE", Kind.INPUT
    IMPORT_NOT_DOCX = "IMPORT_NOT_DOCX", Kind.INPUT
    IMPORT_FAILED = "IMPORT_FAILED", Kind.INPUT
    IMPORT_TOO_COMPLEX = "IMPORT_TOO_COMPLEX", Kind.INPUT
    FILE_UNREADABLE = "FILE_UNREADABLE", Kind.INPUT
    FILE_NOT_UTF8 = "FILE_NOT_UTF8", Kind.INPUT
    ATTACHMENT_UNREADABLE = "ATTACHMENT_UNREADABLE", Kind.INPUT
    FINDING_UNKNOWN = "FINDING_UNKNOWN", Kind.INPUT
    COMMAND_UNKNOWN = "COMMAND_UNKNOWN", Kind.INPUT
    CONFIG_INVALID = "CONFIG_INVALID", Kind.INPUT  # the configuration folder
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED", Kind.INPUT

    # -- who is asking ------------------------------------------------------------------------
    LOGIN_REQUIRED = "LOGIN_REQUIRED", Kind.UNAUTHENTICATED
    LOGIN_FAILED = "LOGIN_FAILED", Kind.UNAUTHENTICATED
    SCREEN_TOKEN_INVALID = "SCREEN_TOKEN_INVALID", Kind.UNAUTHENTICATED
    LOGIN_LOCKED = "LOGIN_LOCKED", Kind.THROTTLED
    CSRF_FAILED = "CSRF_FAILED", Kind.FORBIDDEN
    BACKUP_INVALID = "BACKUP_INVALID", Kind.INPUT
    RELATED_NOT_FOUND = "RELATED_NOT_FOUND", Kind.INPUT
    BACKUP_UNSUPPORTED = "BACKUP_UNSUPPORTED", Kind.CONFLICT
    RESTORE_TARGET_NOT_EMPTY = "RESTORE_TARGET_NOT_EMPTY", Kind.CONFLICT
    ACT_AS_OTHER = "ACT_AS_OTHER", Kind.FORBIDDEN
    ADMIN_REQUIRED = "ADMIN_REQUIRED", Kind.FORBIDDEN
    SITE_ROLE_REQUIRED = "SITE_ROLE_REQUIRED", Kind.FORBIDDEN
    STAGE_ROLE_REQUIRED = "STAGE_ROLE_REQUIRED", Kind.FORBIDDEN
    SIGNOFF_ROLE_REQUIRED = "SIGNOFF_ROLE_REQUIRED", Kind.FORBIDDEN
    AUTHOR_CANNOT_REVIEW = "AUTHOR_CANNOT_REVIEW", Kind.FORBIDDEN
    EDITOR_CANNOT_REVIEW = "EDITOR_CANNOT_REVIEW", Kind.FORBIDDEN
    REVIEWER_ALREADY_APPROVED = "REVIEWER_ALREADY_APPROVED", Kind.FORBIDDEN

    # -- not there (or not visible) ---------------------------------------------------------
    NOT_FOUND = "NOT_FOUND", Kind.NOT_FOUND
    ARTICLE_NOT_FOUND = "ARTICLE_NOT_FOUND", Kind.NOT_FOUND
    REUSE_NOT_FOUND = "REUSE_NOT_FOUND", Kind.NOT_FOUND
    DELIVERY_NOT_FOUND = "DELIVERY_NOT_FOUND", Kind.NOT_FOUND
    WORK_ORDER_NOT_FOUND = "WORK_ORDER_NOT_FOUND", Kind.NOT_FOUND
    REVISION_NOT_FOUND = "REVISION_NOT_FOUND", Kind.NOT_FOUND
    TOKEN_NOT_FOUND = "TOKEN_NOT_FOUND", Kind.NOT_FOUND
    USER_UNKNOWN = "USER_UNKNOWN", Kind.NOT_FOUND
    MEDIA_NOT_FOUND = "MEDIA_NOT_FOUND", Kind.NOT_FOUND
    APP_UNKNOWN = "APP_UNKNOWN", Kind.NOT_FOUND
    SCREEN_UNKNOWN = "SCREEN_UNKNOWN", Kind.NOT_FOUND
    CHANNEL_NOT_CONFIGURED = "CHANNEL_NOT_CONFIGURED", Kind.NOT_FOUND

    # -- the state does not allow it now -----------------------------------------------------
    ARTICLE_EXISTS = "ARTICLE_EXISTS", Kind.CONFLICT
    ARTICLE_ARCHIVED = "ARTICLE_ARCHIVED", Kind.CONFLICT
    ARTICLE_IN_REVIEW = "ARTICLE_IN_REVIEW", Kind.CONFLICT
    ARTICLE_PUBLISHED = "ARTICLE_PUBLISHED", Kind.CONFLICT
    INVALID_STATE = "INVALID_STATE", Kind.CONFLICT
    STAGE_NOT_CURRENT = "STAGE_NOT_CURRENT", Kind.CONFLICT
    REVISION_NOT_CURRENT = "REVISION_NOT_CURRENT", Kind.CONFLICT
    CONTENT_HASH_MISMATCH = "CONTENT_HASH_MISMATCH", Kind.CONFLICT
    CHECKS_REQUIRED = "CHECKS_REQUIRED", Kind.CONFLICT
    CHECKS_STALE = "CHECKS_STALE", Kind.CONFLICT
    CHECKS_BLOCKED = "CHECKS_BLOCKED", Kind.CONFLICT
    FINDINGS_NOT_OVERRIDDEN = "FINDINGS_NOT_OVERRIDDEN", Kind.CONFLICT
    FINDING_ALREADY_OVERRIDDEN = "FINDING_ALREADY_OVERRIDDEN", Kind.CONFLICT
    FINDING_NOT_OVERRIDABLE = "FINDING_NOT_OVERRIDABLE", Kind.CONFLICT
    NOTHING_TO_FIX = "NOTHING_TO_FIX", Kind.CONFLICT
    NOTHING_CHANGED = "NOTHING_CHANGED", Kind.CONFLICT
    SIGNOFF_PENDING = "SIGNOFF_PENDING", Kind.CONFLICT
    SIGNOFF_NOT_READY = "SIGNOFF_NOT_READY", Kind.CONFLICT
    NOT_APPROVED = "NOT_APPROVED", Kind.CONFLICT
    NOT_PUBLISHED = "NOT_PUBLISHED", Kind.CONFLICT
    NOT_DUE = "NOT_DUE", Kind.CONFLICT
    ALREADY_PUBLISHED = "ALREADY_PUBLISHED", Kind.CONFLICT
    NOTHING_TO_PUBLISH = "NOTHING_TO_PUBLISH", Kind.CONFLICT
    PUBLICATION_SCHEDULED = "PUBLICATION_SCHEDULED", Kind.CONFLICT
    SCHEDULE_NOT_ALLOWED = "SCHEDULE_NOT_ALLOWED", Kind.CONFLICT
    DELIVERY_NOT_CANCELLABLE = "DELIVERY_NOT_CANCELLABLE", Kind.CONFLICT
    DELIVERY_NOT_RETRIABLE = "DELIVERY_NOT_RETRIABLE", Kind.CONFLICT
    DELIVERY_NOT_DUE = "DELIVERY_NOT_DUE", Kind.CONFLICT
    DELIVERY_NOT_STARTED = "DELIVERY_NOT_STARTED", Kind.CONFLICT
    DELIVERY_LEASE_LOST = "DELIVERY_LEASE_LOST", Kind.CONFLICT
    DELIVERY_BUSY = "DELIVERY_BUSY", Kind.CONFLICT
    WORK_ORDER_CLOSED = "WORK_ORDER_CLOSED", Kind.CONFLICT
    WORK_ORDER_STATE = "WORK_ORDER_STATE", Kind.CONFLICT  # not in the state the command needs
    WORK_ORDER_NOT_VERIFIED = "WORK_ORDER_NOT_VERIFIED", Kind.CONFLICT  # too few passing re-checks
    BULK_PARTIAL = "BULK_PARTIAL", Kind.CONFLICT
    STREAM_VERSION_CONFLICT = "STREAM_VERSION_CONFLICT", Kind.CONFLICT
    EVENT_ID_REUSED = "EVENT_ID_REUSED", Kind.CONFLICT
    ALREADY_REUSED = "ALREADY_REUSED", Kind.CONFLICT  # the columns show it already
    REUSE_EXISTS = "REUSE_EXISTS", Kind.CONFLICT  # offered (submitted) there already
    REUSE_NOT_OFFERED = "REUSE_NOT_OFFERED", Kind.CONFLICT  # not waiting to be adopted
    REUSE_NOT_ACCEPTED = "REUSE_NOT_ACCEPTED", Kind.CONFLICT

    # -- too large ----------------------------------------------------------------------------
    BODY_TOO_LARGE = "BODY_TOO_LARGE", Kind.TOO_LARGE
    MEDIA_TOO_LARGE = "MEDIA_TOO_LARGE", Kind.TOO_LARGE

    # -- try again later ----------------------------------------------------------------------
    STORE_BUSY = "STORE_BUSY", Kind.UNAVAILABLE
    FEED_UNREACHABLE = "FEED_UNREACHABLE", Kind.UNAVAILABLE  # another site's feed did not answer
    STORE_ERROR = "STORE_ERROR", Kind.UNAVAILABLE
    PORT_UNAVAILABLE = "PORT_UNAVAILABLE", Kind.UNAVAILABLE
    BUS_UNAVAILABLE = "BUS_UNAVAILABLE", Kind.UNAVAILABLE  # Kafka (the distributed runtime)
    CHANNEL_AUTHORIZE_FAILED = "CHANNEL_AUTHORIZE_FAILED", Kind.UNAVAILABLE

    # -- defects ------------------------------------------------------------------------------
    INTERNAL = "INTERNAL", Kind.INTERNAL
    STORE_CORRUPT = "STORE_CORRUPT", Kind.INTERNAL  # an operator must repair or restore it
    ABORTED = "ABORTED", Kind.INPUT  # the user cancelled a prompt
    EVENT_TYPE_UNKNOWN = "EVENT_TYPE_UNKNOWN", Kind.INTERNAL
    EVENT_TYPE_DUPLICATE = "EVENT_TYPE_DUPLICATE", Kind.INTERNAL
    EVENT_SCHEMA_TOO_NEW = "EVENT_SCHEMA_TOO_NEW", Kind.INTERNAL
    EVENT_UPCASTER_MISSING = "EVENT_UPCASTER_MISSING", Kind.INTERNAL
