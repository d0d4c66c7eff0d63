"""What a refusal says names the review stages as people do (初审, 复审), never by their ids."""

from __future__ import annotations

import pytest

from hub.runtime.embedded import EmbeddedHub
from tests.helpers import STAGES
from workflows.errors import DomainError


def test_refusals_name_stages_in_chinese(hub: EmbeddedHub) -> None:
    created = hub.articles.create("zhangwei", "gov", ["notices"], "关于开展自查工作的通知",
                                  "<p>各有关单位：请按时报送。</p>")  # fmt: skip
    article = created.article_id
    hub.articles.submit("zhangwei", article)
    with pytest.raises(DomainError) as wrong_stage:
        hub.articles.approve("liting", article, STAGES[0][1], stage="second")
    assert wrong_stage.value.code == "STAGE_NOT_CURRENT"
    assert "“初审”" in wrong_stage.value.message and "“复审”" in wrong_stage.value.message
    assert "second" not in wrong_stage.value.message and "first" not in wrong_stage.value.message
    hub.articles.approve("liting", article, STAGES[0][1])
    with pytest.raises(DomainError) as twice:
        hub.articles.approve("liting", article, STAGES[1][1])
    assert twice.value.code in ("REVIEWER_ALREADY_APPROVED", "STAGE_ROLE_REQUIRED")
    assert "first" not in twice.value.message
    with pytest.raises(DomainError) as returned:
        hub.articles.return_("wangqiang", article, ["请补充"], stage="first")
    assert "“复审”" in returned.value.message and "“初审”" in returned.value.message
