"""What the JSON API answers, as models, so its OpenAPI description says it to machines (and
the answers are checked against it). Fields the hub may add later are allowed through."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class Me(Answer):
    id: str
    name: str
    unit: str
    roles: dict[str, list[str]]
    via: str


class ArticleSummary(Answer):
    id: str
    site: str
    columns: list[str]
    title: str
    status: str
    waiting_for: str | None = None
    revision: int
    author: str
    updated_at: str


class SiteRef(Answer):
    key: str
    code: str
    name: str


class ArticleDetail(Answer):
    id: str
    site: SiteRef
    columns: list[str]
    title: str
    status: str
    status_label: str
    waiting_for: str | None = None
    revision: int
    content_hash: str
    stream_version: int
    author: str
    body_html: str
    metadata: dict[str, Any]
    approvals: list[dict[str, Any]]
    live: dict[str, Any] | None = None
    scheduled: dict[str, Any] | None = None


class HistoryEntry(Answer):
    version: int
    occurred_at: str
    actor: str
    role: str
    type: str
    summary: str


class Findings(Answer):
    id: str
    revision: int
    content_hash: str
    dictionary_version: str
    recorded: list[dict[str, Any]]
    current: list[dict[str, Any]]


class DraftCheck(Answer):
    valid: bool
    errors: list[Any]
    body_html: str | None = None  # the sanitised body, when the draft is valid
    blocked: bool = False
    findings: list[dict[str, Any]]


class AccountRef(Answer):
    id: str
    channel: str
    name: str
    site: str


class SiteGroup(Answer):
    sites: list[dict[str, Any]]
    accounts: list[AccountRef]


class PlanColumn(Answer):
    ref: str  # site/column, as `publish` takes it in `to`
    name: str
    depth: int
    checked: bool  # one of the article's own columns


class PlanSite(Answer):
    key: str
    code: str
    name: str
    own: bool  # the article's own site (others are 一稿多发)
    columns: list[PlanColumn]


class PlanAccount(Answer):
    ref: str  # channel:account, as `publish` takes it in `to`
    name: str
    channel: str
    site: str
    problems: list[str]  # why it would refuse the article now (empty: it would accept)


class PublicationPlan(Answer):
    sites: list[PlanSite]
    accounts: list[PlanAccount]


class Dictionaries(Answer):
    version: str
    terms: int
    counts: dict[str, int]
    history: list[dict[str, Any]]


class RecheckReport(Answer):
    dictionary_version: str
    checked: int
    unchanged: int
    failing: list[dict[str, Any]]


class Actor(Answer):
    user_id: str
    role: str


class StoredEvent(Answer):
    event_id: str
    stream_id: str
    stream_version: int
    global_position: int
    type: str
    schema_version: int
    occurred_at: str
    actor: Actor
    correlation_id: str
    causation_id: str | None = None
    payload: dict[str, Any]


class QueueItem(Answer):
    id: str
    title: str
    site: str
    revision: int


class Delivery(Answer):
    id: str
    article_id: str
    publication_id: str
    revision: int
    target: str
    action: str
    status: str
    status_label: str
    attempts: int
    next_at: str | None = None
    last_error: str
    remote_id: str
    url: str
    steps: dict[str, Any]


class AccountHealth(Answer):
    channel: str
    account: str
    name: str
    site: str
    deliveries: dict[str, int]
    circuit: str
    consecutive_failures: int


class FeedArticle(Answer):
    """One article as the app shows it (channels/app/feed.py)."""

    id: str
    version: int
    status: str
    column: str | None = None
    title: str
    summary: str
    content_html: str


class FeedTombstone(Answer):
    id: str
    deleted_at: str


class Feed(Answer):
    items: list[FeedArticle]
    deleted: list[FeedTombstone]
    next_cursor: str
    has_more: bool


class ScreenItem(Answer):
    id: str
    title: str
    priority: int
    published_at: str
    display: dict[str, Any]


class Playlist(Answer):
    screen_id: str
    version: int
    generated_at: str
    poll_interval_s: int
    items: list[ScreenItem]


EVENT_STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "服务器推送事件（upsert / retract，id 为播放列表版本）",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


class WorkOrder(Answer):
    order_id: str
    problem: str
    subject: str
    site: str
    unit: str
    summary: str
    status: str
    opened_at: str
    due_by: str | None
    deadline: str | None
    passes: int
    passes_required: int
    observed: int


class WorkOrderDetail(WorkOrder):
    history: list[dict[str, Any]]


class SearchHit(Answer):
    article_id: str
    site: str
    site_name: str
    columns: list[str]
    column_names: list[str]
    vertical: str
    title: str
    title_html: str
    snippet_html: str
    doc_number: str
    agency: str
    published_at: str
    url: str
    score: float


class FacetValue(Answer):
    value: str
    count: int


class SearchAnswer(Answer):
    total: int
    page: int
    partial: bool
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]


class Flow(Answer):
    reuse_id: str
    kind: str
    source_article: str
    source_site: str
    source_site_name: str
    to_site: str
    to_site_name: str
    status: str
    title: str | None = None
    copy_article: str | None = None
    columns: list[str]
    reason: str | None = None
    change: str | None = None
    followed: bool | None = None
