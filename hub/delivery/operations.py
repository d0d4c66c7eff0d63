"""What a channel operator does with deliveries: list them (by article, account, state),
retry one now, or cancel one that has not arrived."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from events.envelope import Actor
from events.recorder import AtLeast, Contains, NotNull, StartsWith
from events.store import ConcurrencyConflict, EventStore
from hub.delivery.planner import DeliveryRunner, delivery_runner
from hub.projections.deliveries import DELIVERIES_TABLE, state_of
from hub.setup.config import HubConfig
from workflows.delivery_decider import (
    DELIVERY_STATUS_LABELS,
    Cancel,
    DeliveryCommand,
    DeliveryState,
    DeliveryStatus,
    ForDelivery,
    Report,
    Requeue,
)
from workflows.errors import DomainError
from workflows.publication import Channel, Target
from workflows.vocabulary import Role

_OPERATORS = (Role.OPERATOR, Role.ADMIN)
REPORT_WAIT_S = 3.0


class DeliveryService:
    def __init__(
        self,
        config: HubConfig,
        store: EventStore,
        health: Callable[[str, str], dict[str, Any]] = lambda channel, account: {},
        catch_up: Callable[[], object] = lambda: None,
        runner: DeliveryRunner | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.runner = runner or delivery_runner(store)
        self.health = health  # the engine's view of an account: circuit, rate, token, quota
        self.catch_up = catch_up  # brings the delivery table up to the event store

    def site_of(self, target: Target) -> str:
        """The code of the site that owns a target (the site itself, or the account's site)."""
        directory = self.config.directory
        if target.channel is Channel.WEBSITE:
            return target.account
        return directory.site(directory.account(target.account).site).code

    def find(
        self,
        article_ref: str | None = None,
        account: str | None = None,
        status: str | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        if status and status not in {str(s) for s in DeliveryStatus} - {"new"}:
            raise DomainError("INVALID_INPUT", f"未知投递状态 {status!r}")
        where = {column: value for column, value in (("article_id", article_ref),
                 ("account", account), ("status", status)) if value}  # fmt: skip
        rows = self.store.rows(DELIVERIES_TABLE, where, order_by=("-seq",), limit=limit)
        return [_json(state_of(row)) for row in rows]

    def changed_since(self, since: int, limit: int = 5000) -> list[dict[str, Any]]:
        """Deliveries changed by the ledger's commits after number `since`, in commit order,
        each with its `change` number: what a board reads when it hears of a commit."""
        rows = self.store.rows(DELIVERIES_TABLE, {"change_no": AtLeast(since + 1)},
                               order_by=("change_no",), limit=limit)  # fmt: skip
        at = DELIVERIES_TABLE.names.index("change_no")
        return [_json(state_of(row)) | {"change": int(row[at])} for row in rows]

    def latest_change(self) -> int:
        """The number of the ledger's newest commit (0 before the first)."""
        rows = self.store.rows(DELIVERIES_TABLE, {}, ("change_no",), order_by=("-change_no",),
                               limit=1)  # fmt: skip
        return int(rows[0][0] or 0) if rows else 0

    def rollup(
        self, article_ref: str | None, account: str | None, status: str | None
    ) -> dict[str, dict[str, dict[str, int]]]:
        """Counts by state over every delivery the board's filter covers (not only the rows
        shown): in all, per channel and per site."""
        where = {column: value for column, value in (("article_id", article_ref),
                 ("account", account), ("status", status)) if value}  # fmt: skip
        total: dict[str, int] = {}
        channels: dict[str, dict[str, int]] = {}
        sites: dict[str, dict[str, int]] = {}
        groups = self.store.tally(DELIVERIES_TABLE, where, by=("channel", "account", "status"))
        for channel, acc, state, n, _ in groups:
            site = acc if channel == Channel.WEBSITE else self._account_site(acc)
            for bucket in (total, channels.setdefault(channel, {}), sites.setdefault(site, {})):
                bucket[state] = bucket.get(state, 0) + n
        return {"total": {"": total}, "channels": channels, "sites": sites}

    def _account_site(self, account: str) -> str:
        directory = self.config.directory
        try:
            return directory.site(directory.account(account).site).code
        except DomainError:
            return ""  # an account no longer configured

    def accounts(self) -> list[dict[str, Any]]:
        """Every delivery target (each site, each channel account) with its deliveries by
        state, its last delivery and its latest failure: the operator's view of health."""
        directory = self.config.directory
        counts: dict[tuple[str, str], dict[str, int]] = {}
        latest: dict[tuple[str, str], str] = {}
        for channel, account, status, n, last in self.store.tally(
            DELIVERIES_TABLE, {}, by=("channel", "account", "status"), latest="updated_at"
        ):
            counts.setdefault((channel, account), {})[status] = n
            if status == "delivered":
                latest[(channel, account)] = last
        errors: dict[tuple[str, str], tuple[str, str]] = {}
        for channel, account, error, at in self.store.rows(
            DELIVERIES_TABLE,
            {"last_error": NotNull, "status": ("retrying", "dead", "unknown")},
            ("channel", "account", "last_error", "updated_at"),
            order_by=("-updated_at",),
            limit=1000,
        ):
            if error:
                errors.setdefault((channel, account), (error, at))
        targets = [(str(Channel.WEBSITE), s.code, s.name, s.code) for s in directory.sites]
        targets += [(str(a.channel), a.id, a.name, directory.site(a.site).code)
                    for a in directory.accounts]  # fmt: skip
        return [
            {
                "channel": channel,
                "account": account,
                "name": name,
                "site": site,
                "deliveries": counts.get((channel, account), {}),
                "last_delivered_at": latest.get((channel, account)),
                "last_error": errors.get((channel, account), ("", None))[0],
                "last_error_at": errors.get((channel, account), ("", None))[1],
                **self.health(channel, account),
            }
            for channel, account, name, site in targets
        ]

    def resolve(self, ref: str) -> str:
        ref = ref.strip().lower()
        if len(ref) < 6:
            raise DomainError("DELIVERY_NOT_FOUND", f"投递 {ref} 不存在（至少写 6 位编号）")
        rows = self.store.rows(DELIVERIES_TABLE, {"delivery_id": StartsWith(ref)},
                               ("delivery_id",), limit=2)  # fmt: skip
        if len(rows) != 1:
            code = "DELIVERY_AMBIGUOUS" if rows else "DELIVERY_NOT_FOUND"
            raise DomainError(code, f"投递 {ref} {'对应多条记录' if rows else '不存在'}")
        return str(rows[0][0])

    def retry(self, user: str, ref: str) -> dict[str, Any]:
        return self._operate(user, ref, Requeue(user))

    def report(self, target: Target, step: str, key: str, by: str, url: str = "") -> list[str]:
        """A platform pushed word that the task one of the target's deliveries started (the
        value its step `step` recorded is `key`) has finished: a delivery waiting to poll
        is due at once, a delivered one without a link takes `url`. The deliveries told."""
        recorded = json.dumps([step, key], ensure_ascii=False)[1:-1]
        found: list[DeliveryState] = []
        deadline = time.monotonic() + REPORT_WAIT_S
        while not found and time.monotonic() <= deadline:
            # The step is recorded as the attempt goes; the table may not show it yet.
            self.catch_up()
            rows = self.store.rows(
                DELIVERIES_TABLE,
                {"channel": str(target.channel), "account": target.account,
                 "steps": Contains(recorded)},
                order_by=("-seq",),
                limit=20,
            )  # fmt: skip
            found = [s for s in map(state_of, rows) if (step, key) in s.steps]
            if not found:
                time.sleep(0.2)
        told = []
        for state in found:
            while True:
                try:
                    now = datetime.now(UTC)
                    addressed = ForDelivery(state.delivery_id, Report(now, by, url))
                    state = self.runner.execute(addressed).state
                except ConcurrencyConflict:
                    pass
                # An attempt in flight may end waiting for its next poll, or delivered with
                # no link: the report is for after it (a short wait: the platform allows 5 s).
                if state.status is not DeliveryStatus.SENDING or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            told.append(state.delivery_id)
        return told

    def cancel(self, user: str, ref: str, reason: str) -> dict[str, Any]:
        return self._operate(user, ref, Cancel(user, reason))

    def bulk(
        self, user: str, action: str, refs: list[str], reason: str = ""
    ) -> dict[str, list[dict[str, Any]]]:
        """Retry or cancel many deliveries, each as on its own (the same role and state rules):
        what was done, and what was refused with its reason."""
        if action not in ("retry", "cancel"):
            raise DomainError("INVALID_INPUT", f"批量操作只能是 retry 或 cancel：{action[:20]}")
        if action == "cancel" and not reason.strip():
            raise DomainError("REASON_REQUIRED", "批量取消必须填写原因")
        done, refused = [], []
        for ref in dict.fromkeys(refs):  # each once, in the order given
            try:
                if action == "retry":
                    done.append(self._operate(user, ref, Requeue(user)))
                else:
                    done.append(self.cancel(user, ref, reason))
            except DomainError as exc:
                refused.append({"id": ref, "code": exc.code, "message": exc.message})
        return {"done": done, "refused": refused}

    def _operate(self, user: str, ref: str, command: DeliveryCommand) -> dict[str, Any]:
        actor = self.config.directory.acting(user)
        delivery = self.resolve(ref)
        state, _ = self.runner.load(delivery)
        assert state.target is not None
        site = self.site_of(state.target)  # a delivery's target never changes
        held = actor.roles_on(site)
        role = next((r for r in _OPERATORS if r in held), None)
        if role is None:
            raise DomainError(
                "SITE_ROLE_REQUIRED",
                f"用户 {user} 在站点 {site} 没有“渠道运维”角色",
                user=user,
                site=site,
            )
        try:
            state = self.runner.execute(ForDelivery(delivery, command),
                                        actor=Actor(user, str(role))).state  # fmt: skip
        except ConcurrencyConflict:
            raise DomainError("DELIVERY_BUSY", "投递正在被处理，请稍后再试") from None
        return _json(state)


def _json(state: DeliveryState) -> dict[str, Any]:
    assert state.target is not None
    return {
        "id": state.delivery_id,
        "article_id": state.article_id,
        "publication_id": state.publication_id,
        "revision": state.revision,
        "target": state.target.key,
        "action": str(state.action),
        "status": str(state.status),
        "status_label": DELIVERY_STATUS_LABELS.get(state.status, str(state.status)),
        "attempts": state.attempts,
        "next_at": state.next_at.isoformat() if state.next_at else None,
        "last_error": state.last_error,
        "remote_id": state.remote_id,  # the channel's own id for what it received
        "url": state.url,
        "steps": dict(state.steps),  # what a multi-step channel made (media ids, publish id)
    }
