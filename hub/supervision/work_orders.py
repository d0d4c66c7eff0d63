"""Work orders (工单): opening one for a problem (or joining the one already open), the
supervisor's and the unit's steps, re-checks and closing, and the lists the screens show.
The state machine is workflows/work_order_decider.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events.decider import derived_id
from events.envelope import SYSTEM_ACTOR, Actor
from events.recorder import StartsWith
from events.runner import Runner
from events.store import EventStore
from hub.projections.work_orders import WORK_ORDER_TABLE
from hub.setup.directory import Directory
from workflows.errors import DomainError
from workflows.vocabulary import Role
from workflows.work_order_decider import (
    OPEN,
    WORK_ORDERS,
    Close,
    Dispatch,
    Extend,
    Open,
    Recheck,
    Rectify,
    Return,
    WorkOrderCommand,
    WorkOrderState,
    work_order_decider,
)
from workflows.work_order_events import Evidence, Problem

SYSTEM = SYSTEM_ACTOR.user_id
SEEN_AGAIN = timedelta(days=1)  # a persisting problem is noted on its order once a day


@dataclass(frozen=True)
class Finding:
    """A problem a detector sees: what an order for it says."""

    problem: Problem
    subject: str
    site: str
    unit: str
    summary: str
    due_by: datetime


@dataclass(frozen=True)
class Observed:
    """What `observe` did: opened | joined | failed | passed | closed | none."""

    outcome: str
    order_id: str | None


_OPEN = [str(s) for s in OPEN]


class WorkOrderService:
    """Commands and reads of work orders (`caught_up` brings the table up to date)."""

    def __init__(
        self, store: EventStore, directory: Directory, caught_up: Callable[[], object]
    ) -> None:
        self.store = store
        self.directory = directory
        self.runner: Runner[tuple[str, WorkOrderCommand], WorkOrderState] = Runner(
            store, work_order_decider
        )
        self._caught_up = caught_up

    def _run(self, order_id: str, command: WorkOrderCommand, actor: Actor) -> WorkOrderState:
        result = self.runner.execute((order_id, command), actor=actor)
        self._caught_up()
        return result.state

    # -- what supervision finds --------------------------------------------------------------

    def open_order(self, key: str) -> dict[str, Any] | None:
        """The open order of a problem, if any."""
        rows = self.store.rows(WORK_ORDER_TABLE, {"key": key, "status": _OPEN}, limit=1)
        return _row(rows[0]) if rows else None

    def report(
        self, problem: Problem, subject: str, site: str, unit: str, summary: str, key: str,
        due_by: datetime, evidence: Evidence, passes_required: int = 2,
    ) -> str:  # fmt: skip
        """Open an order for the problem, or join the one open for it; its id. Two finders
        of one problem at once open one order (its id follows from the problem and how many
        of its orders were closed before)."""
        found = self.open_order(key)
        if found is not None:
            order_id = str(found["order_id"])
        else:
            closed = self.store.tally(WORK_ORDER_TABLE, {"key": key, "status": "closed"})
            episode = int(closed[0][0]) if closed else 0
            order_id = derived_id("workorder", key, str(episode))
        self._run(order_id, Open(order_id, problem, subject, site, unit, summary, key, due_by,
                                 evidence, passes_required), SYSTEM_ACTOR)  # fmt: skip
        return order_id

    def observe(self, key: str, finding: Finding | None, evidence: Evidence,
                now: datetime) -> Observed:  # fmt: skip
        """What every detector does with what it saw of one problem (`key`): with a
        `finding` the problem is there — an order opens for it, or the open one fails its
        re-check (it was reported fixed, or had passed a re-check), or is noted as persisting
        (at most once per `SEEN_AGAIN`); without one the problem is gone — the open order, if
        any, passes a re-check (and closes after its passes)."""
        found = self.open_order(key)
        if finding is None:
            if found is None:
                return Observed("none", None)
            state = self.recheck(str(found["order_id"]), True, evidence)
            return Observed("closed" if str(state.status) == "closed" else "passed",
                            str(found["order_id"]))  # fmt: skip
        if found is not None:
            order_id = str(found["order_id"])
            if int(str(found["passes"] or 0)) > 0 or found["status"] == "rectified":
                self.recheck(order_id, False, evidence)
                return Observed("failed", order_id)
            seen = found["last_seen"]
            if seen and now - datetime.fromisoformat(str(seen)) < SEEN_AGAIN:
                return Observed("none", order_id)
        order_id = self.report(finding.problem, finding.subject, finding.site, finding.unit,
                               finding.summary, key, finding.due_by, evidence)  # fmt: skip
        return Observed("joined" if found is not None else "opened", order_id)

    def recheck(self, order_id: str, passed: bool, evidence: Evidence) -> WorkOrderState:
        """Record an automatic re-check; close the order once it has its passes."""
        state = self._run(order_id, Recheck(passed, evidence), SYSTEM_ACTOR)
        if passed and state.passes >= state.passes_required:
            state = self._run(order_id, Close(SYSTEM), SYSTEM_ACTOR)
        return state

    # -- what people do ----------------------------------------------------------------------
    # Supervisors (监管, on the order's site or on every site) dispatch, return, extend and
    # close; anyone with a role on the order's site reports it fixed.

    def supervises(self, user: str, site: str) -> bool:
        roles = self.directory.acting(user).roles_on(site)
        return Role.SUPERVISOR in roles or Role.ADMIN in roles

    def staff_roles(self, user: str, site: str) -> list[str]:
        """The user's roles on the site's own staff: a supervisor checks the work, it does not
        report its own order fixed (the unit does)."""
        return sorted(str(r) for r in self.directory.acting(user).roles_on(site)
                      if r is not Role.SUPERVISOR)  # fmt: skip

    def may_see(self, user: str, site: str) -> bool:
        return bool(self.directory.acting(user).roles_on(site))

    def _as_supervisor(self, user: str, order_id: str) -> Actor:
        if not self.supervises(user, str(self.get(order_id)["site"])):
            raise DomainError("SITE_ROLE_REQUIRED", "只有监管人员可以派单、退回、延期或销号")
        return Actor(user, str(Role.SUPERVISOR))

    def dispatch(self, by: str, order_id: str, unit: str, deadline: datetime,
                 note: str = "") -> WorkOrderState:  # fmt: skip
        actor = self._as_supervisor(by, order_id)
        return self._run(order_id, Dispatch(unit, deadline, by, note), actor)

    def rectify(self, by: str, order_id: str, note: str) -> WorkOrderState:
        roles = self.staff_roles(by, str(self.get(order_id)["site"]))
        if not roles:
            raise DomainError("SITE_ROLE_REQUIRED", "只有本站点的工作人员可以报告整改完成")
        return self._run(order_id, Rectify(by, note), Actor(by, roles[0]))

    def return_(self, by: str, order_id: str, reason: str) -> WorkOrderState:
        return self._run(order_id, Return(by, reason), self._as_supervisor(by, order_id))

    def extend(self, by: str, order_id: str, reason: str, until: datetime) -> WorkOrderState:
        return self._run(order_id, Extend(by, reason, until), self._as_supervisor(by, order_id))

    def close(self, by: str, order_id: str) -> WorkOrderState:
        return self._run(order_id, Close(by), self._as_supervisor(by, order_id))

    # -- reads ---------------------------------------------------------------------------------

    def resolve(self, ref: str) -> str:
        """The order a unique start of its id names (at least 6 characters)."""
        ref = ref.strip().lower()
        if len(ref) < 6:
            raise DomainError("WORK_ORDER_NOT_FOUND", f"工单 {ref} 不存在（至少写 6 位编号）")
        rows = self.store.rows(WORK_ORDER_TABLE, {"order_id": StartsWith(ref)}, ("order_id",),
                               limit=2)  # fmt: skip
        if len(rows) != 1:
            raise DomainError("INVALID_INPUT" if rows else "WORK_ORDER_NOT_FOUND",
                              f"工单 {ref} {'对应多个工单，请多写几位' if rows else '不存在'}")  # fmt: skip
        return str(rows[0][0])

    def get(self, order_id: str) -> dict[str, Any]:
        rows = self.store.rows(WORK_ORDER_TABLE, {"order_id": order_id})
        if not rows:
            raise DomainError("WORK_ORDER_NOT_FOUND", f"工单 {order_id} 不存在")
        return _row(rows[0])

    def history(self, order_id: str) -> list[dict[str, Any]]:
        """The order's events, oldest first (its evidence among them)."""
        return [{"type": e.type, "at": e.occurred_at.isoformat(), "actor": e.actor.user_id,
                 **e.payload.model_dump(mode="json")}
                for e in self.store.read_stream(WORK_ORDERS(order_id))]  # fmt: skip

    def find(self, status: str | None = None, site: str | None = None,
             problem: str | None = None, limit: int = 500,
             for_user: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Orders, oldest first; `status` "open" means every open state; `for_user`: only
        the orders of sites the user works on or supervises."""
        where: dict[str, Any] = {}
        if status:
            where["status"] = _OPEN if status == "open" else status
        if site:
            where["site"] = site
        if problem:
            where["problem"] = problem
        rows = self.store.rows(WORK_ORDER_TABLE, where, order_by=("opened_at",), limit=limit)
        found = [_row(r) for r in rows]
        if for_user is not None:
            found = [o for o in found if self.may_see(for_user, str(o["site"]))]
        return found


def _row(row: tuple[object, ...]) -> dict[str, Any]:
    return dict(zip(WORK_ORDER_TABLE.names, row, strict=True))
