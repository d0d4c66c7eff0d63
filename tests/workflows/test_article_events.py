"""How article events are stored: the workflow snapshot of `ArticleCreated` (schema 2)."""

from __future__ import annotations

import json

from events.registry import default_registry
from tests.workflows.builders import SITE, WORKFLOW, content
from workflows.article_events import ArticleCreated
from workflows.workflow_definition import WorkflowDefinition


def created(workflow: WorkflowDefinition = WORKFLOW) -> ArticleCreated:
    body = content()
    return ArticleCreated(
        article_id="a", site=SITE, columns=("notices",), author="editor", workflow=workflow,
        revision=1, content=body, content_hash=body.content_hash(),
    )  # fmt: skip


def test_the_workflow_is_stored_as_its_json_text_and_shown_as_an_object() -> None:
    event = created()
    stored = json.loads(default_registry.encode(event))
    assert isinstance(stored["workflow"], str)
    assert json.loads(stored["workflow"]) == WORKFLOW.model_dump(mode="json")
    shown = event.model_dump(mode="json")  # history screens, `hub article history --json`
    assert shown["workflow"] == WORKFLOW.model_dump(mode="json")
    assert json.loads(event.model_dump_json())["workflow"]["id"] == WORKFLOW.id


def test_stored_events_of_one_workflow_share_one_definition() -> None:
    text = default_registry.encode(created())
    first = default_registry.decode("ArticleCreated", ArticleCreated.schema_version, text)
    second = default_registry.decode("ArticleCreated", ArticleCreated.schema_version, text)
    assert first == created() and second == created()
    assert first.workflow is second.workflow


def test_a_changed_workflow_is_its_own_snapshot() -> None:
    renamed = WORKFLOW.model_copy(update={"name": "三审三校（修订）"})
    texts = [default_registry.encode(created(w)) for w in (WORKFLOW, renamed)]
    decoded = [default_registry.decode("ArticleCreated", 2, t).workflow for t in texts]
    assert [w.name for w in decoded] == [WORKFLOW.name, "三审三校（修订）"]


def test_schema_1_events_with_the_workflow_as_an_object_still_load() -> None:
    old = created().model_dump_json()  # schema 1 stored the nested object
    assert isinstance(json.loads(old)["workflow"], dict)
    assert default_registry.decode("ArticleCreated", 1, old) == created()


def test_a_content_changed_by_copy_has_its_own_hash() -> None:
    original = content()
    remembered = original.content_hash()  # computed once, then remembered
    changed = original.model_copy(update={"title": "另一个标题"})
    assert changed.content_hash() != remembered
    assert changed.content_hash() == changed.model_validate(changed.model_dump()).content_hash()
    assert original.model_copy().content_hash() == remembered
