"""Bus messages signed by the relay, checked by the projection workers.

A projection worker folds what it reads from Kafka into the read models every screen shows;
without a check, anyone able to write to the topic (a leaked client credential, a
misconfigured ACL) could put an article on a list as published or a delivery as done. The
relay signs each message's value with HMAC-SHA256 (header `hub-sig`); a worker folds only
messages whose signature verifies and logs the others (`worker.unsigned_message`), which the
store then supplies: a stream's next genuine event finds the gap and reads it from the store.

The key is made once, at random, and kept in the event store's database (table `bus_keys`):
every process of every machine reaches it with no file to copy, and whoever can write there
can write events anyway. Kafka's own ACLs (only the relay's principal may produce to
`<prefix>.events`) remain the first defence; this is the second."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from events.recorder import Column, Table
from events.store import EventStore

HEADER = "hub-sig"
# A message's headers as Kafka clients give them: a mapping, or (name, value) pairs.
Headers = Mapping[str, Any] | Iterable[tuple[str, Any]] | None
BUS_KEYS = Table("bus_keys", (Column("name", key=True), Column("secret", required=True)))
_KEY = "bus"


def bus_key(store: EventStore) -> bytes:
    """The signing key (made by whichever process asks first; the others read that one)."""
    with store.subscriber_transaction("bus-keys") as tx:
        tx.create(BUS_KEYS)
        tx.insert_new(BUS_KEYS, [(_KEY, secrets.token_hex(32))])
        stored = tx.rows(BUS_KEYS, {"name": _KEY}, ("secret",))
    return bytes.fromhex(str(stored[0][0]))


class Signer:
    """Signs and checks message values with the bus key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, value: bytes) -> bytes:
        return hmac.new(self._key, value, hashlib.sha256).digest()

    def headers(self, value: bytes) -> list[tuple[str, bytes]]:
        return [(HEADER, self.sign(value))]

    def verifies(self, value: bytes, headers: Headers) -> bool:
        """Whether the message carries this key's signature of `value`."""
        found = dict(headers or {}).get(HEADER)
        if isinstance(found, str):
            found = found.encode("latin-1")
        return isinstance(found, bytes) and hmac.compare_digest(found, self.sign(value))
