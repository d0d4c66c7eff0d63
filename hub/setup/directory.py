"""The site group and its users: sites with nested columns, users with roles per site."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from workflows.article_commands import ALL_SITES, ActingUser
from workflows.checks.identifiers import org_code_valid, uscc_valid
from workflows.errors import DomainError
from workflows.publication import Channel
from workflows.vocabulary import Role

SiteCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{10}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class Column(BaseModel):
    """A section of a site (栏目), possibly with sub-columns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Key
    name: str = Field(min_length=1, max_length=50)
    type: str = Field(min_length=1, max_length=20)  # 栏目类型 ColumnType
    description: str = ""
    keywords: tuple[str, ...] = ()
    feeds: tuple[Key, ...] = ()  # accounts (channels.yaml) this column's articles also go to
    children: tuple[Column, ...] = ()


class PartyMark(BaseModel):
    """The 党政机关网站标识 a site was issued: its registration at the 中央机构编制委员会办公室
    (the id in the verification link) and the image file that came with it (relative to
    config/). Without an image the default theme draws its own mark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    registration: str = Field(default="", pattern=r"^([0-9A-Za-z]{8,40})?$")
    image: str | None = Field(default=None, max_length=200)


class SiteFooter(BaseModel):
    """What a government site's footer states (2017 development guideline §2.3): its
    organiser and contact, its registrations, and the national error-report entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organiser: str | None = Field(default=None, max_length=80)  # 主办单位 (default: site name)
    contact: str = Field(default="", max_length=120)  # 联系方式
    icp: str = Field(default="", max_length=60)  # ICP 备案号
    police_record: str = Field(default="", max_length=60)  # 公安机关备案号
    party_mark: bool | PartyMark = False  # 党政机关网站标识
    error_report: bool = True  # 我为政府网站找错


class Site(BaseModel):
    """One government website (站点)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: Key
    code: SiteCode  # 网站标识码
    name: str = Field(min_length=1, max_length=80)
    domain: str = Field(pattern=r"^[a-z0-9.-]+$")
    level: str = "department"
    # 组织机构代码 (9) or 统一社会信用代码 (18) of the publishing unit: the 索引号 prefix.
    org_code: str | None = None
    theme: str | None = None  # a folder of templates (relative to config/) over the default
    # The site above this one (its key): where its 信息报送 go (a department's or a city's
    # portal; a provincial portal has none).
    parent: Key | None = None
    # What an accepted copy does when its source is corrected or retracted: `auto` changes it
    # (a correction goes into this site's review again; a retraction takes it down), `task`
    # tells this site's editors and leaves it to them.
    reuse_follow: Literal["auto", "task"] = "auto"
    footer: SiteFooter = Field(default_factory=SiteFooter)
    columns: tuple[Column, ...] = ()

    @model_validator(mode="after")
    def _footer_complete(self) -> Self:
        """A government site's footer must state how to reach it and its registrations."""
        required = (("contact", "联系方式"), ("icp", "ICP 备案号"),
                    ("police_record", "公安机关备案号"))  # fmt: skip
        missing = [f"{label}（footer.{name}）" for name, label in required
                   if not getattr(self.footer, name).strip()]  # fmt: skip
        if missing:
            raise ValueError(
                f"站点 {self.key} 的页脚缺少{'、'.join(missing)}：政府网站须在页脚公示"
            )
        return self

    @model_validator(mode="after")
    def _org_code_valid(self) -> Self:
        if self.org_code is not None and not (
            org_code_valid(self.org_code) or uscc_valid(self.org_code)
        ):
            raise ValueError(f"org_code {self.org_code} 不是有效的组织机构代码或统一社会信用代码")
        return self

    @model_validator(mode="after")
    def _unique_columns(self) -> Self:
        ids = [column.id for column, _ in self.walk()]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"栏目标识重复: {', '.join(duplicates)}")
        return self

    def walk(self) -> Iterator[tuple[Column, tuple[str, ...]]]:
        """Every column with the ids of its ancestors, depth first."""
        stack: list[tuple[Column, tuple[str, ...]]] = [(c, ()) for c in reversed(self.columns)]
        while stack:
            column, parents = stack.pop()
            yield column, parents
            stack.extend((c, (*parents, column.id)) for c in reversed(column.children))

    def column(self, ref: str) -> Column | None:
        """A column by id, or by name when the name is unique on the site."""
        by_name = []
        for column, _ in self.walk():
            if column.id == ref:
                return column
            if column.name == ref:
                by_name.append(column)
        return by_name[0] if len(by_name) == 1 else None

    def column_path(self, column_id: str) -> tuple[str, ...]:
        """The column's ancestors' ids followed by its own id."""
        for column, parents in self.walk():
            if column.id == column_id:
                return (*parents, column.id)
        return ()


class Account(BaseModel):
    """A channel account articles are delivered to: an app, a large screen, a WeChat official
    account, a Weibo account (账号)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Key
    channel: Channel
    name: str = Field(min_length=1, max_length=80)
    site: Key  # the site (key) that runs the account
    settings: dict[str, str] = Field(default_factory=dict)  # channel specifics, never secrets

    @model_validator(mode="after")
    def _not_a_website(self) -> Self:
        if self.channel is Channel.WEBSITE:
            raise ValueError("网站不是账号：网站在 sites.yaml 中配置")
        return self


class User(BaseModel):
    """A person with roles per site key (`*`: every site)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Key
    name: str = Field(min_length=1)
    unit: str = ""
    roles: dict[str, tuple[Role, ...]]


class Directory:
    """Look-ups over the configured sites and users."""

    def __init__(self, sites: list[Site], users: list[User], accounts: list[Account]) -> None:
        self.sites = sites
        self.users = users
        self.accounts = accounts
        self._accounts = {a.id: a for a in accounts}
        self._by_key = {s.key: s for s in sites}
        self._by_code = {s.code: s for s in sites}
        self._users = {u.id: u for u in users}

    def site(self, ref: str) -> Site:
        """A site by key or 10-character code."""
        site = self._by_key.get(ref) or self._by_code.get(ref)
        if site is None:
            known = ", ".join(s.key for s in self.sites)
            raise DomainError("SITE_UNKNOWN", f"未知站点 {ref!r}（可用: {known}）", site=ref)
        return site

    def column(self, site: Site, ref: str) -> Column:
        """A column of a site by id or unique name."""
        column = site.column(ref)
        if column is None:
            raise DomainError(
                "COLUMN_UNKNOWN", f"站点 {site.name} 没有栏目 {ref!r}", site=site.key, column=ref
            )
        return column

    def account(self, ref: str) -> Account:
        """A channel account by id."""
        account = self._accounts.get(ref)
        if account is None:
            known = ", ".join(a.id for a in self.accounts) or "无"
            raise DomainError("ACCOUNT_UNKNOWN", f"未知账号 {ref!r}（可用: {known}）", account=ref)
        return account

    def site_name(self, ref: str) -> str:
        """A site's name for people (the reference itself when it is not configured)."""
        site = self._by_key.get(ref) or self._by_code.get(ref)
        return site.name if site else ref

    def target_name(self, key: str) -> str:
        """A target as people name it: 示范省人民政府门户网站·通知公告, 示范省政务服务客户端."""
        channel, _, rest = key.partition(":")
        account, _, column_id = rest.partition("/")
        if channel == "website":
            site = self._by_key.get(account) or self._by_code.get(account)
            column = site.column(column_id) if site else None
            return f"{site.name if site else account}·{column.name if column else column_id}"
        found = self._accounts.get(account)
        return found.name if found else key

    def user_name(self, user_id: str) -> str:
        """A user's display name (张伟); the id for `system` and users no longer configured."""
        user = self._users.get(user_id)
        return user.name if user else ("系统" if user_id == "system" else user_id)

    def user(self, user_id: str) -> User:
        """A user by id."""
        user = self._users.get(user_id)
        if user is None:
            raise DomainError("USER_UNKNOWN", f"未知用户 {user_id!r}", user=user_id)
        return user

    def staff_of(self, site_code: str) -> list[str]:
        """The users with a role on this site itself (not through `*`): its unit's staff."""
        key = self.site(site_code).key
        return [u.id for u in self.users if u.roles.get(key)]

    def supervisors_of(self, site_code: str) -> list[str]:
        """The users who supervise the site (监管 on it or on every site)."""
        key = self.site(site_code).key
        return [u.id for u in self.users
                if Role.SUPERVISOR in (*u.roles.get(key, ()), *u.roles.get(ALL_SITES, ()))]  # fmt: skip

    def acting(self, user_id: str) -> ActingUser:
        """The user as the decider sees them: roles keyed by site code."""
        user = self.user(user_id)
        site_roles: dict[str, frozenset[str]] = {}
        for key, roles in user.roles.items():
            code = ALL_SITES if key == ALL_SITES else self.site(key).code
            site_roles[code] = site_roles.get(code, frozenset()) | frozenset(roles)
        return ActingUser(user.id, site_roles)
