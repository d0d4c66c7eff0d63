"""The WeChat sandbox speaks the real protocol: wechatpy (the independent client, pointed at
the sandbox as research/channel-protocols.md 1.8 describes) runs the whole publishing flow
against it, and the platform's token, content and quota rules hold."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from PIL import Image
from wechatpy import WeChatClient
from wechatpy.exceptions import APILimitedException, WeChatClientException

from hub.runtime.server import BackgroundServer
from sandboxes.wechat import Fault, WeChatSandbox

APPID, SECRET = "wx0123456789abcdef", "0123456789abcdef0123456789abcdef"


def jpeg(size: tuple[int, int] = (64, 48), quality: int = 80) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(out, "JPEG", quality=quality)
    return out.getvalue()


class Platform:
    def __init__(self, sandbox: WeChatSandbox, url: str) -> None:
        self.sandbox, self.url = sandbox, url

    def client(self) -> WeChatClient:
        url = self.url

        class LocalWeChatClient(WeChatClient):
            API_BASE_URL = f"{url}/cgi-bin/"

            def fetch_access_token(self):  # type: ignore[no-untyped-def]
                return self._fetch_access_token(
                    url=f"{url}/cgi-bin/token",
                    params={"grant_type": "client_credential", "appid": self.appid,
                            "secret": self.secret},
                )  # fmt: skip

        return LocalWeChatClient(APPID, SECRET, auto_retry=False)


@pytest.fixture
def platform() -> Iterator[Platform]:
    sandbox = WeChatSandbox(publish_delay=0.2)
    sandbox.add_account(APPID, SECRET, daily_quota=50)
    server = BackgroundServer(sandbox.app()).start()
    sandbox.base_url = server.url
    yield Platform(sandbox, server.url)
    server.stop()


def article(thumb: str, content: str, title: str = "关于做好冬季安全生产工作的通知") -> dict:
    return {"title": title, "author": "省应急管理厅", "digest": "部署冬季安全生产",
            "content": content, "content_source_url": "https://www.sf.gov.cn/notices/1.html",
            "thumb_media_id": thumb, "need_open_comment": 0, "only_fans_can_comment": 0}  # fmt: skip


def test_wechatpy_publishes_through_the_sandbox_end_to_end(platform: Platform) -> None:
    client = platform.client()
    thumb = client.material.add("thumb", ("cover.jpg", jpeg(), "image/jpeg"))
    assert thumb["media_id"]
    image_url = client.media.upload_image(("p.jpg", jpeg((200, 100)), "image/jpeg"))
    assert image_url.startswith(platform.url)
    assert requests.get(image_url, timeout=10).content[:3] == b"\xff\xd8\xff"
    body = (f'<p>各有关单位：</p><p><img src="{image_url}"></p>'
            '<p><img src="https://example.com/x.jpg"></p><script>alert(1)</script>')  # fmt: skip
    draft = client.draft.add([article(thumb["media_id"], body)])["media_id"]
    kept = client.draft.get(draft)["news_item"][0]["content"]
    assert image_url in kept and "example.com" not in kept and "<script" not in kept
    submitted = client.freepublish.submit(draft)
    publish_id = submitted["publish_id"]
    assert client.freepublish.get(publish_id)["publish_status"] == 1  # 发布中
    time.sleep(0.3)
    done = client.freepublish.get(publish_id)
    assert done["publish_status"] == 0
    url = done["article_detail"]["item"][0]["article_url"]
    assert url and [p.publish_id for p in platform.sandbox.published(APPID)] == [publish_id]
    with pytest.raises(WeChatClientException) as gone:  # a published draft leaves the box
        client.draft.get(draft)
    assert gone.value.errcode == 40007
    client.freepublish.delete(done["article_id"], 0)
    assert client.freepublish.getarticle(done["article_id"])["news_item"][0]["is_deleted"]
    assert client.freepublish.get(publish_id)["publish_status"] == 5


def test_the_platforms_content_limits(platform: Platform) -> None:
    client = platform.client()
    thumb = client.material.add("thumb", ("cover.jpg", jpeg(), "image/jpeg"))["media_id"]
    cases = [
        (article(thumb, "<p>正文</p>", title="标" * 33), 45003),
        (article(thumb, "<p>" + "字" * 20_000 + "</p>"), 45002),
        (article("not-a-material", "<p>正文</p>"), 40007),
        ({**article(thumb, "<p>正文</p>"), "digest": "摘" * 129}, 45004),
    ]
    for payload, code in cases:
        with pytest.raises(WeChatClientException) as refused:
            client.draft.add([payload])
        assert refused.value.errcode == code
        assert " rid: " in refused.value.errmsg
    noise = Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    big_thumb = out.getvalue()
    assert len(big_thumb) > 64 * 1024
    with pytest.raises(WeChatClientException) as too_big:
        client.material.add("thumb", ("cover.jpg", big_thumb, "image/jpeg"))
    assert too_big.value.errcode == 40009
    with pytest.raises(WeChatClientException) as wrong:
        client.media.upload_image(("x.gif", b"GIF89a" + b"\x00" * 20, "image/gif"))
    assert wrong.value.errcode == 40005


def test_token_rules_classic_invalidates_stable_does_not(platform: Platform) -> None:
    first, second = platform.client(), platform.client()
    first.draft.count()  # fetches a classic token
    second.draft.count()  # fetches another: the first client's token is now invalid
    with pytest.raises(WeChatClientException) as stale:
        first.draft.count()
    assert stale.value.errcode == 40001

    def stable(force: bool = False) -> dict:
        return requests.post(f"{platform.url}/cgi-bin/stable_token", timeout=10, json={
            "grant_type": "client_credential", "appid": APPID, "secret": SECRET,
            "force_refresh": force}).json()  # fmt: skip

    a, b = stable(), stable()
    assert a["access_token"] == b["access_token"] and 0 < b["expires_in"] <= 7200
    assert second.draft.count()["total_count"] == 0  # stable tokens never touch the classic one
    forced = stable(force=True)
    assert forced["access_token"] != a["access_token"]
    old = requests.get(f"{platform.url}/cgi-bin/draft/count", timeout=10,
                       params={"access_token": a["access_token"]}).json()  # fmt: skip
    assert old["errcode"] == 40001
    assert stable(force=True)["errcode"] == 45011  # force_refresh at most every 30 s
    wrong = requests.post(f"{platform.url}/cgi-bin/stable_token", timeout=10, json={
        "grant_type": "client_credential", "appid": APPID, "secret": "wrong"}).json()  # fmt: skip
    assert wrong["errcode"] == 40125
    missing = requests.get(f"{platform.url}/cgi-bin/draft/count", timeout=10).json()
    assert missing["errcode"] == 41001


def test_an_expired_token_and_the_daily_quota(platform: Platform) -> None:
    # 10:00 in Beijing: two hours on is still the same day for the quota.
    now = [datetime(2026, 11, 23, 2, 0, tzinfo=UTC).timestamp()]
    platform.sandbox.clock = lambda: now[0]
    client = platform.client()
    client.draft.count()
    now[0] += 7201
    with pytest.raises(WeChatClientException) as expired:
        client.draft.count()
    assert expired.value.errcode == 42001
    client.fetch_access_token()
    for _ in range(49):  # one count is already spent today with this account
        client.draft.count()
    with pytest.raises(APILimitedException):  # wechatpy's class for 45009
        client.draft.count()
    now[0] += 86_400  # the next day (and a new token: the old one has expired)
    client.fetch_access_token()
    assert client.draft.count()["total_count"] == 0


def test_faults_and_failed_publishes(platform: Platform) -> None:
    client = platform.client()
    thumb = client.material.add("thumb", ("cover.jpg", jpeg(), "image/jpeg"))["media_id"]
    platform.sandbox.inject(APPID, Fault(errcode=-1, api="draft/add"))
    with pytest.raises(WeChatClientException) as busy:
        client.draft.add([article(thumb, "<p>正文</p>")])
    assert busy.value.errcode == -1
    draft = client.draft.add([article(thumb, "<p>正文</p>")])["media_id"]
    platform.sandbox.inject(APPID, Fault(publish_status=4))  # 平台审核不通过
    publish_id = client.freepublish.submit(draft)["publish_id"]
    time.sleep(0.3)
    status = client.freepublish.get(publish_id)
    assert status["publish_status"] == 4 and "article_detail" not in status
    assert platform.sandbox.published(APPID) == []


def test_wechatpy_mass_sends_a_draft_once_per_clientmsgid_and_once_a_day(
    platform: Platform,
) -> None:
    client = platform.client()
    thumb = client.material.add("thumb", ("cover.jpg", jpeg(), "image/jpeg"))["media_id"]
    draft = client.draft.add([article(thumb, "<p>正文</p>")])["media_id"]
    with pytest.raises(WeChatClientException) as long_id:
        client.message.send_mass_article(draft, is_to_all=True, client_msg_id="x" * 65)
    assert long_id.value.errcode == 45067
    sent = client.message.send_mass_article(draft, is_to_all=True, client_msg_id="d-1")
    msg_id = sent["msg_id"]
    assert sent["errcode"] == 0 and msg_id
    assert client.message.get_mass(msg_id)["msg_status"] == "SENDING"
    with pytest.raises(WeChatClientException) as too_fast:  # the same id again within 60 s
        client.message.send_mass_article(draft, is_to_all=True, client_msg_id="d-1")
    assert too_fast.value.errcode == 45066
    sandbox = platform.sandbox
    with sandbox._lock:  # a minute later
        first, tried_at, _ = sandbox.accounts[APPID].client_msg_ids["d-1"]
        sandbox.accounts[APPID].client_msg_ids["d-1"] = (first, tried_at, tried_at - 61)
    with pytest.raises(WeChatClientException) as exists:
        client.message.send_mass_article(draft, is_to_all=True, client_msg_id="d-1")
    assert exists.value.errcode == 45065 and exists.value.response.json()["msg_id"] == msg_id
    with pytest.raises(WeChatClientException) as gone:  # a mass-sent draft leaves the box
        client.draft.get(draft)
    assert gone.value.errcode == 40007
    time.sleep(0.3)
    assert client.message.get_mass(msg_id)["msg_status"] == "SEND_SUCCESS"
    (task,) = sandbox.published(APPID, mass=True)
    assert task.msg_id == str(msg_id) and sandbox.published(APPID, mass=False) == []
    page = requests.get(sandbox.article_url(task, 1), timeout=10)
    assert page.status_code == 200 and "关于做好冬季安全生产工作的通知" in page.text
    # One successful mass send a day for a subscription account.
    second = client.draft.add([article(thumb, "<p>另一篇</p>")])["media_id"]
    with pytest.raises(WeChatClientException) as quota:
        client.message.send_mass_article(second, is_to_all=True, client_msg_id="d-2")
    assert quota.value.errcode == 45028
    client.message.delete_mass(msg_id)
    assert client.message.get_mass(msg_id)["msg_status"] == "DELETE"
    assert requests.get(sandbox.article_url(task, 1), timeout=10).status_code == 410


def test_mass_send_bad_input(platform: Platform) -> None:
    client = platform.client()
    token = client.access_token
    url = f"{platform.url}/cgi-bin/message/mass/sendall?access_token={token}"

    def code(body: object) -> int:
        return int(requests.post(url, json=body, timeout=10).json()["errcode"])

    assert code({}) == 47001  # no msgtype
    assert code({"msgtype": "mpnews", "mpnews": {"media_id": "x"}}) == 47001  # no audience
    assert code({"msgtype": "text", "filter": {"is_to_all": True}}) == 47001
    assert code({"msgtype": "mpnews", "mpnews": {"media_id": "nope"},
                 "filter": {"is_to_all": True}}) == 40007  # fmt: skip
    assert requests.post(url, data=b"{", timeout=10).json()["errcode"] == 47001
    get = f"{platform.url}/cgi-bin/message/mass/get?access_token={token}"
    assert requests.post(get, json={"msg_id": 1}, timeout=10).json()["errcode"] == 40007
    assert requests.post(get, json={}, timeout=10).json()["errcode"] == 47001
