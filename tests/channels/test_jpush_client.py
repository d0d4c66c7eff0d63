"""The hub's JPush client against the sandbox, over real HTTP: cids come ten to a call and
are never handed out twice or stale."""

from __future__ import annotations

import pytest

import channels.app.jpush as jpush_module
from channels.app.jpush import CID_BATCH, JPushClient
from sandboxes.jpush import JPushSandbox
from tests.channels.conftest import KEY, SECRET


@pytest.fixture
def sandbox(jpush: tuple[JPushSandbox, str]) -> tuple[JPushSandbox, JPushClient]:
    return jpush[0], JPushClient(jpush[1], KEY, SECRET)


def test_cids_are_fetched_ten_at_a_time_and_used_once(
    sandbox: tuple[JPushSandbox, JPushClient],
) -> None:
    jpush, client = sandbox
    cids = [client.new_cid() for _ in range(25)]
    assert len(set(cids)) == 25
    assert len(jpush.cids) == 3 * CID_BATCH  # three calls, not twenty-five
    assert all(cid in jpush.cids for cid in cids)
    first = client.push({"platform": "all", "audience": "all",
                         "notification": {"alert": "一"}, "cid": cids[-1]})  # fmt: skip
    again = client.push({"platform": "all", "audience": "all",
                         "notification": {"alert": "一"}, "cid": cids[-1]})  # fmt: skip
    assert first == again and len(jpush.pushes) == 1


def test_stale_pooled_cids_are_dropped(
    sandbox: tuple[JPushSandbox, JPushClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    jpush, client = sandbox
    client.new_cid()
    assert len(jpush.cids) == CID_BATCH
    monkeypatch.setattr(jpush_module, "CID_FRESH_S", -1.0)  # every pooled cid is now too old
    client.new_cid()
    assert len(jpush.cids) == 2 * CID_BATCH


def test_the_quota_each_answer_states_is_kept_for_the_operators(
    sandbox: tuple[JPushSandbox, JPushClient],
) -> None:
    jpush, client = sandbox
    assert client.quota == {} and not jpush.pushes  # nothing called yet: nothing known
    client.new_cid()
    first = dict(client.quota)
    assert first["limit"] == 600 and first["remaining"] == 599 and first["reset"] > 0
    client.push({"platform": "all", "audience": "all", "notification": {"alert": "二"},
                 "cid": client.new_cid()})  # fmt: skip
    assert client.quota["remaining"] == 598  # the cid came from the pool: one more call
