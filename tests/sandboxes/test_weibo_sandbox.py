"""The Weibo sandbox speaks the open API as research/channel-protocols.md §2 records it,
driven with plain `requests` (there is no maintained Weibo SDK to use as an independent
client, research 2.6): the OAuth code grant, `statuses/share` with its checks, the error
format, the hourly post limit, duplicate refusals, token expiry, delete and the timeline."""

from __future__ import annotations

import io
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image

from hub.runtime.server import BackgroundServer
from sandboxes.weibo import Fault, WeiboSandbox, text_units, weibo_date

APP_KEY, APP_SECRET, UID = "2847561930", "s3cret-app", "5830417296"
REDIRECT = "https://api.weibo.com/oauth2/default.html"
LINK = "https://www.sf.gov.cn/notices/a1.html"


class Clock:
    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now


class Api:
    def __init__(self, url: str, sandbox: WeiboSandbox, clock: Clock) -> None:
        self.url, self.sandbox, self.clock = url, sandbox, clock

    def post(self, path: str, **data: object) -> requests.Response:
        return requests.post(self.url + path, data=data, timeout=10)

    def authorize(self) -> requests.Response:
        return requests.get(self.url + "/oauth2/authorize", params={
            "client_id": APP_KEY, "redirect_uri": REDIRECT, "response_type": "code"},
            allow_redirects=False, timeout=10)  # fmt: skip

    def token(self) -> str:
        code = parse_qs(urlsplit(self.authorize().headers["location"]).query)["code"][0]
        answer = self.post("/oauth2/access_token", client_id=APP_KEY, client_secret=APP_SECRET,
                           grant_type="authorization_code", code=code, redirect_uri=REDIRECT)  # fmt: skip
        return str(answer.json()["access_token"])

    def share(self, token: str, status: str, **extra: object) -> requests.Response:
        return self.post("/2/statuses/share.json", access_token=token, status=status,
                         rip="10.1.2.3", **extra)  # fmt: skip


@pytest.fixture
def api() -> Iterator[Api]:
    clock = Clock()
    sandbox = WeiboSandbox(clock=clock)
    sandbox.add_app(APP_KEY, APP_SECRET, ["sf.gov.cn"])
    sandbox.add_user(UID, "示范省人民政府")
    server = BackgroundServer(sandbox.app()).start()
    sandbox.base_url = server.url
    yield Api(server.url, sandbox, clock)
    server.stop()


def test_the_authorization_code_grant(api: Api) -> None:
    consent = api.authorize()
    assert consent.status_code == 302 and consent.headers["location"].startswith(
        REDIRECT + "?code="
    )
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    form = {"client_id": APP_KEY, "client_secret": APP_SECRET,
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}  # fmt: skip
    wrong = api.post("/oauth2/access_token", **{**form, "client_secret": "nope"})
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_client", "error_code": 21324,
                            "error_description": "invalid_client"}  # fmt: skip
    answer = api.post("/oauth2/access_token", **form).json()
    assert (
        set(answer) >= {"access_token", "expires_in", "remind_in", "uid"} and answer["uid"] == UID
    )
    again = api.post("/oauth2/access_token", **form)  # a code is used once
    assert again.json()["error_code"] == 21325
    info = api.post("/oauth2/get_token_info", access_token=answer["access_token"]).json()
    assert info["uid"] == int(UID) and info["appkey"] == APP_KEY and info["expire_in"] > 0
    assert api.post("/oauth2/get_token_info", access_token="2.00bad").json()["error_code"] == 21332


def test_share_answers_with_the_status_object_and_shortens_links(api: Api) -> None:
    token = api.token()
    answer = api.share(token, f"【关于开展自查工作的通知】各有关单位 {LINK}")
    assert answer.status_code == 200
    status = answer.json()
    assert status["idstr"] == str(status["id"]) == status["mid"]
    assert status["created_at"] == weibo_date(api.clock.now)
    assert status["created_at"].endswith("+0800 2026") and status["user"]["idstr"] == UID
    assert LINK not in status["text"] and "http://t.cn/" in status["text"]
    timeline = requests.get(api.url + "/2/statuses/user_timeline.json",
                            params={"access_token": token}, timeout=10).json()  # fmt: skip
    assert [s["idstr"] for s in timeline["statuses"]] == [status["idstr"]]


@pytest.mark.parametrize(
    ("status", "extra", "code"),
    [
        ("没有链接的微博", {}, 10017),  # appkey not bind domain!
        ("【通知】 https://evil.example.com/a.html", {}, 10017),
        (f"#话题# 通知 {LINK}", {}, 10017),
        ("长" * 125 + " " + LINK, {}, 20012),  # 125 + 19 (the link: two letters a unit) > 140
        ("", {}, 20008),
    ],
)
def test_share_refuses_what_the_platform_refuses(
    api: Api, status: str, extra: dict[str, object], code: int
) -> None:
    answer = api.share(api.token(), status, **extra)
    assert answer.status_code == 400
    body = answer.json()
    assert body["request"] == "/2/statuses/share.json" and body["error_code"] == code
    assert api.sandbox.posted() == []


def test_share_needs_rip_and_a_token_and_post(api: Api) -> None:
    token = api.token()
    no_rip = api.post("/2/statuses/share.json", access_token=token, status=f"通知 {LINK}")
    assert no_rip.json()["error_code"] == 10016 and "rip" in no_rip.json()["error"]
    assert api.share("", f"通知 {LINK}").json()["error_code"] == 10016
    assert api.share("2.00unknown", f"通知 {LINK}").json()["error_code"] == 21332
    got = requests.get(api.url + "/2/statuses/share.json", timeout=10)
    assert got.status_code == 405 and got.json()["error_code"] == 10021


def test_the_140_count(api: Api) -> None:
    assert text_units("政务") == 2 and text_units("ab") == 1 and text_units("abc") == 2
    fits = "长" * 100 + " " + LINK  # 100 + ceil(38 / 2) = 119
    assert api.share(api.token(), fits).status_code == 200


def test_a_picture_goes_as_multipart(api: Api) -> None:
    token = api.token()
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(png, "PNG")
    answer = requests.post(api.url + "/2/statuses/share.json",
                           data={"access_token": token, "status": f"图 {LINK}", "rip": "1.2.3.4"},
                           files={"pic": ("a.png", png.getvalue(), "image/png")}, timeout=10)  # fmt: skip
    assert answer.status_code == 200 and answer.json()["original_pic"].startswith(api.url)
    assert requests.get(answer.json()["original_pic"], timeout=10).content == png.getvalue()
    text = requests.post(api.url + "/2/statuses/share.json",
                         data={"access_token": token, "status": f"文 {LINK}", "rip": "1.2.3.4"},
                         files={"pic": ("a.txt", b"not an image", "text/plain")}, timeout=10)  # fmt: skip
    assert text.json()["error_code"] == 20005
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, "BMP")  # an image, but not one Weibo takes
    refused = requests.post(api.url + "/2/statuses/share.json",
                            data={"access_token": token, "status": f"位图 {LINK}", "rip": "1.2.3.4"},
                            files={"pic": ("a.bmp", bmp.getvalue(), "image/bmp")}, timeout=10)  # fmt: skip
    assert refused.json()["error_code"] == 20005


def test_the_same_text_twice_is_refused(api: Api) -> None:
    token = api.token()
    assert api.share(token, f"通知 {LINK}").status_code == 200
    again = api.share(token, f"通知 {LINK}")
    assert again.status_code == 400 and again.json()["error_code"] == 20019
    assert len(api.sandbox.posted()) == 1


def test_thirty_posts_an_hour(api: Api) -> None:
    token = api.token()
    api.clock.now = 1_795_000_000.0 - 1_795_000_000.0 % 3600 + 10  # early in an hour
    for n in range(30):
        assert api.share(token, f"第{n}条 {LINK}").status_code == 200
    limited = api.share(token, f"第31条 {LINK}")
    assert limited.status_code == 403 and limited.json()["error_code"] == 10024
    api.clock.now += 3600
    assert api.share(token, f"第31条 {LINK}").status_code == 200


def test_an_expired_token_is_21327_until_authorised_again(api: Api) -> None:
    token = api.token()
    api.sandbox.expire_tokens(UID)
    expired = api.share(token, f"通知 {LINK}")
    assert expired.json()["error_code"] == 21327
    assert api.share(api.token(), f"通知 {LINK}").status_code == 200


def test_destroy_only_ones_own_and_the_timeline_forgets_it(api: Api) -> None:
    token = api.token()
    status = api.share(token, f"通知 {LINK}").json()
    api.sandbox.add_user("1000000002", "别人")
    other = api.sandbox.issue_token(APP_KEY, "1000000002").value
    assert api.post("/2/statuses/destroy.json", access_token=other,
                    id=status["idstr"]).json()["error_code"] == 20102  # fmt: skip
    gone = api.post("/2/statuses/destroy.json", access_token=token, id=status["idstr"])
    assert gone.status_code == 200 and gone.json()["idstr"] == status["idstr"]
    again = api.post("/2/statuses/destroy.json", access_token=token, id=status["idstr"])
    assert again.json()["error_code"] == 20101
    page = requests.get(f"{api.url}/_sandbox/weibo/status/{status['idstr']}", timeout=10)
    assert page.status_code == 410
    assert api.sandbox.posted() == []


def test_faults_busy_slow_and_late(api: Api) -> None:
    token = api.token()
    api.sandbox.inject(UID, Fault(error_code=10001))
    assert api.share(token, f"一 {LINK}").json()["error_code"] == 10001
    assert api.sandbox.posted() == []
    api.sandbox.inject(UID, Fault(slow=True))
    assert api.share(token, f"二 {LINK}").json()["error_code"] == 20032
    assert api.sandbox.posted() == []  # taken, not shown yet
    api.clock.now += 2
    assert [s.text.startswith("二") for s in api.sandbox.posted()] == [True]
    api.sandbox.inject(UID, Fault(delay=0.6))
    with pytest.raises(requests.Timeout):
        requests.post(api.url + "/2/statuses/share.json", timeout=0.3,
                      data={"access_token": token, "status": f"三 {LINK}", "rip": "1.2.3.4"})  # fmt: skip
    assert len(api.sandbox.posted()) == 2  # posted although the answer never came
