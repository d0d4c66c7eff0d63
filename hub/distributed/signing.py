"""Bus messages signed by the relay, checked by the projection workers.

A projection worker folds what it reads from Kafka into the read models every screen shows;
without a check, anyone able to write to the topic (a leaked client credential, a
misconfigured ACL) could put an article on a list as published or a delivery as done. The
relay signs each message's value with HMAC-SHA256 and appends the signature as the envelope's
last field, `"sig"` (64 hex digits over the value without it: still one JSON object, which
other consumers read as before; a Kafka header cost the relay a tenth of its throughput in
kafka-python's pure-Python record building, this costs ~3 µs a message). A worker folds only
messages whose signature verifies and logs the others (`worker.unsigned_message`); what a
refused message claimed, the store supplies if it is true: a stream's next genuine event finds
the gap and reads it from the store.

The key is made once, at random, and kept in the event store's database (table `bus_keys`):
every process of every machine reaches it with no file to copy, and whoever can write there
can write events anyway. Kafka's own ACLs (only the relay's principal may produce to
`<prefix>.events`) remain the first defence; this is the second."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from events.recorder import Column, Table
from events.store import EventStore

BUS_KEYS = Table("bus_keys", (Column("name", key=True), Column("secret", required=True)))
_KEY = "bus"
_MARK = b',"sig":"'
_TAIL = len(_MARK) + 64 + 2  # ,"sig":"<64 hex>"}


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

    def _mac(self, value: bytes) -> bytes:
        return hmac.new(self._key, value, hashlib.sha256).hexdigest().encode()

    def signed(self, value: bytes) -> bytes:
        """`value` (a JSON object) with its signature as its last field."""
        return value[:-1] + _MARK + self._mac(value) + b'"}'

    def verifies(self, value: bytes) -> bool:
        """Whether `value` ends with this key's signature of the rest."""
        if len(value) <= _TAIL or value[-_TAIL : -_TAIL + len(_MARK)] != _MARK:
            return False
        if not value.endswith(b'"}'):
            return False
        return hmac.compare_digest(value[-66:-2], self._mac(value[:-_TAIL] + b"}"))
