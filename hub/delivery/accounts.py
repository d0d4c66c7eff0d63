"""The configured channel accounts (channels.yaml) as the adapters need them: API clients
with their credentials, or the reason an account cannot publish.

Credentials are secrets (hub/setup/secrets.py), never configuration: the JPush master secret
`jpush/<account>`, the WeChat AppSecret `wechat/<account>`, the Weibo App Secret
`weibo/<account>`, and the token of a WeChat account's callback URL
`wechat-callback/<account>` and its EncodingAESKey `wechat-aes/<account>`. For an account that talks to a local sandbox they are generated on first
use (and the sandbox is seeded with them by `hub serve`); for the real platforms they must be
given (HUB_SECRET_… or the secrets file). Access tokens are not secrets of the configuration
but shared state: WeChat's are fetched by the hub, Weibo's come from the account holder's
authorisation (`hub channels authorize`); both live in the token store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from channels.app.adapter import AppAccount
from channels.app.jpush import JPushClient
from channels.contract import DeliveryItem
from channels.tokens import Tokens
from channels.wechat.api import WeChatApi
from channels.wechat.callback import CallbackKeys
from channels.weibo.api import DEFAULT_REDIRECT, WeiboApi
from hub.setup.config import HubConfig
from hub.setup.directory import Account
from hub.setup.secrets import SecretStore, env_name
from workflows.publication import Channel


def is_local(url: str) -> bool:
    """Whether `url` is a sandbox on this machine (its credentials may be generated)."""
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def _secret(secrets: SecretStore, name: str, url: str) -> str | None:
    return secrets.get(name, generate=is_local(url))


def _missing(what: str, name: str) -> str:
    return f"未配置{what}（环境变量 {env_name(name)} 或密钥文件）"


Api = TypeVar("Api")


@dataclass
class Clients(Generic[Api]):
    """One channel's accounts: a client per account that can publish, a reason per one that
    cannot."""

    apis: dict[str, Api] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def accounts_of(config: HubConfig, channel: Channel) -> list[Account]:
    return [a for a in config.directory.accounts if a.channel is channel]


def app_accounts(config: HubConfig, secrets: SecretStore) -> dict[str, AppAccount]:
    """The app accounts with their JPush clients. An account pushes when it has an `app_key`."""
    accounts = {}
    for account in accounts_of(config, Channel.APP):
        app_key = account.settings.get("app_key")
        url = account.settings.get("jpush_url", config.settings.jpush_url)
        client, problem = None, ""
        if app_key:
            name = f"jpush/{account.id}"
            secret = _secret(secrets, name, url)
            timeout = config.settings.channel_timeout_s
            client = JPushClient(url, app_key, secret, timeout) if secret else None
            problem = "" if secret else _missing(" JPush master secret", name)
        audience: object = "all"
        if account.settings.get("tags"):
            audience = {"tag": account.settings["tags"].split(",")}
        accounts[account.id] = AppAccount(account.id, account.name, client, audience, problem)
    return accounts


def wechat_accounts(config: HubConfig, secrets: SecretStore, tokens: Tokens) -> Clients[WeChatApi]:
    """WeChat official accounts: `appid` in the settings, the AppSecret as a secret."""
    found: Clients[WeChatApi] = Clients()
    for account in accounts_of(config, Channel.WECHAT):
        appid = account.settings.get("appid", "")
        url = account.settings.get("wechat_url", config.settings.wechat_url)
        name = f"wechat/{account.id}"
        secret = _secret(secrets, name, url) if appid else None
        if not appid:
            found.problems[account.id] = "未配置公众号 AppID（channels.yaml settings.appid）"
        elif secret is None:
            found.problems[account.id] = _missing("公众号 AppSecret", name)
        else:
            found.apis[account.id] = WeChatApi(url, appid, secret, tokens,
                                               config.settings.channel_timeout_s)  # fmt: skip
    return found


def wechat_callback(
    config: HubConfig, secrets: SecretStore, account_id: str
) -> CallbackKeys | None:
    """An official account's server configuration (服务器配置): the Token, secret
    `wechat-callback/<account>`, and the EncodingAESKey of safe mode, `wechat-aes/<account>`
    (both generated for a sandbox account); None: the account has no callback."""
    account = next((a for a in accounts_of(config, Channel.WECHAT) if a.id == account_id), None)
    if account is None:
        return None
    url = account.settings.get("wechat_url", config.settings.wechat_url)
    token = _secret(secrets, f"wechat-callback/{account.id}", url)
    if token is None:
        return None
    aes = secrets.get(f"wechat-aes/{account.id}", generate=is_local(url), size=32) or ""
    return CallbackKeys(token, aes, account.settings.get("appid", ""))


def weibo_accounts(config: HubConfig, secrets: SecretStore, tokens: Tokens) -> Clients[WeiboApi]:
    """Weibo accounts: the platform app's `app_key` and the account's `uid` in the settings,
    the App Secret as a secret, the token from the account holder's authorisation."""
    found: Clients[WeiboApi] = Clients()
    for account in accounts_of(config, Channel.WEIBO):
        app_key = account.settings.get("app_key", "")
        url = account.settings.get("weibo_url", config.settings.weibo_url)
        name = f"weibo/{account.id}"
        if not app_key:
            found.problems[account.id] = "未配置微博应用 App Key（channels.yaml settings.app_key）"
            continue
        local = is_local(url)
        status_url = (f"{url.rstrip('/')}/_sandbox/weibo/status/{{id}}" if local
                      else account.settings.get("status_url", "https://m.weibo.cn/status/{id}"))  # fmt: skip
        found.apis[account.id] = WeiboApi(
            url, account.id, app_key, _secret(secrets, name, url), tokens,
            rip=account.settings.get("rip", "127.0.0.1"), status_url=status_url,
            timeout=config.settings.channel_timeout_s,
            redirect_uri=account.settings.get("redirect_uri", DEFAULT_REDIRECT),
        )  # fmt: skip
    return found


def safe_domain(config: HubConfig, account: Account) -> str:
    """The domain a Weibo account's links point at: its setting, else its site's domain."""
    return account.settings.get("safe_domain") or config.directory.site(account.site).domain


def article_link(config: HubConfig) -> Callable[[DeliveryItem], str]:
    """The public address of an article on the site it was written for (what WeChat's
    阅读原文 and a Weibo post link to)."""
    directory = config.directory

    def link(item: DeliveryItem) -> str:
        if not item.article_site:
            return ""
        site = directory.site(item.article_site)
        return f"https://{site.domain}/{item.article_column}/{item.article_id}.html"

    return link
