"""Builders for decider tests: a workflow, users with roles, and a helper to run commands."""

from __future__ import annotations

from dataclasses import replace

from events.envelope import Event
from workflows.article_commands import (
    ActingUser,
    ArticleCommand,
    CreateArticle,
    EditArticle,
    PublishArticle,
    ReleasePublication,
    SubmitArticle,
)
from workflows.article_decider import decide
from workflows.article_state import ArticleState, evolve, initial_state
from workflows.checks.engine import CheckReport
from workflows.content import ArticleContent
from workflows.workflow_definition import WorkflowDefinition

SITE = "9900000001"
OTHER_SITE = "9900000012"

WORKFLOW = WorkflowDefinition.model_validate(
    {
        "id": "standard",
        "name": "三审三校标准流程",
        "stages": [
            {
                "id": "first",
                "name": "初审",
                "role": "first_reviewer",
                "gates": ["wording", "secrecy"],
            },
            {
                "id": "second",
                "name": "复审",
                "role": "second_reviewer",
                "gates": ["legal", "policy"],
            },
            {
                "id": "final",
                "name": "终审",
                "role": "final_reviewer",
                "gates": ["political", "public_opinion"],
            },
        ],
        "signoff": {"role": "leader", "major": True, "grades": ["sensitive"]},
    }
)
GATES = {s.id: tuple(str(g) for g in s.gates) for s in WORKFLOW.stages}


def user(user_id: str, *roles: str, site: str = SITE) -> ActingUser:
    return ActingUser(user_id, {site: frozenset(roles)})


EDITOR = user("editor", "editor")
EDITOR2 = user("editor2", "editor")
R1 = user("r1", "first_reviewer")
R2 = user("r2", "second_reviewer")
R3 = user("r3", "final_reviewer")
ALL_ROUNDER = user("allround", "first_reviewer", "second_reviewer", "final_reviewer")
LEADER = user("leader", "leader")
OUTSIDER = user(
    "outsider", "first_reviewer", "second_reviewer", "final_reviewer", "editor", site=OTHER_SITE
)


def content(
    title: str = "关于开展自查工作的通知", body: str = "<p>正文内容</p>", **metadata: object
) -> ArticleContent:
    return ArticleContent.model_validate({"title": title, "body_html": body, "metadata": metadata})


def clean_report(content_hash: str) -> CheckReport:
    """A system check that found nothing, for the revision with `content_hash`."""
    return CheckReport(dictionary_version="test", content_hash=content_hash)


def checked(command: ArticleCommand, state: ArticleState) -> ArticleCommand:
    """Submit and edit commands as the service sends them: with a (clean) check report."""
    if isinstance(command, SubmitArticle) and command.report is None:
        return replace(command, report=clean_report(state.content_hash))
    if isinstance(command, PublishArticle | ReleasePublication) and command.report is None:
        return replace(command, report=clean_report(state.content_hash))
    if isinstance(command, EditArticle) and command.report is None:
        return replace(command, report=clean_report(command.content.content_hash()))
    return command


def run(state: ArticleState, command: ArticleCommand) -> tuple[ArticleState, list[Event]]:
    events = decide(checked(command, state), state)
    for event in events:
        state = evolve(state, event)
    return state, events


def created(article_id: str = "a1", **metadata: object) -> ArticleState:
    state, _ = run(
        initial_state,
        CreateArticle(article_id, SITE, ("notices",), content(**metadata), WORKFLOW, EDITOR),
    )
    return state
