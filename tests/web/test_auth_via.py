"""Each event the web writes records how its actor was authenticated: the API token's id, or
the console session and how it was opened; the engine's own events record nothing."""

from __future__ import annotations

from tests.web.conftest import Web


def test_events_record_the_token_or_the_session_that_wrote_them(web: Web) -> None:
    article = web.article()
    session, csrf = web.login("zhangwei")
    submitted = session.post(f"{web.url}/api/v1/articles/{article}/submit", timeout=30,
                             headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert submitted.status_code == 200, submitted.text
    via = dict(web.hub.store.query("SELECT type, via FROM events WHERE stream_id = ?",
                                   (f"article-{article}",)))  # fmt: skip
    token_id = web.hub.logins.token_owner(web.token("zhangwei"))
    assert token_id is not None
    assert via["ArticleCreated"] == f"api-token:{token_id[1]}"
    assert via["ArticleSubmitted"] == "web-session:password"
