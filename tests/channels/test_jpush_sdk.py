"""JPush's own Python SDK (`jpush`, the vendor's client) pointed at the JPush sandbox, as
research/channel-protocols.md 8 did: the sandbox speaks the real protocol, not just our
client's dialect — Basic auth, the push payload, cid idempotency, validate, errors."""

from __future__ import annotations

import jpush as jpush_sdk
import pytest
from jpush import common

from sandboxes.jpush import JPushSandbox
from tests.channels.conftest import KEY, SECRET


@pytest.fixture
def sdk(jpush: tuple[JPushSandbox, str], monkeypatch: pytest.MonkeyPatch) -> jpush_sdk.JPush:
    _, url = jpush
    zone = {**common.ZONES["DEFAULT"], "PUSH": url + "/v3/"}
    monkeypatch.setitem(common.ZONES, "DEFAULT", zone)  # what the SDK offers for other zones
    return jpush_sdk.JPush(KEY, SECRET)


def notification(client: jpush_sdk.JPush, alert: str) -> object:
    push = client.create_push()
    push.audience = jpush_sdk.all_
    push.platform = jpush_sdk.all_
    push.notification = jpush_sdk.notification(alert=alert)
    return push


def test_the_sdk_pushes_through_the_sandbox(sdk: object, jpush: tuple[JPushSandbox, str]) -> None:
    sandbox, _ = jpush
    push = notification(sdk, "关于开展自查工作的通知")
    answer = push.send()  # type: ignore[attr-defined]
    assert answer.status_code == 200 and answer.payload["msg_id"]
    (sent,) = sandbox.pushes_of(KEY)
    assert sent.payload["notification"]["alert"] == "关于开展自查工作的通知"
    assert push.send_validate().status_code == 200  # type: ignore[attr-defined]
    assert len(sandbox.pushes_of(KEY)) == 1  # validate sends nothing


def test_the_same_cid_is_answered_with_the_first_result(
    sdk: object, jpush: tuple[JPushSandbox, str]
) -> None:
    sandbox, _ = jpush
    push = notification(sdk, "通知")
    (cid,) = push.get_cid(1, "push").payload["cidlist"]  # type: ignore[attr-defined]
    push.cid = cid  # type: ignore[attr-defined]
    first = push.send().payload["msg_id"]  # type: ignore[attr-defined]
    again = push.send().payload["msg_id"]  # type: ignore[attr-defined]
    assert first == again and len(sandbox.pushes_of(KEY)) == 1


def test_the_sdk_reads_the_sandboxes_errors(jpush: tuple[JPushSandbox, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _, url = jpush
    monkeypatch.setitem(common.ZONES, "DEFAULT", {**common.ZONES["DEFAULT"], "PUSH": url + "/v3/"})
    with pytest.raises(common.Unauthorized):
        notification(jpush_sdk.JPush(KEY, "wrong-secret"), "通知").send()  # type: ignore[attr-defined]
    bad = notification(jpush_sdk.JPush(KEY, SECRET), "通知")
    bad.platform = ["symbian"]  # type: ignore[attr-defined]  # the SDK lets it through
    with pytest.raises(common.JPushFailure) as failure:
        bad.send()  # type: ignore[attr-defined]
    assert failure.value.error_code == 1003 and failure.value.details == "Invalid platform"
