"""An article's deliveries in one line (投递情况): of the targets it is on (each target's
latest delivery: a correction's replaces the one before), how many are delivered, still
going (pending, retrying, unknown) or dead — 已送达 3, 部分送达 2/3, 投递失败 1/3 — for lists,
the article's page and `hub article show`."""

from __future__ import annotations

from dataclasses import dataclass

from events.store import EventStore
from hub.projections.deliveries import DELIVERIES_TABLE

_GOING = frozenset({"new", "pending", "sending", "retrying", "unknown"})


@dataclass(frozen=True)
class DeliverySummary:
    total: int = 0
    delivered: int = 0
    going: int = 0
    failed: int = 0
    retracted: int = 0

    @property
    def state(self) -> str:
        """failed | partial | going | delivered | retracted | none."""
        if self.failed:
            return "failed"
        if self.going:
            return "partial" if self.delivered else "going"
        if self.delivered:
            return "delivered"
        return "retracted" if self.retracted else "none"

    @property
    def label(self) -> str:
        live = self.total - self.retracted
        return {
            "failed": f"投递失败 {self.failed}/{live}",
            "partial": f"部分送达 {self.delivered}/{live}",
            "going": f"投递中 0/{live}",
            "delivered": f"已送达 {self.delivered}",
            "retracted": "已撤回",
            "none": "",
        }[self.state]

    def as_json(self) -> dict[str, object]:
        return {"state": self.state, "label": self.label, "total": self.total,
                "delivered": self.delivered, "going": self.going, "failed": self.failed,
                "retracted": self.retracted}  # fmt: skip


def summaries(store: EventStore, article_ids: list[str]) -> dict[str, DeliverySummary]:
    """Each article's summary (one read for all of them)."""
    if not article_ids:
        return {}
    rows = store.rows(DELIVERIES_TABLE, {"article_id": article_ids},
                      ("article_id", "target", "status", "seq"), order_by=("seq",))  # fmt: skip
    latest: dict[tuple[str, str], str] = {}
    for article, target, status, _ in rows:  # in planning order: the last one stands
        latest[(str(article), str(target))] = str(status)
    counts: dict[str, dict[str, int]] = {}
    for (article, _), status in latest.items():
        if status == "cancelled":
            continue
        kind = ("delivered" if status == "delivered" else "failed" if status == "dead"
                else "retracted" if status in ("retracted", "retracting") else "going"
                if status in _GOING else "")  # fmt: skip
        found = counts.setdefault(article, {})
        found["total"] = found.get("total", 0) + 1
        if kind:
            found[kind] = found.get(kind, 0) + 1
    return {a: DeliverySummary(**c) for a, c in counts.items()}
