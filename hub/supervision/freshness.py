"""Freshness from the log (管网 · 更新): every column and account of the platform with the
update rule the national inspection applies to it, the last time it was updated, and how long
it has left before it becomes a single-veto problem (research/government-rules.md §7b).

No crawling and no lag for the sites the hub writes: a column was updated when an article
first went live in it (or in one of its sub-columns), as the publication events record
(`live_targets.published_at`; a correction keeps the page's first 发布时间, a retracted article
no longer counts). A column with nothing live is blank (空白栏目).

Rules (days without an update before the veto counts the column):

- 动态要闻 columns: 14 days; 通知公告 and 政策文件 columns of the first level: 6 months —
  the inspection's category A (veto at 5 such columns stale);
- the other columns that must be updated (人事信息, 规划计划, 政策解读, and 通知公告 / 政策文件
  below the first level): 1 year — category B (veto at 10);
- a site's homepage: 14 days without any new item (veto);
- blank columns: veto at 5;
- 政务新媒体 (WeChat, Weibo, app accounts): 14 days (veto).

A countdown warns `warning_days` before its threshold (4 by default); a site's counts warn at
the levels UCAP practice uses (3 category-A columns, 6 category-B, 2 blank).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from events.store import EventStore
from hub.projections.probes import SEEN_UPDATES
from hub.projections.publications import LIVE_TARGETS
from hub.setup.directory import Column, Directory, Site
from workflows.publication import Channel

HOMEPAGE_DAYS = 14
ACCOUNT_DAYS = 14
DEFAULT_WARNING_DAYS = 4
NEW_MEDIA = (Channel.WECHAT, Channel.WEIBO, Channel.APP)

# Column type -> (days, category); 通知公告 and 政策文件 below the first level count in
# category B, at a year.
_RULES: dict[str, tuple[int, str]] = {
    "动态要闻": (14, "A"),
    "通知公告": (182, "A"),
    "政策文件": (182, "A"),
    "人事信息": (365, "B"),
    "规划计划": (365, "B"),
    "政策解读": (365, "B"),
}
# Rules of the first level only (动态要闻 columns count at any level).
_FIRST_LEVEL_ONLY = frozenset({"通知公告", "政策文件"})
# A site's counts: (warning, veto).
SITE_LIMITS: dict[str, tuple[int, int]] = {"A": (3, 5), "B": (6, 10), "blank": (2, 5)}


class State(StrEnum):
    OK = "ok"
    WARNING = "warning"  # within `warning_days` of its threshold
    OVERDUE = "overdue"  # past it: the column counts against the site
    BLANK = "blank"  # nothing live at all


STATE_LABELS = {State.OK: "正常", State.WARNING: "即将超期", State.OVERDUE: "已超期",
                State.BLANK: "空白"}  # fmt: skip


@dataclass(frozen=True)
class Countdown:
    """One column, homepage or account against its update rule."""

    kind: str  # column | homepage | account
    subject: str  # the target key (website:<code>/<column>, wechat:<id>) or the site code
    site: str  # the site code responsible (an account's: the site that runs it)
    name: str  # for people: 示范省人民政府 › 通知公告
    category: str  # A | B | homepage | account
    days: int  # the rule
    last_update: datetime | None
    due_at: datetime | None
    state: State

    def days_left(self, now: datetime) -> float | None:
        return (self.due_at - now).total_seconds() / 86400 if self.due_at else None


@dataclass(frozen=True)
class SiteFreshness:
    """A site's countdowns and what they add up to against the veto thresholds."""

    site: str
    name: str
    countdowns: tuple[Countdown, ...]

    def count(self, what: str) -> int:
        """Columns counting against the site: category "A" or "B" overdue, or "blank"."""
        if what == "blank":
            return sum(c.state is State.BLANK for c in self.countdowns if c.kind == "column")
        return sum(c.state is State.OVERDUE for c in self.countdowns if c.category == what)

    @property
    def homepage(self) -> Countdown:
        return next(c for c in self.countdowns if c.kind == "homepage")

    def vetoes(self) -> list[str]:
        """The single-veto items the site meets now (names for people)."""
        found = [label for what, label in (("A", "栏目不更新（动态、通知、政策类）"),
                                           ("B", "应更新栏目长期未更新"), ("blank", "空白栏目"))
                 if self.count(what) >= SITE_LIMITS[what][1]]  # fmt: skip
        if self.homepage.state in (State.OVERDUE, State.BLANK):
            found.insert(0, "首页不更新")
        return found

    def warnings(self) -> list[str]:
        found = [f"{label} {self.count(what)} 个" for what, label in
                 (("A", "不更新栏目"), ("B", "长期未更新栏目"), ("blank", "空白栏目"))
                 if SITE_LIMITS[what][0] <= self.count(what) < SITE_LIMITS[what][1]]  # fmt: skip
        if self.homepage.state is State.WARNING:
            found.insert(0, "首页即将超期未更新")
        return found


def _state(last: datetime | None, days: int, now: datetime, warning: int) -> State:
    if last is None:
        return State.BLANK
    due = last + timedelta(days=days)
    if now >= due:
        return State.OVERDUE
    return State.WARNING if now >= due - timedelta(days=warning) else State.OK


def _countdown(kind: str, subject: str, site: str, name: str, category: str, days: int,
               last: datetime | None, now: datetime, warning: int) -> Countdown:  # fmt: skip
    due = last + timedelta(days=days) if last else None
    return Countdown(kind, subject, site, name, category, days, last, due,
                     _state(last, days, now, warning))  # fmt: skip


def last_updates(store: EventStore) -> dict[str, datetime]:
    """Each target's newest first publication still live (one grouped read), or the newest
    item seen from outside when newer: an account's newest post on its platform (made with the
    hub or not), the newest date on a column or homepage the hub did not write (crawled)."""
    rows = store.tally(LIVE_TARGETS, {}, by=("target",), latest="published_at")
    found = {str(t): datetime.fromisoformat(str(at)) for t, _, at in rows if at}
    for target, at in store.rows(SEEN_UPDATES, {}, ("target", "latest_at")):
        seen = datetime.fromisoformat(str(at))
        if str(target) not in found or seen > found[str(target)]:
            found[str(target)] = seen
    return found


def site_freshness(
    site: Site, updates: dict[str, datetime], now: datetime, warning: int
) -> SiteFreshness:
    countdowns = []
    newest_on_site: datetime | None = None
    for column, parents in site.walk():
        own = f"{Channel.WEBSITE}:{site.code}/{column.id}"
        below = [f"{Channel.WEBSITE}:{site.code}/{c.id}" for c, _ in _subtree(site, column.id)]
        times = [updates[k] for k in (own, *below) if k in updates]
        last = max(times) if times else None
        if last and (newest_on_site is None or last > newest_on_site):
            newest_on_site = last
        rule = _RULES.get(column.type)
        if rule is None:
            continue
        days, category = rule
        if parents and column.type in _FIRST_LEVEL_ONLY:  # below the first level: category B
            days, category = 365, "B"
        countdowns.append(_countdown("column", own, site.code, f"{site.name} › {column.name}",
                                     category, days, last, now, warning))  # fmt: skip
    seen_home = updates.get(f"{Channel.WEBSITE}:{site.code}")  # a homepage crawled
    if seen_home and (newest_on_site is None or seen_home > newest_on_site):
        newest_on_site = seen_home
    countdowns.insert(0, _countdown("homepage", site.code, site.code, f"{site.name} › 首页",
                                    "homepage", HOMEPAGE_DAYS, newest_on_site, now, warning))  # fmt: skip
    return SiteFreshness(site.code, site.name, tuple(countdowns))


def _subtree(site: Site, column_id: str) -> list[tuple[Column, tuple[str, ...]]]:
    """The columns below `column_id` (its descendants)."""
    return [(c, p) for c, p in site.walk() if column_id in p]


def account_countdowns(
    directory: Directory, updates: dict[str, datetime], now: datetime, warning: int
) -> list[Countdown]:
    found = []
    for account in directory.accounts:
        if account.channel not in NEW_MEDIA:
            continue
        key = f"{account.channel}:{account.id}"
        site = directory.site(account.site)
        found.append(_countdown("account", key, site.code, f"{site.name} › {account.name}",
                                "account", ACCOUNT_DAYS, updates.get(key), now, warning))  # fmt: skip
    return found


def platform_freshness(
    directory: Directory, store: EventStore, now: datetime,
    warning: int = DEFAULT_WARNING_DAYS,
) -> tuple[list[SiteFreshness], list[Countdown]]:  # fmt: skip
    """Every site's countdowns, and every new-media account's."""
    updates = last_updates(store)
    sites = [site_freshness(s, updates, now, warning) for s in directory.sites]
    return sites, account_countdowns(directory, updates, now, warning)
