"""Offers and upward submissions between sites, as a decider: pure `decide` and `evolve`.

    (none) ─offer / submit→ offered ─accept→ accepted ─source corrected / retracted→ accepted
                              offered ─decline→ declined ─offer again→ offered

Who may do what: the sender needs an editing or publishing role on the source's site, the
source must have passed its own review (approved or live), and a submission goes only to
the site above the sender's (信息报送); an offer goes to any other site. Only staff who
publish on the receiving site accept or decline it, a declined item says why, and an item is
accepted once. An accepted copy is the receiving site's own article: its reviewers review
it, its editors publish it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from events.decider import Decider, StreamName
from events.envelope import Event
from workflows.article_commands import ActingUser
from workflows.errors import DomainError
from workflows.publication_decider import publishes_on
from workflows.reuse_events import ReuseAccepted, ReuseDeclined, ReuseOffered, SourceChanged
from workflows.vocabulary import Role

REUSES = StreamName("reuse")
KINDS = ("offer", "submission")
KIND_LABELS = {"offer": "推送", "submission": "报送", "reference": "引用"}


class ReuseStatus(StrEnum):
    NONE = "none"
    OFFERED = "offered"  # 待采用
    ACCEPTED = "accepted"  # 已采用
    DECLINED = "declined"  # 已退回


STATUS_LABELS = {"offered": "待采用", "accepted": "已采用", "declined": "已退回"}


@dataclass(frozen=True)
class ReuseState:
    status: ReuseStatus = ReuseStatus.NONE
    kind: str = ""
    source_article: str = ""
    source_site: str = ""
    to_site: str = ""
    revision: int = 0
    copy_article: str = ""
    changes: tuple[tuple[str, int], ...] = ()  # (change, source revision) recorded


@dataclass(frozen=True, slots=True)
class Offer:
    reuse_id: str
    kind: str
    source_article: str
    source_site: str
    revision: int
    content_hash: str
    title: str
    to_site: str
    actor: ActingUser
    now: datetime
    source_reviewed: bool  # approved or live (the service reads the source's state)
    upward: bool  # to_site is the site above source_site (sites.yaml `parent`)
    note: str = ""


@dataclass(frozen=True, slots=True)
class Accept:
    reuse_id: str
    copy_article: str
    columns: tuple[str, ...]
    actor: ActingUser


@dataclass(frozen=True, slots=True)
class Decline:
    reuse_id: str
    reason: str
    actor: ActingUser


@dataclass(frozen=True, slots=True)
class RecordSourceChange:
    reuse_id: str
    change: str  # corrected | retracted
    revision: int
    followed: bool


ReuseCommand = Offer | Accept | Decline | RecordSourceChange


def decide(command: ReuseCommand, state: ReuseState) -> list[Event]:
    match command:
        case Offer():
            return _offer(command, state)
        case Accept():
            _require_deciding(command.actor, state)
            if not command.columns:
                raise DomainError("COLUMN_REQUIRED", "请选择采用到本站的栏目")
            return [ReuseAccepted(copy_article=command.copy_article, columns=command.columns,
                                  accepted_by=command.actor.user_id)]  # fmt: skip
        case Decline():
            _require_deciding(command.actor, state)
            if not command.reason.strip():
                raise DomainError("REASON_REQUIRED", "退回须说明理由")
            return [ReuseDeclined(declined_by=command.actor.user_id, reason=command.reason.strip())]
        case RecordSourceChange():
            if state.status is not ReuseStatus.ACCEPTED:
                raise DomainError("REUSE_NOT_ACCEPTED", "只有已采用的信息才跟随来源变化")
            if command.change not in ("corrected", "retracted"):
                raise DomainError("INVALID_INPUT", f"未知的来源变化 {command.change!r}")
            if (command.change, command.revision) in state.changes:
                return []  # recorded already (a reaction run again)
            return [SourceChanged(change=command.change, revision=command.revision,
                                  followed=command.followed)]  # fmt: skip
    raise DomainError("COMMAND_UNKNOWN", f"未知命令 {type(command).__name__}")


def _offer(command: Offer, state: ReuseState) -> list[Event]:
    if command.kind not in KINDS:
        raise DomainError("INVALID_INPUT", f"未知的流转方式 {command.kind!r}")
    if state.status in (ReuseStatus.OFFERED, ReuseStatus.ACCEPTED):
        raise DomainError("REUSE_EXISTS", "该信息已推送（报送）到这个站点",
                          status=str(state.status))  # fmt: skip
    held = command.actor.roles_on(command.source_site)
    if not (Role.EDITOR in held or publishes_on(command.actor, command.source_site)):
        raise DomainError("SITE_ROLE_REQUIRED",
                          f"用户 {command.actor.user_id} 在来源站点没有编辑或发布权限")  # fmt: skip
    if command.to_site == command.source_site:
        raise DomainError("REUSE_OWN_SITE", "不能推送到本站")
    if not command.source_reviewed:
        raise DomainError("NOT_APPROVED", "只有经过本单位三审审定的信息才能推送或报送")
    if command.kind == "submission" and not command.upward:
        raise DomainError("NOT_UPWARD", "信息报送只能报送到上级站点")
    return [ReuseOffered(kind=command.kind, source_article=command.source_article,
                         source_site=command.source_site, revision=command.revision,
                         content_hash=command.content_hash, title=command.title,
                         to_site=command.to_site, offered_by=command.actor.user_id,
                         note=command.note.strip())]  # fmt: skip


def _require_deciding(actor: ActingUser, state: ReuseState) -> None:
    if state.status is not ReuseStatus.OFFERED:
        raise DomainError("REUSE_NOT_OFFERED", "该信息不在待采用状态",
                          status=str(state.status))  # fmt: skip
    if not publishes_on(actor, state.to_site):
        raise DomainError("SITE_ROLE_REQUIRED",
                          f"用户 {actor.user_id} 在接收站点没有发布权限，不能采用或退回")  # fmt: skip


def evolve(state: ReuseState, event: Event) -> ReuseState:
    match event:
        case ReuseOffered():
            return ReuseState(ReuseStatus.OFFERED, event.kind, event.source_article,
                              event.source_site, event.to_site, event.revision)  # fmt: skip
        case ReuseAccepted():
            return replace(state, status=ReuseStatus.ACCEPTED, copy_article=event.copy_article)
        case ReuseDeclined():
            return replace(state, status=ReuseStatus.DECLINED)
        case SourceChanged():
            return replace(state, changes=(*state.changes, (event.change, event.revision)))
    return state


reuse_decider: Decider[ReuseCommand, ReuseState] = Decider(
    name="reuse",
    streams=REUSES,
    initial_state=ReuseState(),
    decide=decide,
    evolve=evolve,
    entity=lambda command: command.reuse_id,
)
