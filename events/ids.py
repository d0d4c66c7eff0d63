"""UUIDv7 identifiers (RFC 9562): time-ordered, so ids sort by creation time."""

import os
import random
import threading
import time
import uuid

_lock = threading.Lock()
# Ids need uniqueness, not secrecy: a fast generator seeded from the OS (re-seeded after fork).
_random = random.Random(os.urandom(16))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(16)))
_last_ms = 0
_counter = 0


def _next_stamp() -> tuple[int, int]:
    """The next (unix milliseconds, 12-bit counter) pair, monotonic within this process."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms = ms
            # Start low in the 12-bit space so many ids fit into one millisecond.
            _counter = _random.getrandbits(8)
        else:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        return ms, _counter


def _next_value() -> int:
    """The next UUIDv7 as an integer, monotonic within this process."""
    ms, rand_a = _next_stamp()
    rand_b = _random.getrandbits(62)
    return (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b


def uuid7() -> uuid.UUID:
    """Return a new UUIDv7, monotonic within this process (12-bit counter per millisecond)."""
    return uuid.UUID(int=_next_value())


_VARIANT = 0b10 << 62
_stamp_text = (-1, "")  # the last millisecond and its first 13 hex digits, with the dash


def new_id() -> str:
    """Return a new UUIDv7 as its canonical string, formatted field by field (ids are hot:
    the runner makes two or three a command; the millisecond's text is reused)."""
    global _stamp_text
    ms, rand_a = _next_stamp()
    stamp = _stamp_text
    if stamp[0] != ms:
        h = ms.to_bytes(6, "big").hex()
        stamp = _stamp_text = (ms, f"{h[:8]}-{h[8:]}")
    version = (0x7000 | rand_a).to_bytes(2, "big").hex()
    tail = (_random.getrandbits(62) | _VARIANT).to_bytes(8, "big").hex()
    return f"{stamp[1]}-{version}-{tail[:4]}-{tail[4:]}"
