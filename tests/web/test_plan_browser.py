"""The publication plan's 全选 in Chromium: one site's columns, or every column of every site."""

from __future__ import annotations

import pytest

from tests.helpers import approve_all
from tests.web.conftest import Web
from tests.web.test_browser import browser, log_in  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.slow


def test_select_all_in_the_publication_plan(web: Web, browser) -> None:  # noqa: F811
    article = web.article()
    assert web.api("zhangwei", "POST", f"/articles/{article}/submit").status_code == 200
    approve_all(web, article)
    page = log_in(browser, web, "qianli")
    page.goto(f"{web.url}/console/articles/{article}")
    columns = page.locator('details[data-site] input[name="to"]')
    own = page.locator("details[data-site][open]").first
    own.locator("input[data-select-all=site]").check()
    own_columns = own.locator('input[name="to"]')
    assert own_columns.count() > 1
    assert all(own_columns.nth(i).is_checked() for i in range(own_columns.count()))
    page.locator("input[data-select-all=plan]").check()
    assert all(columns.nth(i).is_checked() for i in range(columns.count()))
    page.locator("input[data-select-all=plan]").uncheck()
    assert not any(columns.nth(i).is_checked() for i in range(columns.count()))
