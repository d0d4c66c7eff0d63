"""The JPush sandbox speaks the v3 protocol: auth, payload checks, size limits, cid
idempotency, override ids, rate-limit headers, validate-only. Over real HTTP."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import requests

from sandboxes.jpush import JPushSandbox
from tests.channels.conftest import KEY, SECRET


def auth(key: str = KEY, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def push(url: str, body: object, path: str = "/v3/push", **headers: str) -> requests.Response:
    return requests.post(url + path, json=body, headers={**auth(), **headers}, timeout=10)


GOOD = {"platform": "all", "audience": "all", "notification": {"alert": "你好"}}


def error(response: requests.Response) -> tuple[int, int]:
    return response.status_code, response.json()["error"]["code"]


def test_auth_method_and_payload_errors(jpush: tuple[JPushSandbox, str]) -> None:
    sandbox, url = jpush
    assert error(requests.get(url + "/v3/push", headers=auth(), timeout=10)) == (405, 1001)
    assert error(requests.post(url + "/v3/push", json=GOOD, timeout=10)) == (401, 1004)
    bad_secret = requests.post(url + "/v3/push", json=GOOD, headers=auth(secret="x"), timeout=10)
    assert error(bad_secret) == (401, 1004)
    assert error(requests.post(url + "/v3/push", json=GOOD, headers=auth(key="short"),
                               timeout=10)) == (400, 1008)  # fmt: skip
    assert error(push(url, {"audience": "all", "notification": {"alert": "x"}})) == (400, 1002)
    assert error(push(url, {"platform": "all", "audience": "all"})) == (400, 1002)
    assert error(push(url, {**GOOD, "colour": "red"})) == (400, 1009)
    wrong_key = {**GOOD, "notification": {"alert": "x", "ios": {"content_available": 1}}}
    assert error(push(url, wrong_key)) == (400, 1009)
    assert error(push(url, {**GOOD, "platform": ["android", "symbian"]})) == (400, 1003)
    assert error(push(url, {**GOOD, "audience": {"tag": ["t"] * 21}})) == (400, 1003)
    too_long = {**GOOD, "notification": {"alert": "长" * 1400}}
    assert error(push(url, too_long)) == (400, 1005)
    assert error(push(url, {**GOOD, "audience": {"tag": ["nobody"]}})) == (400, 1011)
    assert error(push(url, {**GOOD, "cid": "made-up"})) == (400, 1003)
    assert error(push(url, {**GOOD, "options": {"override_msg_id": 1}})) == (400, 1003)
    body = requests.post(url + "/v3/push", data=b"{not json", headers=auth(), timeout=10)
    assert error(body) == (400, 1003)
    assert sandbox.pushes_of() == []


def test_cid_makes_a_repeated_push_return_the_first_result(jpush: tuple[JPushSandbox, str]) -> None:
    sandbox, url = jpush
    cids = requests.get(url + "/v3/push/cid", params={"count": 2}, headers=auth(), timeout=10)
    first_cid, second_cid = cids.json()["cidlist"]
    assert first_cid.startswith(KEY + "-")
    assert error(requests.get(url + "/v3/push/cid", params={"count": 11}, headers=auth(),
                              timeout=10)) == (400, 1003)  # fmt: skip
    one = push(url, {**GOOD, "cid": first_cid, "options": {"sendno": 7}})
    again = push(url, {**GOOD, "cid": first_cid, "options": {"sendno": 7}})
    assert one.status_code == 200 and one.json() == again.json()
    assert one.json()["sendno"] == "7"
    other = push(url, {**GOOD, "cid": second_cid})
    assert other.json()["msg_id"] != one.json()["msg_id"]
    assert len(sandbox.pushes_of(KEY)) == 2
    # an earlier push can be replaced by id; validate checks without sending
    replace = {**GOOD, "options": {"override_msg_id": int(one.json()["msg_id"])}}
    assert push(url, replace, path="/v3/push/validate").json() == {"sendno": "0", "msg_id": "0"}
    assert len(sandbox.pushes_of(KEY)) == 2


def test_rate_limit_headers_and_429(jpush: tuple[JPushSandbox, str]) -> None:
    sandbox, url = jpush
    sandbox.apps[KEY].quota_per_minute = 5
    answers = [push(url, GOOD) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["X-Rate-Limit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert answers[0].headers["X-Rate-Limit-Quota"] == "5"
    assert error(answers[5]) == (429, 2002)
    assert 0 < int(answers[5].headers["X-Rate-Limit-Reset"]) <= 61


def test_the_standalone_sandbox_refuses_a_bad_apps_file(tmp_path: Path) -> None:
    broken = tmp_path / "apps.json"
    broken.write_text('[{"app_key": "x"}]', encoding="utf-8")
    for apps in (broken, tmp_path / "missing.json"):
        done = subprocess.run(
            [sys.executable, "-m", "sandboxes", "--port", "0", "--apps", str(apps)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2 and "--apps" in done.stderr and "Traceback" not in done.stderr
