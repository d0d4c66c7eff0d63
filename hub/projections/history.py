"""The article history: one readable line per event, for timelines and audits."""

from __future__ import annotations

from typing import Any, Protocol

from events.envelope import Event, RecordedEvent
from events.recorder import Column, Table
from events.store import EventStore, SubscriberTransaction
from hub.runtime.clock import beijing_minute
from workflows.article_decider import ARTICLES
from workflows.article_events import (
    ArticleApproved,
    ArticleArchived,
    ArticleChecked,
    ArticleCreated,
    ArticleImported,
    ArticlePublished,
    ArticleRetracted,
    ArticleReturned,
    ArticleRevised,
    ArticleSignedOff,
    ArticleSubmitted,
    ArticleWithdrawn,
    FindingOverridden,
    PublicationCancelled,
    PublicationRescheduled,
    PublicationScheduled,
    StageApproved,
    TargetsWithdrawn,
)
from workflows.publication import Target
from workflows.vocabulary import GATE_LABELS

_CHECK_PHASES = {
    "submit": "送审前系统强制校验",
    "publish": "发布前系统强制校验",
    "recheck": "词库更新后复检",
}

HISTORY = Table(
    "article_history",
    (
        Column("article_id", key=True),
        Column("stream_version", "int", key=True),
        Column("global_position", "int", required=True),
        Column("occurred_at", required=True),
        Column("actor_id", required=True),
        Column("actor_role", required=True),
        Column("type", required=True),
        Column("summary", required=True),
    ),
)


def _gates(gates: tuple[str, ...]) -> str:
    return "、".join(GATE_LABELS.get(g, g) for g in gates)


class Names(Protocol):
    """How a description names sites and publication targets (hub.directory.Directory)."""

    def site_name(self, ref: str) -> str: ...

    def target_name(self, key: str) -> str: ...


class Codes:
    """Names that are the codes themselves (for a hub without a directory)."""

    def site_name(self, ref: str) -> str:
        return ref

    def target_name(self, key: str) -> str:
        return key


def describe(payload: Event, names: Names | None = None) -> str:
    """A one-line Chinese description of an article event, naming sites and targets as
    people know them (示范省人民政府门户网站·通知公告)."""
    names = names or Codes()

    def _targets(targets: tuple[Target, ...]) -> str:
        return "、".join(names.target_name(t.key) for t in targets) or "无"

    match payload:
        case ArticleCreated():
            return f"创建稿件《{payload.content.title}》第 {payload.revision} 版"
        case ArticleRevised():
            note = "，此前的审核意见作废，重新从初审开始" if payload.approvals_voided else ""
            return f"修改为第 {payload.revision} 版{note}"
        case ArticleSubmitted():
            return f"第 {payload.revision} 版送审"
        case StageApproved():
            opinion = f"，意见：{payload.opinion}" if payload.opinion else ""
            return f"{payload.stage_name}通过第 {payload.revision} 版（{_gates(payload.gates)}）{opinion}"
        case ArticleReturned():
            return f"{payload.stage_name}退回第 {payload.revision} 版：{'；'.join(payload.reasons)}"
        case ArticleSignedOff():
            return f"领导签批第 {payload.revision} 版"
        case ArticleApproved():
            return f"第 {payload.revision} 版审定，可以发布（{payload.content_hash[:19]}…）"
        case ArticleImported():
            system = f"（{payload.source_system}）" if payload.source_system else ""
            return (f"从原网站系统{system}迁移：原地址 {payload.source_url}，原发布时间 "
                    f"{beijing_minute(payload.original_published_at)}，已在原系统审核发布")  # fmt: skip
        case ArticleWithdrawn():
            return f"撤回送审{('：' + payload.reason) if payload.reason else ''}"
        case ArticleArchived():
            return f"归档{('：' + payload.reason) if payload.reason else ''}"
        case ArticleChecked():
            counts = {
                s: sum(f.severity == s for f in payload.findings)
                for s in ("BLOCK", "REVIEW", "WARN")
            }
            verdict = "未通过，已拦截" if payload.blocked else "通过"
            if payload.phase == "recheck":
                verdict = "现在不能通过" if payload.blocked else "完成"
            phase = _CHECK_PHASES.get(payload.phase, "系统强制校验")
            return (
                f"{phase}第 {payload.revision} 版{verdict}（拦截 {counts['BLOCK']} 项、"
                f"需人工确认 {counts['REVIEW']} 项、提示 {counts['WARN']} 项；词库 {payload.dictionary_version}）"
            )
        case FindingOverridden():
            return f"人工确认校验问题 {payload.finding_id}（{payload.rule}）：{payload.reason}"
        case PublicationScheduled(publication=p):
            return f"第 {p.revision} 版定时于 {beijing_minute(p.publish_at)} 发布到 {_targets(p.targets)}"
        case ArticlePublished(publication=p):
            what = (
                f"更正：第 {p.revision} 版替换第 {payload.replaces_revision} 版"
                if payload.replaces_revision
                else f"第 {p.revision} 版发布"
            )
            partial = payload.added_targets and payload.added_targets != p.targets
            added = f"（新增 {_targets(payload.added_targets)}）" if partial else ""
            return f"{what}到 {_targets(p.targets)}{added}"
        case PublicationRescheduled():
            expiry = (
                f"，{beijing_minute(payload.expire_at)} 下线" if payload.expire_at else "，不设下线"
            )
            return f"发布时间改为 {beijing_minute(payload.publish_at)}{expiry}"
        case PublicationCancelled():
            return f"取消定时发布：{payload.reason}"
        case TargetsWithdrawn():
            return (
                f"{names.site_name(payload.site)}撤下第 {payload.revision} 版"
                f"（{_targets(payload.targets)}）：{payload.reason}"
            )
        case ArticleRetracted():
            kind = "到期下线" if payload.expired else "撤稿"
            return (
                f"{kind}第 {payload.revision} 版（{_targets(payload.targets)}）：{payload.reason}"
            )
    return type(payload).type_name


class HistoryProjection:
    """Keeps `article_history`."""

    name = "history-v2"  # v2: sites and targets by name

    def __init__(self, names: Names | None = None) -> None:
        self.names = names or Codes()

    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(HISTORY)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(HISTORY)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if not ARTICLES.owns(event.stream_id):
            return
        tx.insert_new(HISTORY, [
            (
                ARTICLES.entity(event.stream_id),
                event.stream_version,
                event.global_position,
                event.occurred_at.isoformat(),
                event.actor.user_id,
                event.actor.role,
                event.type,
                describe(event.payload, self.names),
            )
        ])  # fmt: skip


def timeline_of(store: EventStore, article_id: str) -> list[dict[str, Any]]:
    """The article's history: one described line per event, oldest first."""
    keys = ("stream_version", "occurred_at", "actor_id", "actor_role", "type", "summary")
    rows = store.rows(HISTORY, {"article_id": article_id}, keys, order_by=("stream_version",))
    names = ("version", "occurred_at", "actor", "role", "type", "summary")
    return [dict(zip(names, row, strict=True)) for row in rows]
