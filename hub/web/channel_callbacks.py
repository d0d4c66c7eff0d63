"""Where channel platforms push to the hub: WeChat's server URL of each official account
(`/channels/wechat/<account>/callback`, the URL and token saved in the account's 服务器配置).

GET is the platform's URL check (echo `echostr`); POST carries messages, of which the hub acts
on the finish events of a publish task or a mass send: the delivery that started it is made
due at once (it then asks WeChat for the final state), instead of waiting for its next poll.
The callback token is the secret `wechat-callback/<account>`; an account without one has no
callback URL (404). Safe mode (`encrypt_type=aes`) needs the account's EncodingAESKey, the
secret `wechat-aes/<account>`; plaintext messages signed with the token are taken too (as in
the platform's compatible mode).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from channels.wechat.callback import (
    MAX_BODY_BYTES,
    CallbackKeys,
    CallbackRefused,
    check_signature,
    decrypt,
    parse_finish,
)
from events.log import get_logger
from hub.delivery.operations import DeliveryService
from workflows.publication import Channel, Target

log = get_logger(__name__)


def router(
    deliveries: DeliveryService,
    callback: Callable[[str], CallbackKeys | None],
    after_report: Callable[[], object] = lambda: None,
) -> APIRouter:
    """`callback(account)`: the account's callback keys, None when it has no callback."""
    routes = APIRouter(include_in_schema=False)

    def verified(request: Request, account: str) -> CallbackKeys | Response:
        """The account's keys when WeChat signed the request, else the refusal to answer."""
        keys = callback(account)
        if keys is None:
            return PlainTextResponse("未配置回调", status_code=404)
        query = request.query_params
        try:
            check_signature(keys.token, query.get("signature", ""), query.get("timestamp", ""),
                            query.get("nonce", ""))  # fmt: skip
        except CallbackRefused as exc:
            log.warning("wechat.callback_refused", account=account, reason=str(exc))
            return PlainTextResponse("签名校验失败", status_code=403)
        return keys

    @routes.get("/channels/wechat/{account}/callback")
    def check_url(account: str, request: Request) -> Response:
        keys = verified(request, account)
        if isinstance(keys, Response):
            return keys
        return PlainTextResponse(request.query_params.get("echostr", "")[:128])

    @routes.post("/channels/wechat/{account}/callback")
    async def message(account: str, request: Request) -> Response:
        keys = verified(request, account)
        if isinstance(keys, Response):
            return keys
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return PlainTextResponse("消息体过大", status_code=413)
        query = request.query_params
        try:
            if query.get("encrypt_type", "raw") == "aes":
                if not keys.aes_key:
                    raise CallbackRefused("安全模式消息，但未配置 EncodingAESKey")
                body = decrypt(body, keys.token, keys.aes_key, keys.appid,
                               query.get("msg_signature", ""), query.get("timestamp", ""),
                               query.get("nonce", ""))  # fmt: skip
            finished = parse_finish(body)
        except CallbackRefused as exc:
            log.warning("wechat.callback_unreadable", account=account, reason=str(exc))
            return PlainTextResponse("无法解析的消息", status_code=400)
        if finished is None:
            return PlainTextResponse("success")  # not about publishing: acknowledged
        target = Target(channel=Channel.WECHAT, account=account)
        told = await run_in_threadpool(deliveries.report, target, finished.step, finished.key,
                                       f"wechat:{finished.event}", finished.url)  # fmt: skip
        log.info("wechat.callback_finish", account=account, wechat_event=finished.event,
                 task=finished.key, status=finished.status, deliveries=told)  # fmt: skip
        if told:
            await run_in_threadpool(after_report)
        return PlainTextResponse("success")

    return routes
