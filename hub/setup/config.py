"""Loading and validating the configuration folder: settings, site group, users, workflows."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from events.error_codes import ErrorCode
from events.store import StoreError
from events.stores import is_postgresql, sqlite_path
from hub.setup.directory import Account, Column, Directory, Site, User
from hub.setup.party_mark import PartyMarkError, mark_image
from hub.setup.staffing import check_staffing
from workflows.article_commands import ALL_SITES
from workflows.checks.dictionaries import Dictionaries
from workflows.checks.matcher import CompiledDictionaries
from workflows.workflow_definition import WorkflowDefinition

M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """The configuration cannot be used; the message says which file and what."""

    code = ErrorCode.CONFIG_INVALID

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Settings(BaseModel):
    """Runtime settings (hub.yaml), with environment overrides (HUB_DATABASE, HUB_LOG_LEVEL,
    HUB_PORT, HUB_SANDBOX_PORT, HUB_JPUSH_URL, HUB_WECHAT_URL, HUB_WEIBO_URL, HUB_RUNTIME,
    HUB_KAFKA_SERVERS, HUB_REDIS_URL, HUB_SEARCH_URL)."""

    model_config = ConfigDict(extra="forbid")

    # sqlite:///var/hub.sqlite3 (or a path) embedded; postgresql://user@host:5432/hub
    database: str = "var/hub.sqlite3"
    durable: bool = True
    log_level: str = Field(default="warning", pattern="^(debug|info|warning|error)$")
    sites_root: str = "var/sites"  # each site's pages go to <sites_root>/<site key>/
    channels_root: str = "var/channels"  # the app feed and the screen playlists
    media_root: str = "var/media"  # images and attachments of articles, by content
    search_root: str = "var/search"  # the embedded search engine's index (a projection)
    # An OpenSearch node (http://host:9200) instead of the embedded index: what a province
    # runs for several web nodes; `search_index` names its index there.
    search_url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    search_index: str = Field(default="hub-search", pattern=r"^[a-z0-9][a-z0-9_-]{0,60}$")
    secrets_file: str = "var/secrets.json"  # generated secrets (mode 0600), never in config/
    logins_file: str = "var/logins.sqlite3"  # password hashes, sessions, API tokens
    # Every configured user gets a generated password (kept in the secrets file, printed by
    # `hub serve`) so the demo can be tried at once; set false in production and use
    # `hub passwd` (or a unified identity provider).
    demo_logins: bool = True
    secure_cookies: bool = False  # true when users reach the hub over HTTPS (a TLS proxy)
    host: str = "127.0.0.1"  # where `hub serve` listens
    port: int = Field(default=8800, ge=0, le=65535)
    sandbox_port: int = Field(default=8801, ge=0, le=65535)  # the channel sandboxes
    # The channels' APIs; unset, each follows the local sandboxes' port (`sandbox_port`).
    jpush_url: str = ""  # JPush v3 (https://api.jpush.cn in production)
    wechat_url: str = ""  # WeChat (https://api.weixin.qq.com in production)
    weibo_url: str = ""  # Weibo (https://api.weibo.com in production)
    # How long a worker holds a delivery it is sending; after a crash the delivery is checked
    # with the channel once this has passed.
    delivery_lease_s: float = Field(default=60.0, gt=0, le=3600)
    channel_timeout_s: float = Field(default=10.0, gt=0, le=300)  # one call to a channel's API
    # Threads calling channels at once. More is not faster in one process: the channel calls
    # and page writes share the interpreter lock (bench/fanout.py: 4 beat 16 on 2 cores).
    delivery_workers: int = Field(default=4, ge=1, le=64)
    # Supervision (管网): how often the freshness sweep turns countdowns into work orders, and
    # how many days before its threshold a countdown warns.
    supervision_interval_s: float = Field(default=300.0, ge=1, le=86400)
    # How often the head of the log is signed as a checkpoint (when it moved).
    seal_interval_s: float = Field(default=60.0, ge=1, le=86400)
    freshness_warning_days: int = Field(default=4, ge=0, le=60)
    # Probes: each site's homepage address with {domain}, {key}, {code} (https://{domain}/ in
    # production; unset, `hub serve` probes the sites it serves itself), and how often.
    probe_url: str = ""
    probe_interval_s: float = Field(default=300.0, ge=5, le=86400)
    # The crawler: an incremental pass this often (a full one weekly), at most this many
    # pages of one site in a full pass.
    crawl_interval_s: float = Field(default=3600.0, ge=5, le=7 * 86400)
    crawl_max_pages: int = Field(default=5000, ge=1, le=1_000_000)
    # The Chromium the rendered checks use (empty: Debian's `chromium`, else playwright's).
    render_chromium: str = ""
    # embedded: one process does everything (the default). distributed: web nodes (`hub
    # serve`), the relay (`hub relay`) and workers (`hub worker`) as separate processes on
    # several machines, sharing PostgreSQL, Kafka and Redis (README, "Distributed runtime").
    runtime: Literal["embedded", "distributed"] = "embedded"
    kafka_servers: str = ""  # bootstrap servers, host:port[,host:port...]
    kafka_prefix: str = Field(default="hub", pattern=r"^[a-z][a-z0-9_-]{0,30}$")  # topics, groups
    event_partitions: int = Field(default=12, ge=1, le=1024)  # <prefix>.events, by stream
    delivery_partitions: int = Field(default=12, ge=1, le=1024)  # <prefix>.deliveries, by account
    redis_url: str = ""  # redis://host:6379/0
    # A worker that stops answering loses its partitions after this long. Brokers refuse less
    # than their group.min.session.timeout.ms (6 s by default; lower it for faster failover).
    kafka_session_timeout_s: float = Field(default=6.0, ge=1.0, le=300.0)

    @model_validator(mode="after")
    def _distributed_needs_its_servers(self) -> Settings:
        if self.runtime == "distributed":
            missing = [
                name
                for name, ok in (
                    ("database (postgresql://…)", is_postgresql(self.database)),
                    ("kafka_servers", bool(self.kafka_servers)),
                    ("redis_url", self.redis_url.startswith(("redis://", "rediss://"))),
                )
                if not ok
            ]
            if missing:
                raise ValueError("runtime: distributed 需要配置 " + "、".join(missing))
        return self

    @model_validator(mode="after")
    def _channels_follow_the_sandboxes(self) -> Settings:
        sandboxes = f"http://127.0.0.1:{self.sandbox_port}"
        for name in ("jpush_url", "wechat_url", "weibo_url"):
            if not getattr(self, name):
                setattr(self, name, sandboxes)
        return self

    @field_validator("database")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not is_postgresql(value):
            try:
                sqlite_path(value)
            except StoreError as exc:
                raise ValueError(exc.message) from None
        return value


class AssignmentRule(BaseModel):
    """Which workflow applies to a site, or to a column (and its sub-columns) of a site."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str
    column: str | None = None
    workflow: str


class Assignments(BaseModel):
    """The default workflow and the rules that override it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str
    rules: tuple[AssignmentRule, ...] = ()


class _WorkflowsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workflows: list[WorkflowDefinition] = Field(min_length=1)
    assignments: Assignments


class _SitesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sites: list[Site] = Field(min_length=1)


class _ChannelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accounts: list[Account] = Field(default_factory=list)


class _UsersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    users: list[User] = Field(min_length=1)


@dataclass(frozen=True)
class HubConfig:
    """Everything loaded from one configuration folder."""

    root: Path
    settings: Settings
    directory: Directory
    workflows: dict[str, WorkflowDefinition]
    assignments: Assignments
    dictionaries: Dictionaries = field(default_factory=Dictionaries)

    @cached_property
    def checks(self) -> CompiledDictionaries:
        """The check dictionaries compiled for matching (built once, on first use)."""
        return CompiledDictionaries(self.dictionaries)

    @property
    def database(self) -> str:
        """Where the event store lives: a postgresql:// URL, or the SQLite file's path
        (`sqlite:///relative` or a bare path, relative to the project root)."""
        location = self.settings.database
        if is_postgresql(location):
            return location
        return str(sqlite_path(location, self.root.parent))

    @property
    def database_shown(self) -> str:
        """`database` without its password, for screens and logs."""
        parts = urlsplit(self.database)
        if parts.password is None:
            return self.database
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))

    def path(self, setting: str) -> Path:
        """A path setting, relative paths taken from the project root."""
        path = Path(getattr(self.settings, setting))
        return path if path.is_absolute() else self.root.parent / path

    @property
    def sites_root(self) -> Path:
        """Where the website channel writes each site's pages (one folder per site key)."""
        return self.path("sites_root")

    @property
    def media_root(self) -> Path:
        """Where images and attachments of articles are kept (see hub/content/media.py)."""
        return self.path("media_root")

    @property
    def channels_root(self) -> Path:
        """Where the hub-served channels (app feed, screen playlists) keep their data."""
        return self.path("channels_root")

    def workflow_for(self, site: Site, column: Column) -> WorkflowDefinition:
        """The workflow of the most specific matching rule, else the default."""
        path = site.column_path(column.id)
        best: tuple[int, str] | None = None
        for rule in self.assignments.rules:
            if rule.site not in (site.key, site.code):
                continue
            if rule.column is None:
                rank = 0
            elif rule.column in path:
                rank = 1 + path.index(rule.column)
            else:
                continue
            if best is None or rank > best[0]:
                best = (rank, rule.workflow)
        return self.workflows[best[1] if best else self.assignments.default]


def parse_yaml(text: str) -> Any:
    """`yaml.safe_load` by libyaml where PyYAML was built with it (ten times faster: the
    configuration is read by every command), else by PyYAML's own parser; the same data."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"配置文件不存在: {path}")
    try:
        return parse_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML 格式错误: {exc}") from None


def _validation_message(path: Path, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        problems.append(f"{where}: {error['msg']}")
    return f"{path.name}: " + "; ".join(problems)


def _parse(model: type[M], path: Path) -> M:
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(_validation_message(path, exc)) from None


def _check_parents(directory: Directory) -> None:
    """A site's parent (where its 信息报送 go) is another configured site, and following
    parents never comes back to where it started."""
    keys = {s.key: s for s in directory.sites}
    for site in directory.sites:
        seen = {site.key}
        parent = site.parent
        while parent is not None:
            if parent not in keys:
                raise ConfigError(f"sites.yaml: 站点 {site.key} 的 parent 指向未知站点 {parent!r}")
            if parent in seen:
                raise ConfigError(f"sites.yaml: 站点 {site.key} 的上级站点形成循环")
            seen.add(parent)
            parent = keys[parent].parent


def _check_accounts(directory: Directory) -> None:
    """Accounts belong to known sites; column feeds name known accounts."""
    keys = {s.key for s in directory.sites}
    known = {a.id for a in directory.accounts}
    for account in directory.accounts:
        if account.site not in keys:
            raise ConfigError(f"channels.yaml: 账号 {account.id} 指向未知站点 {account.site!r}")
    for site in directory.sites:
        for column, _ in site.walk():
            for feed in column.feeds:
                if feed not in known:
                    raise ConfigError(
                        f"sites.yaml: 站点 {site.key} 栏目 {column.id} 的 feeds 指向未知账号 {feed!r}"
                    )


def load_config(root: str | Path, overrides: dict[str, Any] | None = None) -> HubConfig:
    """Load and cross-check a configuration folder; raise `ConfigError` with a clear message.
    `overrides` (a command's options, e.g. `hub serve --sandbox-port`) win over the files."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise ConfigError(f"配置目录不存在: {root}")
    settings_data = _read_yaml(root / "hub.yaml") if (root / "hub.yaml").exists() else {}
    for name in ("database", "jpush_url", "wechat_url", "weibo_url", "port", "sandbox_port",
                 "runtime", "kafka_servers", "redis_url", "search_url"):  # fmt: skip
        if os.environ.get(f"HUB_{name.upper()}"):
            settings_data[name] = os.environ[f"HUB_{name.upper()}"]
    if os.environ.get("HUB_LOG_LEVEL"):
        settings_data["log_level"] = os.environ["HUB_LOG_LEVEL"].lower()
    settings_data.update(overrides or {})
    try:
        settings = Settings.model_validate(settings_data)
    except ValidationError as exc:
        raise ConfigError(_validation_message(root / "hub.yaml", exc)) from None
    sites = _parse(_SitesFile, root / "sites.yaml").sites
    users = _parse(_UsersFile, root / "users.yaml").users
    flows = _parse(_WorkflowsFile, root / "workflows.yaml")
    _check_unique([s.key for s in sites], "sites.yaml", "站点 key")
    _check_unique([s.code for s in sites], "sites.yaml", "网站标识码")
    _check_unique([u.id for u in users], "users.yaml", "用户 id")
    _check_unique([w.id for w in flows.workflows], "workflows.yaml", "流程 id")
    accounts = (
        _parse(_ChannelsFile, root / "channels.yaml").accounts
        if (root / "channels.yaml").exists()
        else []
    )
    _check_unique([a.id for a in accounts], "channels.yaml", "账号 id")
    directory = Directory(sites, users, accounts)
    for site in sites:
        try:
            mark_image(site, root)
        except PartyMarkError as exc:
            raise ConfigError(f"sites.yaml: {exc}") from None
    _check_accounts(directory)
    _check_parents(directory)
    site_keys = {s.key for s in sites} | {s.code for s in sites}
    for user in users:
        for key in user.roles:
            if key != ALL_SITES and key not in site_keys:
                raise ConfigError(f"users.yaml: 用户 {user.id} 的角色指向未知站点 {key!r}")
    workflows = {w.id: w for w in flows.workflows}
    _check_assignments(flows.assignments, workflows, directory)
    dictionaries = load_dictionaries(root / "checks")
    config = HubConfig(root, settings, directory, workflows, flows.assignments, dictionaries)
    problems = check_staffing(sites, users, config.workflow_for)  # type: ignore[arg-type]
    if problems:
        raise ConfigError("users.yaml / workflows.yaml: " + "；".join(problems))
    return config


def load_dictionaries(folder: Path) -> Dictionaries:
    """Merge every `*.yaml` in the checks folder into one `Dictionaries` (none: defaults)."""
    if not folder.is_dir():
        return Dictionaries()
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = _read_yaml(path)
        if not isinstance(data, dict):
            raise ConfigError(f"checks/{path.name}: 顶层应为映射 (mapping)")
        for key, value in data.items():
            if key in merged:
                raise ConfigError(f"checks/{path.name}: 词库 {key} 已在 {origin[key]} 中定义")
            merged[key], origin[key] = value, path.name
    try:
        return Dictionaries.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            where = ".".join(str(p) for p in error["loc"])
            problems.append(f"{origin.get(key, '?')}: {where}: {error['msg']}")
        raise ConfigError("校验词库有误 " + "; ".join(problems)) from None


def _check_unique(values: list[str], file: str, what: str) -> None:
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise ConfigError(f"{file}: {what}重复: {', '.join(duplicates)}")


def _check_assignments(
    assignments: Assignments, workflows: dict[str, WorkflowDefinition], directory: Directory
) -> None:
    if assignments.default not in workflows:
        raise ConfigError(f"workflows.yaml: 默认流程 {assignments.default!r} 未定义")
    for i, rule in enumerate(assignments.rules):
        where = f"workflows.yaml: assignments.rules.{i}"
        if rule.workflow not in workflows:
            raise ConfigError(f"{where}: 流程 {rule.workflow!r} 未定义")
        site = next((s for s in directory.sites if rule.site in (s.key, s.code)), None)
        if site is None:
            raise ConfigError(f"{where}: 未知站点 {rule.site!r}")
        if rule.column is not None and site.column(rule.column) is None:
            raise ConfigError(f"{where}: 站点 {site.key} 没有栏目 {rule.column!r}")
