"""Which deliveries a delivery worker works on: those to the accounts whose key
(`channel:account`, as the relay keys `<prefix>.deliveries`) falls in the partitions Kafka
assigned to it in the consumer group `<prefix>-delivery`. One account's deliveries, its rate
limit and its order live in one worker; when a worker stops, its partitions move to the
others within the group's session timeout."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from hub.distributed.liveness import Liveness
from hub.distributed.topics import partition_of
from hub.setup.directory import Directory
from workflows.publication import Channel, Target


def account_key(channel: str, account: str) -> str:
    return f"{channel}:{account}"


class AccountShare:
    """The accounts of the partitions this worker owns (`assign` follows the group)."""

    def __init__(self, directory: Directory, partitions: int, liveness: Liveness) -> None:
        self.partitions = partitions
        self.liveness = liveness
        targets = [(str(Channel.WEBSITE), site.code) for site in directory.sites] + [
            (str(a.channel), a.id) for a in directory.accounts
        ]
        self._by_partition: dict[int, list[tuple[str, str]]] = {}
        for channel, account in targets:
            p = partition_of(account_key(channel, account).encode(), partitions)
            self._by_partition.setdefault(p, []).append((channel, account))
        self._lock = threading.Lock()
        self.owned: frozenset[int] = frozenset()
        self._accounts: list[str] = []

    def assign(self, partitions: Iterable[int]) -> None:
        with self._lock:
            self.owned = frozenset(partitions)
            self._accounts = sorted(
                {a for p in self.owned for _, a in self._by_partition.get(p, [])}
            )

    def accounts(self) -> list[str]:
        return self._accounts

    def owns(self, target: Target) -> bool:
        key = account_key(str(target.channel), target.account)
        return partition_of(key.encode(), self.partitions) in self.owned

    def gone(self, worker: str) -> bool:
        return not self.liveness.alive(worker)

    def may_call(self) -> bool:
        return self.liveness.current()
