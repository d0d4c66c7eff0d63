"""The commands the web offers on an article, one table for the HTML forms and the JSON API.

Each action names its request body (a pydantic model, so the API describes it in OpenAPI and
bad input is refused before anything runs) and calls the same service method the CLI calls:
the rules, roles and separation of duties are checked there, once, for every interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.commands.article_service import ArticleResult
from hub.runtime.embedded import EmbeddedHub

Text = Annotated[str, StringConstraints(max_length=2000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoBody(Body):
    pass


class EditBody(Body):
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    body_html: Annotated[str, StringConstraints(max_length=200_000)] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict, max_length=40)


class ApproveBody(Body):
    gates: list[Annotated[str, StringConstraints(max_length=40)]] = Field(max_length=10)
    revision: int | None = Field(default=None, ge=1, le=1_000_000)
    content_hash: Annotated[str, StringConstraints(max_length=100)] | None = None
    opinion: Text = ""


class ReturnBody(Body):
    reasons: list[Reason] = Field(min_length=1, max_length=20)


class SignOffBody(Body):
    opinion: Text = ""


class ReasonBody(Body):
    reason: Text = ""


class RequiredReasonBody(Body):
    reason: Reason


class DispatchBody(Body):
    unit: Annotated[str, StringConstraints(min_length=1, max_length=80, strip_whitespace=True)]
    deadline: datetime
    note: Text = ""


class NoteBody(Body):
    note: Reason


class ExtendBody(Body):
    until: datetime
    reason: Reason


class PublishBody(Body):
    to: list[Ref] = Field(default_factory=list, max_length=5000)
    at: datetime | None = None
    expire_at: datetime | None = None
    feeds: bool = True
    notify: bool = False
    mass_send: bool = False


class ReuseBody(Body):
    to: list[Ref] = Field(min_length=1, max_length=50)  # columns of one site: `drc/notices`
    feeds: bool = True


class OfferBody(Body):
    to_site: Ref
    note: Text = ""


class SubmitUpBody(Body):
    note: Text = ""


class AcceptBody(Body):
    columns: list[Ref] = Field(min_length=1, max_length=20)


class OverrideBody(Body):
    finding_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    reason: Reason


class FixBody(Body):
    finding_ids: list[Annotated[str, StringConstraints(max_length=80)]] = Field(
        default_factory=list, max_length=200
    )  # none named: every finding with a suggested fix


class RescheduleBody(Body):
    at: datetime | None = None
    expire_at: datetime | None = None
    clear_expiry: bool = False


Handler = Callable[[EmbeddedHub, str, str, Any], ArticleResult]


@dataclass(frozen=True)
class Action:
    name: str
    label: str  # for people, in the interface's language
    body: type[Body]
    run: Handler


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("edit", "修改", EditBody,
               lambda h, u, a, b: h.articles.edit(u, a, title=b.title, body_html=b.body_html,
                                                  metadata=b.metadata)),
        Action("submit", "送审", NoBody, lambda h, u, a, b: h.articles.submit(u, a)),
        Action("approve", "审核通过", ApproveBody,
               lambda h, u, a, b: h.articles.approve(u, a, b.gates, revision=b.revision,
                                                     content_hash=b.content_hash,
                                                     opinion=b.opinion)),
        Action("return", "退回修改", ReturnBody, lambda h, u, a, b: h.articles.return_(u, a, b.reasons)),
        Action("signoff", "领导签批", SignOffBody,
               lambda h, u, a, b: h.articles.sign_off(u, a, opinion=b.opinion)),
        Action("withdraw", "撤回送审", ReasonBody, lambda h, u, a, b: h.articles.withdraw(u, a, b.reason)),
        Action("archive", "归档", ReasonBody, lambda h, u, a, b: h.articles.archive(u, a, b.reason)),
        Action("publish", "发布", PublishBody,
               lambda h, u, a, b: h.publishing.publish(u, a, b.to or None, b.at, b.expire_at,
                                                       feeds=b.feeds, notify=b.notify,
                                                       mass_send=b.mass_send)),
        Action("retract", "撤稿", RequiredReasonBody,
               lambda h, u, a, b: h.publishing.retract(u, a, b.reason)),
        Action("override", "接受校验问题", OverrideBody,
               lambda h, u, a, b: h.articles.override(u, a, b.finding_id, b.reason)),
        Action("fix", "套用建议修改", FixBody,
               lambda h, u, a, b: h.articles.fix(u, a, b.finding_ids or None)[0]),
        Action("reschedule", "调整发布时间", RescheduleBody,
               lambda h, u, a, b: h.publishing.reschedule(u, a, b.at, b.expire_at,
                                                          clear_expiry=b.clear_expiry)),
        Action("recheck", "重新校验", NoBody, lambda h, u, a, b: h.articles.recheck(u, a)),
    )
}  # fmt: skip


def result_json(result: ArticleResult) -> dict[str, Any]:
    """What a command did, as the API answers it."""
    return {
        "id": result.article_id,
        "status": str(result.state.status),
        "revision": result.state.revision,
        "content_hash": result.state.content_hash,
        "waiting_for": result.state.waiting_for,
        "events": list(result.event_types),
    }
