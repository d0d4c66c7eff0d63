"""Logins attacked over HTTP: parallel guesses, unknown names, one address spraying names."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from hub.web.logins import MAX_FAILURES
from tests.web.conftest import Web


def attempt(web: Web, user: str, password: str) -> requests.Response:
    return requests.post(f"{web.url}/login", data={"username": user, "password": password},
                         allow_redirects=False, timeout=60)  # fmt: skip


def test_forty_parallel_guesses_then_the_right_password_is_still_refused(web: Web) -> None:
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda _: attempt(web, "liting", "wrong-password!"), range(40)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(401) <= MAX_FAILURES and codes.count(429) >= 40 - MAX_FAILURES
    right = attempt(web, "liting", web.passwords["liting"])
    assert right.status_code == 429 and "hub_session" not in right.cookies


def test_a_locked_name_answers_the_same_whether_or_not_the_user_exists(web: Web) -> None:
    pages = {}
    for name in ("wangqiang", "no-such-user"):
        for _ in range(MAX_FAILURES):
            assert attempt(web, name, "wrong-password!").status_code == 401
        locked = attempt(web, name, "wrong-password!")
        pages[name] = (locked.status_code, locked.text.replace(name, "NAME"))
    assert pages["wangqiang"] == pages["no-such-user"]
    assert pages["wangqiang"][0] == 429
