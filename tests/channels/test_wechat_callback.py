"""WeChat's pushes to an account's server: the sandbox checks the URL and signs and shapes its
finish events as the platform does (wechatpy, an independent implementation, verifies the
signature and parses the XML), and the hub's callback endpoint refuses what WeChat did not
sign or cannot have sent, and turns a finish event into a delivery that is due at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import requests
import xmltodict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import MassSendJobFinishEvent
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from channels.tokens import TokenStore
from channels.wechat.api import WeChatApi
from channels.wechat.callback import CallbackRefused, decrypt, parse_finish
from hub.runtime.server import BackgroundServer
from hub.web.app import create_app
from sandboxes.wechat import Fault, WeChatSandbox
from sandboxes.wechat_push import Server, signature, signed_url
from tests.channels.social_world import APPID, World, wait_for
from workflows.delivery_decider import DeliveryStatus, next_operation

TOKEN = "callback-token-1"


@dataclass
class Receiver:
    """A developer's server, checking what it gets with wechatpy."""

    answer: str = "success"
    status: int = 200
    messages: list[bytes] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    refused: int = 0

    def app(self) -> Starlette:
        async def endpoint(request: Request) -> Response:
            query = request.query_params
            try:
                check_signature(TOKEN, query.get("signature", ""), query.get("timestamp", ""),
                                query.get("nonce", ""))  # fmt: skip
            except InvalidSignatureException:
                self.refused += 1
                return PlainTextResponse("bad signature", status_code=403)
            if request.method == "GET":
                return PlainTextResponse(query.get("echostr", ""))
            self.messages.append(await request.body())
            self.queries.append(dict(query))
            return PlainTextResponse(self.answer, status_code=self.status)

        return Starlette(routes=[Route("/wx", endpoint, methods=["GET", "POST"])])


@pytest.fixture
def platform(tmp_path) -> Iterator[tuple[WeChatSandbox, WeChatApi, Receiver, str]]:  # type: ignore[no-untyped-def]
    sandbox = WeChatSandbox(publish_delay=0.1)
    sandbox.add_account(APPID, "s" * 32)
    receiver = Receiver()
    servers = [BackgroundServer(sandbox.app()).start(), BackgroundServer(receiver.app()).start()]
    sandbox.base_url = servers[0].url
    api = WeChatApi(servers[0].url, APPID, "s" * 32, TokenStore(tmp_path / "t.sqlite3"))
    yield sandbox, api, receiver, servers[1].url + "/wx"
    sandbox.close()
    for server in servers:
        server.stop()


def draft(api: WeChatApi, title: str = "关于开展自查工作的通知") -> str:
    from tests.channels.test_wechat_sandbox import jpeg

    thumb = api.add_thumb(jpeg())
    return api.add_draft([{"title": title, "content": "<p>正文</p>", "thumb_media_id": thumb}])


def test_the_sandbox_checks_the_url_then_pushes_signed_finish_events(platform) -> None:  # type: ignore[no-untyped-def]
    sandbox, api, receiver, url = platform
    assert sandbox.set_server(APPID, url, "wrong-token") == "token验证失败"
    assert sandbox.set_server(APPID, url + "-missing", TOKEN) == "token验证失败"
    assert sandbox.set_server(APPID, "http://127.0.0.1:9/wx", TOKEN).startswith("请求URL")
    assert sandbox.set_server(APPID, url, TOKEN) == ""
    publish_id = api.submit(draft(api))
    wait_for(lambda: len(sandbox.pushes) == 1)
    (push,) = sandbox.pushes
    assert push.delivered and push.tries == 1 and push.event == "PUBLISHJOBFINISH"
    xml = xmltodict.parse(receiver.messages[0])["xml"]  # as wechatpy's parser reads it
    assert (xml["MsgType"], xml["Event"]) == ("event", "PUBLISHJOBFINISH")
    assert xml["ToUserName"] == sandbox.accounts[APPID].original_id
    info = xml["PublishEventInfo"]
    assert (info["publish_id"], info["publish_status"]) == (publish_id, "0")
    assert info["article_detail"]["count"] == "1" and info["article_detail"]["item"]["idx"] == "1"
    finished = parse_finish(receiver.messages[0])
    assert finished is not None and (finished.step, finished.key) == ("publish", publish_id)
    assert finished.status == "0"
    assert (
        finished.url == api.publish_status(publish_id)["article_detail"]["item"][0]["article_url"]
    )
    # A failed publish is pushed too, without links.
    sandbox.inject(APPID, Fault(publish_status=4))
    failed_id = api.submit(draft(api, "第二篇"))
    wait_for(lambda: len(sandbox.pushes) == 2)
    failed = parse_finish(receiver.messages[1])
    assert failed is not None and (failed.key, failed.status, failed.url) == (failed_id, "4", "")
    # A mass send: MASSSENDJOBFINISH, which wechatpy knows, with the article's link.
    msg_id = api.mass_send(draft(api, "第三篇"), "delivery-1")
    wait_for(lambda: len(sandbox.pushes) == 3)
    mass = parse_message(receiver.messages[2].decode())
    assert isinstance(mass, MassSendJobFinishEvent)
    assert (str(mass.id), mass.status) == (msg_id, "send success")
    assert mass.sent_count == mass.total_count == sandbox.accounts[APPID].followers
    told = parse_finish(receiver.messages[2])
    assert told is not None and (told.step, told.key) == ("mass", msg_id)
    assert told.url == sandbox.article_url(sandbox.masses[msg_id], 1)
    assert receiver.refused == 1  # the check made with the wrong token; every push verified


def test_a_server_that_does_not_answer_success_is_tried_three_times(platform) -> None:  # type: ignore[no-untyped-def]
    sandbox, api, receiver, url = platform
    assert sandbox.set_server(APPID, url, TOKEN) == ""
    receiver.status = 500
    api.submit(draft(api))
    wait_for(lambda: len(sandbox.pushes) == 1)
    assert sandbox.pushes[0].tries == 3 and not sandbox.pushes[0].delivered
    assert len(receiver.messages) == 3


BAD_BODIES = [
    b"",
    b"not xml",
    b"<xml><MsgType>event</MsgType>",  # cut off
    # entity expansion (billion laughs) and an external entity: refused, never expanded
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
    b"<xml><MsgType>&b;</MsgType></xml>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b"<xml><MsgType>&e;</MsgType></xml>",
    b"<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event></xml>",  # no info
    b"<xml><MsgType>event</MsgType><Event>MASSSENDJOBFINISH</Event></xml>",  # no MsgID
    b"x" * 70_000,
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_the_parser_refuses_what_wechat_cannot_have_sent(body: bytes) -> None:
    with pytest.raises(CallbackRefused):
        parse_finish(body)


def test_other_messages_are_not_finish_events() -> None:
    assert parse_finish(b"<xml><MsgType>text</MsgType><Content>hi</Content></xml>") is None
    assert parse_finish(b"<xml><MsgType>event</MsgType><Event>subscribe</Event></xml>") is None
    assert parse_finish(b"<other><MsgType>event</MsgType></other>") is None


@pytest.fixture
def hub_url(world: World) -> Iterator[str]:
    server = BackgroundServer(create_app(world.hub)).start()
    yield server.url
    world.wechat.close()
    server.stop()


def test_the_hub_endpoint_answers_only_what_wechat_signed(world: World, hub_url: str) -> None:
    keys = world.hub.wechat_callback("sf-wechat")
    assert keys is not None
    token = keys.token
    url = f"{hub_url}/channels/wechat/sf-wechat/callback"
    signed = signed_url(Server(url, token), echostr="12345")
    assert requests.get(signed, timeout=10).text == "12345"
    forged = signed_url(Server(url, "not-the-token"), echostr="12345")
    assert requests.get(forged, timeout=10).status_code == 403
    assert requests.get(url, timeout=10).status_code == 403  # nothing signed
    assert requests.get(url + "?signature=x&timestamp=abc&nonce=1", timeout=10).status_code == 403
    old = int(time.time()) - 3600  # a replay of an old, genuinely signed request
    stale = f"{url}?signature={signature(token, str(old), '7')}&timestamp={old}&nonce=7"
    assert requests.get(stale, timeout=10).status_code == 403
    elsewhere = f"{hub_url}/channels/wechat/no-such-account/callback"
    assert requests.get(signed_url(Server(elsewhere, token)), timeout=10).status_code == 404
    weibo = f"{hub_url}/channels/wechat/sf-weibo/callback"  # not an official account
    assert requests.get(signed_url(Server(weibo, token)), timeout=10).status_code == 404
    for body in BAD_BODIES[1:-1]:
        answer = requests.post(signed_url(Server(url, token)), data=body, timeout=10)
        assert answer.status_code == 400, body
    huge = requests.post(signed_url(Server(url, token)), data=b"x" * 70_000, timeout=10)
    assert huge.status_code == 413
    unsigned = requests.post(url, data=b"<xml/>", timeout=10)
    assert unsigned.status_code == 403
    hello = b"<xml><MsgType>text</MsgType><Content>hi</Content></xml>"
    assert requests.post(signed_url(Server(url, token)), data=hello, timeout=10).text == "success"


def test_a_finish_push_makes_a_waiting_delivery_due_at_once(world: World, hub_url: str) -> None:
    keys = world.hub.wechat_callback("sf-wechat")
    assert keys is not None
    token = keys.token  # plaintext mode: no EncodingAESKey saved in the sandbox
    callback = f"{hub_url}/channels/wechat/sf-wechat/callback"
    assert world.wechat.set_server(APPID, callback, token) == ""
    world.wechat.publish_delay = 3600  # WeChat takes its time
    article = world.publish("wechat:sf-wechat")
    engine = world.engine("w1")
    engine.run_once()
    waiting = world.delivery(article)
    assert waiting.status is DeliveryStatus.RETRYING and "发布中" in waiting.last_error
    now = datetime.now(UTC)
    assert next_operation(waiting, now) is None  # would ask again in 5 s
    (task,) = world.wechat.publishes.values()
    with world.wechat._lock:
        task.ready_at = 0.0  # WeChat finishes; its push goes to the hub
    wait_for(lambda: len(world.wechat.pushes) == 1)
    assert world.wechat.pushes[0].delivered
    told = world.delivery(article)
    assert told.status is DeliveryStatus.RETRYING and told.attempts == waiting.attempts
    assert next_operation(told, now) is not None  # due at once, not at the next poll
    engine.run_once(now)
    done = world.delivery(article)
    assert done.status is DeliveryStatus.DELIVERED
    assert done.url == world.wechat.article_url(task, 1) and world.published("wechat") == 1
    kinds = [e.type for e in world.hub.store.read_stream(f"delivery-{done.delivery_id}")]
    assert "DeliveryReported" in kinds
    # The platform's own retries of the push change nothing more.
    (push,) = world.wechat.pushes
    again = requests.post(signed_url(Server(callback, token)), data=push.xml.encode(), timeout=10)
    assert again.text == "success"
    assert [e.type for e in world.hub.store.read_stream(f"delivery-{done.delivery_id}")] == kinds


AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 letters and digits, as WeChat's


def test_safe_mode_pushes_are_encrypted_as_wechatpy_decrypts_them(platform) -> None:  # type: ignore[no-untyped-def]
    sandbox, api, receiver, url = platform
    assert sandbox.set_server(APPID, url, TOKEN, AES_KEY) == ""
    publish_id = api.submit(draft(api))
    wait_for(lambda: len(sandbox.pushes) == 1)
    assert sandbox.pushes[0].delivered
    body = receiver.messages[0]
    assert b"PUBLISHJOBFINISH" not in body and b"<Encrypt>" in body
    query = receiver.queries[0]
    assert query["encrypt_type"] == "aes"
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    plain = crypto.decrypt_message(body.decode(), query["msg_signature"], query["timestamp"],
                                   query["nonce"])  # fmt: skip
    finished = parse_finish(plain.encode())
    assert finished is not None and (finished.step, finished.key) == ("publish", publish_id)
    # The hub's own decryption reads the same message.
    ours = decrypt(body, TOKEN, AES_KEY, APPID, query["msg_signature"], query["timestamp"],
                   query["nonce"])  # fmt: skip
    assert ours.decode() == plain


def test_the_hub_decrypts_safe_mode_pushes_and_refuses_forged_ones(
    world: World, hub_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_SECRET_WECHAT_AES_SF_WECHAT", AES_KEY)
    keys = world.hub.wechat_callback("sf-wechat")
    assert keys is not None and keys.aes_key == AES_KEY and keys.appid == APPID
    url = f"{hub_url}/channels/wechat/sf-wechat/callback"
    hello = "<xml><MsgType>text</MsgType><Content>你好</Content></xml>"

    def sealed(message: str, appid: str = APPID, key: str = AES_KEY) -> tuple[str, dict]:
        # wechatpy seals it, as WeChat does (its reply format carries the same Encrypt).
        timestamp, nonce = str(int(time.time())), "8371"
        xml = WeChatCrypto(keys.token, key, appid).encrypt_message(message, nonce, timestamp)
        parsed = xmltodict.parse(xml)["xml"]
        return xml, {"timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
                     "msg_signature": parsed["MsgSignature"]}  # fmt: skip

    def post(xml: str, query: dict) -> requests.Response:
        address = signed_url(Server(url, keys.token), query["timestamp"], query["nonce"],
                             **{k: v for k, v in query.items()
                                if k in ("encrypt_type", "msg_signature")})  # fmt: skip
        return requests.post(address, data=xml.encode(), timeout=10)

    ok = post(*sealed(hello))
    assert (ok.status_code, ok.text) == (200, "success")
    xml, query = sealed(hello)
    assert post(xml, {**query, "msg_signature": "0" * 40}).status_code == 400
    assert post(*sealed(hello, appid="wx0000000000000000")).status_code == 400  # not ours
    other_key = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
    assert post(*sealed(hello, key=other_key)).status_code == 400  # cannot be decrypted
    assert post("<xml><Encrypt>!!!</Encrypt></xml>", query).status_code == 400
    assert post("<xml/>", query).status_code == 400
    # A real finish event, sealed: the waiting delivery is told.
    world.wechat.publish_delay = 3600
    article = world.publish("wechat:sf-wechat")
    world.engine("w1").run_once()
    publish_id = dict(world.delivery(article).steps)["publish"]
    event = (f"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><MsgType><![CDATA[event]]>"
             f"</MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo>"
             f"<publish_id>{publish_id}</publish_id><publish_status>0</publish_status>"
             f"</PublishEventInfo></xml>")  # fmt: skip
    assert post(*sealed(event)).text == "success"
    kinds = [
        e.type
        for e in world.hub.store.read_stream(f"delivery-{world.delivery(article).delivery_id}")
    ]
    assert kinds[-1] == "DeliveryReported"
