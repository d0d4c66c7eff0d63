"""Tamper evidence of the stored log, on both databases: every event is chained (per stream and
in global order) and sealed; the database refuses to change or remove events; and whatever
is done to the stored rows behind the store's back — even with its triggers dropped, even with
the hashes recomputed — `verify_store` reports, naming the first event that does not verify.
An export bundle verifies on its own, with a verifier that needs neither the hub nor the
database."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import integrity
from events.audit_trail import export_bundle, verify_store
from events.envelope import Actor, NewEvent
from events.ids import new_id
from events.integrity import (
    FIELDS,
    ZERO,
    AuditKey,
    Chainer,
    IntegrityReport,
    chain_link,
    digest,
    digest_encoded,
    stream_link,
    verify_bundle,
)
from events.sql_store import SQLEventStore
from events.store import AppendResult, ConcurrencyConflict
from events.stores import is_postgresql, open_store
from tests.events.sample_events import Noted
from tests.servers import both_databases  # noqa: F401  (these tests run on both databases)

KEY = AuditKey("a secret kept in the secrets file")
STREAMS = ("article-a", "article-b", "article-c")


def build(location: str, key: AuditKey | None = KEY) -> SQLEventStore:
    """Twelve events over three streams, interleaved, sealed at 12; three more after."""
    store = open_store(location, durable=False, key=key)
    assert isinstance(store, SQLEventStore)
    for n in range(4):
        for stream in STREAMS:
            store.append(stream, [NewEvent(Noted(text=f"{stream} 第{n + 1}稿"),
                                           Actor("zhangwei", "editor"), "c")], n)  # fmt: skip
    assert (store.seal("2026-12-04T10:00:00+00:00") is not None) == (key is not None)
    for n, stream in enumerate(STREAMS):
        store.append(stream, [NewEvent(Noted(text=f"终审 {n}"), Actor("chenjing", "reviewer"),
                                       "c")], 4)  # fmt: skip
    return store


class Raw:
    """The database behind the store's back, as whoever has its file or its password."""

    def __init__(self, location: str) -> None:
        self.pg = is_postgresql(location)
        if self.pg:
            import psycopg

            self.conn: Any = psycopg.connect(location, autocommit=True)
        else:
            self.conn = sqlite3.connect(location, isolation_level=None)

    def __call__(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.pg:
            sql = sql.replace("?", "%s")
        cursor = self.conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def drop_triggers(self) -> None:
        if self.pg:
            self("DROP TRIGGER events_append_only ON events")
            self("DROP TRIGGER events_no_truncate ON events")
            self("DROP TRIGGER seals_append_only ON seals")
        else:
            for name in ("events_no_update", "events_no_delete", "seals_no_delete"):
                self(f"DROP TRIGGER {name}")

    def recompute(self) -> None:
        """Recompute every stream hash and chain hash after a change (the MACs cannot be)."""
        rows = self(f"SELECT {', '.join(FIELDS)}, global_position FROM events "
                    "ORDER BY stream_id, stream_version")  # fmt: skip
        links: dict[int, bytes] = {}
        stream, previous = None, ZERO
        for row in rows:
            if row[1] != stream:
                stream, previous = row[1], ZERO
            previous = stream_link(previous, digest(row))
            links[int(row[len(FIELDS)])] = previous
        chain = ZERO
        for position in sorted(links):
            chain = chain_link(chain, position, links[position])
            self("UPDATE events SET stream_hash = ?, chain_hash = ? WHERE global_position = ?",
                 links[position], chain, position)  # fmt: skip

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def log(database: str) -> Iterator[tuple[SQLEventStore, Raw]]:
    store = build(database)
    raw = Raw(database)
    yield store, raw
    raw.close()
    store.close()


def first(report: IntegrityReport) -> tuple[int, str]:
    assert not report.ok
    found = report.first
    assert found is not None
    return found.position, found.code


def test_appends_are_chained_and_verify(log: tuple[SQLEventStore, Raw], database: str) -> None:
    store, _ = log
    report = verify_store(store, KEY)
    assert report.ok, report.findings
    assert (report.events, report.streams, report.seals, report.sealed_up_to) == (15, 3, 1, 12)
    # Another handle on the same log (another process) appends after this one: one chain.
    other = open_store(database, durable=False, key=KEY)
    other.append("article-a", [NewEvent(Noted(text="x"), Actor("u", "editor"), "c")], 5)
    store.append("article-b", [NewEvent(Noted(text="y"), Actor("u", "editor"), "c")], 5)
    store.append("article-d", [NewEvent(Noted(text="z"), Actor("u", "editor"), "c")], 0)
    # Again, with a batch of appends (group commit) after the other handle's: the first insert
    # finds its positions taken, the batch links after the other handle's events.
    other.append("article-c", [NewEvent(Noted(text=t), Actor("u", "editor"), "c") for t in "vw"], 5)
    outcomes = store.append_many([
        (stream, [NewEvent(Noted(text=f"{stream} 批"), Actor("u", "editor"), "c")], version)
        for stream, version in (("article-a", 6), ("article-b", 6), ("article-e", 0))])  # fmt: skip
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    other.close()
    report = verify_store(store, KEY)
    assert report.ok and report.events == 23, report.findings


def test_the_database_refuses_to_change_or_remove_events(log: tuple[SQLEventStore, Raw]) -> None:
    _, raw = log
    errors = (sqlite3.DatabaseError,) if not raw.pg else (Exception,)
    for statement in ("UPDATE events SET payload = '{}' WHERE global_position = 3",
                      "DELETE FROM events WHERE global_position = 3",
                      "DELETE FROM seals"):  # fmt: skip
        with pytest.raises(errors, match="append-only"):
            raw(statement)
    if raw.pg:
        with pytest.raises(errors, match="append-only"):
            raw("TRUNCATE events")
    assert raw("SELECT COUNT(*) FROM events") == [(15,)]


FIELD_REWRITES = {
    "payload": "UPDATE events SET payload = replace(payload, '第2稿', '第9稿') "
               "WHERE global_position = 5",
    "actor": "UPDATE events SET actor_id = 'liting' WHERE global_position = 5",
    "time": "UPDATE events SET occurred_at = '2020-01-01T00:00:00+00:00' "
            "WHERE global_position = 5",
    "type": "UPDATE events SET type = 'Other' WHERE global_position = 5",
}  # fmt: skip


@pytest.mark.parametrize("field", FIELD_REWRITES)
def test_a_rewritten_field_names_its_event(log: tuple[SQLEventStore, Raw], field: str) -> None:
    store, raw = log
    raw.drop_triggers()
    raw(FIELD_REWRITES[field])
    assert first(verify_store(store, KEY)) == (5, "CONTENT_CHANGED")


def test_a_rewrite_with_every_hash_recomputed_is_still_named(
    log: tuple[SQLEventStore, Raw],
) -> None:
    store, raw = log
    raw.drop_triggers()
    raw(FIELD_REWRITES["payload"])
    raw.recompute()
    report = verify_store(store, KEY)
    assert first(report) == (5, "MAC_MISMATCH")  # the chain holds; the seal of event 5 not
    assert {(f.position, f.code) for f in report.findings} >= {(12, "CHECKPOINT_MISMATCH")}
    # Without the key (an auditor): the signed checkpoint at 12 no longer holds.
    assert first(verify_store(store, None)) == (12, "CHECKPOINT_MISMATCH")


def test_a_deleted_event_is_named(
    log: tuple[SQLEventStore, Raw],
) -> None:
    store, raw = log
    raw.drop_triggers()
    raw("DELETE FROM events WHERE global_position = 5")
    position, code = first(verify_store(store, KEY))
    assert position == 6 and code == "POSITION_GAP"
    found = {(f.position, f.code) for f in verify_store(store, KEY).findings}
    assert {(6, "CHAIN_BROKEN"), (8, "STREAM_GAP")} <= found  # event 5 was article-b's second


def test_a_reordered_log_is_named_where_it_changed(log: tuple[SQLEventStore, Raw]) -> None:
    store, raw = log
    raw.drop_triggers()
    for old, new in ((5, 1000), (9, 5), (1000, 9)):  # swap events 5 and 9 (other streams)
        raw("UPDATE events SET global_position = ? WHERE global_position = ?", new, old)
    assert first(verify_store(store, KEY)) == (5, "CHAIN_BROKEN")
    raw.recompute()  # and every hash recomputed to match the new order
    assert first(verify_store(store, KEY)) == (5, "MAC_MISMATCH")


def test_an_inserted_event_is_named(log: tuple[SQLEventStore, Raw]) -> None:
    store, raw = log
    columns = ", ".join(FIELDS)
    raw(f"INSERT INTO events ({columns}, global_position) SELECT 'forged', stream_id, 6, type, "
        f"schema_version, occurred_at, 'chenjing', actor_role, correlation_id, causation_id, "
        f"payload, via, 16 FROM events WHERE global_position = 15")  # fmt: skip
    assert first(verify_store(store, KEY)) == (16, "UNSEALED")
    raw.drop_triggers()
    raw.recompute()  # the forger links it into the chains: it still has no seal
    assert first(verify_store(store, KEY)) == (16, "SEAL_MISSING")


def test_a_truncated_log_and_a_forged_checkpoint_are_reported(
    log: tuple[SQLEventStore, Raw],
) -> None:
    store, raw = log
    raw.drop_triggers()
    raw("INSERT INTO seals (position, chain_hash, sealed_at, key, signature) "
        "SELECT 15, chain_hash, '2026-12-04T11:00:00+00:00', 'x', chain_hash FROM events "
        "WHERE global_position = 15")  # fmt: skip
    assert first(verify_store(store, KEY)) == (15, "SEAL_FORGED")
    raw("DELETE FROM seals WHERE position = 15")
    raw("DELETE FROM events WHERE global_position > 9")
    report = verify_store(store, None)
    assert [f.code for f in report.findings] == ["TRUNCATED"]


def test_a_store_made_before_the_chains_is_linked_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = build(str(path), key=None)
    store.close()
    raw = Raw(str(path))
    raw.drop_triggers()
    raw("DROP TRIGGER seals_no_update")
    raw("DROP TABLE seals")
    for column in ("stream_hash", "chain_hash", "mac"):
        raw(f"ALTER TABLE events DROP COLUMN {column}")
    raw.close()
    store = open_store(str(path), key=KEY)
    assert isinstance(store, SQLEventStore)
    report = verify_store(store, KEY)
    assert report.ok and report.events == 15, report.findings
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        Raw(str(path))("DELETE FROM events")
    store.close()


def test_an_export_bundle_verifies_on_another_machine(
    log: tuple[SQLEventStore, Raw], tmp_path: Path
) -> None:
    store, _ = log
    bundle = tmp_path / "audit.zip"
    held = export_bundle(store, KEY, bundle)
    assert held["events"] == 15 and held["seals"] == 2  # the export seals the head first
    assert verify_bundle(bundle).ok
    # The bundle's own verifier, alone in an empty folder: no hub, no database.
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    with zipfile.ZipFile(bundle) as archive:
        archive.extract("verify.py", elsewhere)
    shutil.copy(bundle, elsewhere / "audit.zip")
    done = subprocess.run([sys.executable, "-I", "verify.py", "audit.zip", KEY.public_key.hex()],
                          cwd=elsewhere, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and "完整性核验通过" in done.stdout, done.stdout + done.stderr
    # One event edited inside the bundle: found, by the verifier and by `verify_bundle`.
    tampered = elsewhere / "tampered.zip"
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(tampered, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "events.jsonl":
                lines = data.decode().splitlines()
                row = json.loads(lines[6])
                row[6] = "liting"  # the actor of event 7
                lines[6] = json.dumps(row, ensure_ascii=False)
                data = ("\n".join(lines) + "\n").encode()
            out.writestr(item, data)
    assert first(verify_bundle(tampered)) == (7, "CONTENT_CHANGED")
    done = subprocess.run([sys.executable, "-I", "verify.py", "tampered.zip"], cwd=elsewhere,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1 and "第 7 个事件" in done.stdout, done.stdout
    # Signed with another key: the auditor's key does not match.
    assert first(verify_bundle(bundle, AuditKey("another").public_key))[1] == "SEAL_FORGED"


# -- whatever the tampering, it is found ---------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("log") / "log.sqlite3"
    build(str(path)).close()
    return path


TAMPERINGS = st.one_of(
    st.tuples(st.just("rewrite"), st.integers(1, 15), st.sampled_from(
        ["payload", "actor_id", "actor_role", "occurred_at", "type", "event_id", "stream_id",
         "correlation_id", "schema_version"])),
    st.tuples(st.just("delete"), st.integers(1, 14), st.just("")),
    st.tuples(st.just("swap"), st.integers(1, 14), st.just("")),
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tampering=TAMPERINGS, recompute=st.booleans())
def test_any_tampering_is_found_at_or_before_the_changed_event(
    template: Path, tmp_path: Path, tampering: tuple[str, int, str], recompute: bool
) -> None:
    path = tmp_path / f"copy-{abs(hash((tampering, recompute)))}.sqlite3"
    shutil.copy(template, path)
    raw = Raw(str(path))
    raw.drop_triggers()
    kind, position, column = tampering
    if kind == "rewrite":
        value = 9 if column == "schema_version" else "tampered"
        raw(f"UPDATE events SET {column} = ? WHERE global_position = ?", value, position)
    elif kind == "delete":
        raw("DELETE FROM events WHERE global_position = ?", position)
    else:
        later = position + 1
        for old, new in ((position, 1000), (later, position), (1000, later)):
            raw("UPDATE events SET global_position = ? WHERE global_position = ?", new, old)
    if recompute:
        raw.recompute()
    raw.close()
    store = open_store(str(path), key=KEY)
    assert isinstance(store, SQLEventStore)
    try:
        found, _ = first(verify_store(store, KEY))
        assert found <= position + 1
    finally:
        store.close()
        path.unlink()


_TEXT = st.text(max_size=40)
_ASCII = st.text(st.characters(max_codepoint=127), max_size=40)  # the encoder's usual fields
_LONG = st.text(min_size=1000, max_size=1100)  # around the prefix table's 1 KB
# ASCII fields whose length prefix has a byte above 127 (lengths 127–254, 383–510, …)
_ASCII_LONG = st.text(st.characters(max_codepoint=127), min_size=100, max_size=600)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), usual=st.booleans(), payload=_TEXT | _LONG)
def test_the_encoders_unrolled_digest_is_the_digest(
    data: st.DataObject, usual: bool, payload: str
) -> None:
    """Appending hashes with `digest_encoded`; an auditor recomputes with `digest`: any row the
    encoder can make must give both the same bytes, or a sound log would fail its audit.
    Half the rows are as the encoder's usually are (ASCII fields, small ints: the one-string
    way), now and then with a field that sends them the generic way."""
    if usual:
        text, number = _ASCII, st.integers(1, 1023) | st.sampled_from([-1, 0, 1])
    else:
        text, number = _TEXT, st.integers(1, 10**9)
    event_id, stream_id, type_name, occurred_at, actor_id, role, correlation = data.draw(
        st.lists(text, min_size=7, max_size=7)
    )
    version, schema = data.draw(number), data.draw(number)
    cause, via = data.draw(st.none() | text), data.draw(st.none() | text | _TEXT)
    row = [event_id, stream_id, version, type_name, schema, occurred_at, actor_id, role,
           correlation, cause, payload, via]  # fmt: skip
    long_field = data.draw(st.none() | st.sampled_from([0, 1, 3, 5, 6, 7, 8, 9, 11]))
    if long_field is not None:  # now and then one field (not the payload) much longer
        row[long_field] = data.draw(_LONG | _ASCII_LONG)
    utf8 = payload.encode()
    assert digest_encoded(row, utf8) == digest(row, utf8) == digest(row)


def test_the_usual_row_is_digested_in_one_string(monkeypatch: pytest.MonkeyPatch) -> None:
    """An append's usual row (ASCII ids, type, time and role; a Chinese payload given as
    UTF-8) does not take the generic way, so the property test above checks that way."""
    row = [new_id(), "article-" + new_id(), 3, "StageApproved", 1,
           "2026-12-05T10:00:00.123456+00:00", "zhangwei", "first_reviewer", new_id(), new_id(),
           "{}", "cli-token:7"]  # fmt: skip
    payload = '{"opinion":"同意发布"}'.encode()
    expected = digest(row, payload)
    monkeypatch.setattr(integrity, "digest", lambda *args: pytest.fail("took the generic way"))
    assert digest_encoded(row, payload) == expected


def test_the_writer_remembers_the_streams_it_wrote_last_within_its_limit() -> None:
    """The stream tips a writer keeps (to link an append without reading its stream) stay
    within the limit, dropping the streams written longest ago, a rewritten one kept."""
    chainer = Chainer(remembered=3)
    chainer.remember({"a": (1, b"a1"), "b": (1, b"b1"), "c": (1, b"c1")})
    chainer.remember({"a": (2, b"a2")})  # written again: now the most recent
    chainer.remember({"d": (1, b"d1")})
    assert chainer.tip("b") is None
    assert [chainer.tip(s) for s in "acd"] == [(2, b"a2"), (1, b"c1"), (1, b"d1")]
    chainer.remember({"e": (1, b"e1"), "f": (1, b"f1")})
    assert [chainer.tip(s) for s in "acdef"] == [None, None, (1, b"d1"), (1, b"e1"), (1, b"f1")]


def _note(text: str) -> NewEvent:
    return NewEvent(Noted(text=text), Actor("zhangwei", "editor"), "c")


def test_group_commits_with_conflicts_and_repeats_stay_one_chain(
    log: tuple[SQLEventStore, Raw],
) -> None:
    """Group commits holding appends that do not hold (a stale version, a retried append)
    between ones that do: the positions stay contiguous and every chain verifies."""
    store, _ = log
    retried = [_note("重发的稿件")]
    first_try = store.append("article-r", retried, 0)
    for round_ in range(3):
        appends: list[tuple[str, list[NewEvent], int]] = [
            (f"article-g{round_}-{i}", [_note(f"{i} 初稿"), _note(f"{i} 送审")], 0)
            for i in range(6)
        ]
        appends.insert(2, ("article-a", [_note("过时的版本")], 1))
        appends.insert(4, ("article-r", retried, 0))
        outcomes = store.append_many(appends)
        assert isinstance(outcomes[2], ConcurrencyConflict)
        repeat = outcomes[4]  # answered with its first result, not stored again
        assert isinstance(repeat, AppendResult) and repeat.replayed
        assert repeat.positions == first_try.positions
        assert all(isinstance(o, AppendResult) for i, o in enumerate(outcomes) if i not in (2, 4))
    clean = store.append_many([(f"article-h{i}", [_note("定稿")], 0) for i in range(5)])
    assert [o.positions for o in clean if isinstance(o, AppendResult)] == [
        (clean[0].positions[0] + i,)
        for i in range(5)  # type: ignore[union-attr]
    ]

    async def tasks() -> list[AppendResult]:
        return await asyncio.gather(*(store.append_async(f"article-t{i}", [_note("并发")], 0)
                                      for i in range(12)))  # fmt: skip

    assert len({r.positions for r in asyncio.run(tasks())}) == 12
    positions = [int(row[0]) for row in store.rows_by_position()]
    assert positions == list(range(1, len(positions) + 1)) and len(positions) == 15 + 1 + 36 + 17
    report = verify_store(store, KEY)
    assert report.ok, report.findings


def test_an_append_links_after_a_known_last_hash_only_at_its_expected_version() -> None:
    """Both stores ask the writer for the hash an append links after: zero for a new stream,
    the batch's own tip before the remembered one, nothing (read it) when neither is at the
    expected version."""
    chainer = Chainer()
    chainer.remember({"a": (2, b"a2"), "b": (1, b"b1")})
    assert chainer.previous("new", 0, {}) == ZERO
    assert chainer.previous("a", 2, {}) == b"a2"
    assert chainer.previous("a", 3, {"a": (3, b"a3")}) == b"a3"  # written earlier in the batch
    assert chainer.previous("a", 3, {}) is None  # another process wrote version 3
    assert chainer.previous("b", 2, {}) is None
    assert chainer.previous("unknown", 4, {}) is None
