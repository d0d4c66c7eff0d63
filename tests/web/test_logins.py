"""The login store: Argon2id hashes, lockout, session expiry, API tokens stored as digests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from channels.local_db import Place
from hub.web.logins import LOCKOUT, MAX_ADDRESS_FAILURES, MAX_FAILURES, SESSION_IDLE, LoginStore
from workflows.errors import DomainError

FAST = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)  # still Argon2id


def stored_bytes(logins: LoginStore, folder: Path) -> bytes:
    """Everything the store wrote: the SQLite file and its write-ahead log, or (in the shared
    database) every row of its tables as text."""
    files = list(folder.glob("logins.sqlite3*"))
    if files:
        return b"".join(p.read_bytes() for p in files)
    tables = ("passwords", "sessions", "api_tokens", "login_attempts")
    return "".join(
        repr(logins._db.execute(f"SELECT * FROM {table}").fetchall()) for table in tables
    ).encode()


@pytest.fixture
def logins(place: Callable[[str], Place]) -> Iterator[LoginStore]:
    store = LoginStore(place("logins"), FAST)
    store.set_password("zhangwei", "correct horse battery")
    yield store
    store.close()


def test_passwords_are_stored_as_argon2id_hashes(logins: LoginStore, tmp_path: Path) -> None:
    raw = stored_bytes(logins, tmp_path)
    assert b"$argon2id$" in raw and b"correct horse battery" not in raw
    assert logins.verify("zhangwei", "correct horse battery")
    assert not logins.verify("zhangwei", "wrong horse battery")
    assert not logins.verify("nobody", "correct horse battery")


def test_short_common_and_patterned_passwords_are_refused(logins: LoginStore) -> None:
    with pytest.raises(DomainError) as refused:
        logins.set_password("zhangwei", "short")
    assert refused.value.code == "PASSWORD_TOO_SHORT"
    for weak in ("1111111111", "1234567890", "qwertyuiop", "password123", "abcdefghij",
                 "zhangwei2026", "Zhangwei@2026", "iloveyou1234", "2026-12-03!!"):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            logins.set_password("zhangwei", weak, ("张伟",))
        assert refused.value.code == "PASSWORD_TOO_WEAK", weak
    logins.set_password("zhangwei", "mellow-Orbit-tangram-47")


def test_api_tokens_expire_and_die_with_a_password_change(logins: LoginStore) -> None:
    made, secret = logins.create_token("zhangwei", "脚本", timedelta(days=1))
    assert logins.token_user(secret) == "zhangwei"
    later = datetime.now(UTC) + timedelta(days=1, seconds=1)
    assert logins.token_user(secret, later) is None
    assert made.expires_at and datetime.fromisoformat(made.expires_at) > datetime.now(UTC)
    _, other = logins.create_token("zhangwei", "另一个")
    logins.set_password("zhangwei", "another long password")
    assert logins.token_user(other) is None
    with pytest.raises(DomainError):
        logins.create_token("zhangwei", "永久", timedelta(days=10_000))


def test_repeated_failures_lock_the_user_out_for_a_while(logins: LoginStore) -> None:
    now = datetime.now(UTC)
    for _ in range(MAX_FAILURES):
        assert not logins.verify("zhangwei", "guess guess guess", now)
    with pytest.raises(DomainError) as locked:
        logins.verify("zhangwei", "correct horse battery", now + timedelta(minutes=1))
    assert locked.value.code == "LOGIN_LOCKED"
    assert logins.verify("zhangwei", "correct horse battery", now + LOCKOUT + timedelta(seconds=1))


def test_failures_are_counted_in_a_window_and_a_success_is_not_a_failure(
    logins: LoginStore,
) -> None:
    now = datetime.now(UTC)
    for _ in range(MAX_FAILURES - 1):
        assert not logins.verify("zhangwei", "guess guess guess", now)
    for _ in range(3):
        assert logins.verify("zhangwei", "correct horse battery", now)
    assert not logins.verify("zhangwei", "guess guess guess", now)  # the fifth failure
    with pytest.raises(DomainError):
        logins.verify("zhangwei", "correct horse battery", now)
    logins.set_password("zhangwei", "another long password")  # an administrator's reset
    assert logins.verify("zhangwei", "another long password", now)


def test_parallel_guesses_never_check_more_than_the_limit(logins: LoginStore) -> None:
    """The count is taken before Argon2 runs: 40 threads guessing at once get at most
    MAX_FAILURES checks, and the right password afterwards is refused (still locked)."""
    checked, locked = [], []

    def guess() -> None:
        try:
            checked.append(logins.verify("zhangwei", "guess guess guess"))
        except DomainError as exc:
            locked.append(exc.code)

    with ThreadPoolExecutor(max_workers=40) as pool:
        for _ in range(40):
            pool.submit(guess)
    assert len(checked) == MAX_FAILURES and not any(checked)
    assert locked == ["LOGIN_LOCKED"] * (40 - MAX_FAILURES)
    with pytest.raises(DomainError):
        logins.verify("zhangwei", "correct horse battery")


def test_unknown_names_lock_the_same_way_and_addresses_have_their_own_limit(
    logins: LoginStore,
) -> None:
    answers = {}
    for name in ("zhangwei", "nobody-at-all"):
        for _ in range(MAX_FAILURES):
            assert not logins.verify(name, "guess guess guess")
        with pytest.raises(DomainError) as refused:
            logins.verify(name, "guess guess guess")
        answers[name] = (refused.value.code, refused.value.message)
    assert answers["zhangwei"] == answers["nobody-at-all"]
    for i in range(MAX_ADDRESS_FAILURES):
        assert not logins.verify(f"spray{i}", "guess guess guess", address="192.0.2.7")
    with pytest.raises(DomainError):
        logins.verify("fresh-name", "guess guess guess", address="192.0.2.7")
    assert not logins.verify("fresh-name", "guess guess guess", address="192.0.2.8")


def test_sessions_expire_when_idle_and_end_with_a_new_password(logins: LoginStore) -> None:
    session = logins.open_session("zhangwei")
    assert logins.session(session.token).user_id == "zhangwei"
    later = datetime.now(UTC) + SESSION_IDLE + timedelta(seconds=5)
    assert logins.session(session.token, later) is None
    again = logins.open_session("zhangwei")
    logins.set_password("zhangwei", "another long password")
    assert logins.session(again.token) is None
    assert logins.session("") is None and logins.session("forged") is None


def test_api_tokens_are_shown_once_and_stored_as_digests(
    logins: LoginStore, tmp_path: Path
) -> None:
    token, secret = logins.create_token("zhangwei", "发布脚本")
    assert logins.token_user(secret) == "zhangwei"
    assert token.token_id.encode() in stored_bytes(logins, tmp_path)
    assert secret.encode() not in stored_bytes(logins, tmp_path)
    assert logins.token_user(secret + "x") is None and logins.token_user("hubt_") is None
    logins.revoke_token(token.token_id)
    assert logins.token_user(secret) is None
    with pytest.raises(DomainError):
        logins.revoke_token(token.token_id)


def test_the_cli_sets_passwords_and_makes_tokens(config_dir: Path) -> None:
    def hub(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hub", "--config", str(config_dir), *args],
                              input=stdin, capture_output=True, text=True, timeout=120)  # fmt: skip

    assert (
        hub("passwd", "zhangwei", "--password-stdin", stdin="a long new password\n").returncode == 0
    )
    short = hub("passwd", "zhangwei", "--password-stdin", stdin="short\n")
    assert short.returncode != 0 and "PASSWORD_TOO_SHORT" in short.stdout + short.stderr
    weak = hub("passwd", "zhangwei", "--password-stdin", stdin="1111111111\n")
    assert weak.returncode != 0 and "PASSWORD_TOO_WEAK" in weak.stdout + weak.stderr
    assert "Traceback" not in weak.stderr
    unknown = hub("passwd", "nobody", "--password-stdin", stdin="a long new password\n")
    assert unknown.returncode != 0 and "USER_UNKNOWN" in unknown.stdout + unknown.stderr
    made = hub("token", "create", "--as", "zhangwei", "--name", "脚本", "--json")
    assert made.returncode == 0, made.stderr
    assert '"token": "hubt_' in made.stdout and '"expires_at": "' in made.stdout
    forever = hub("token", "create", "--as", "zhangwei", "--days", "1000")
    assert forever.returncode == 2  # refused by the option's range
    listed = hub("token", "list", "--json")
    assert "hubt_" not in listed.stdout and "zhangwei" in listed.stdout


def test_web_nodes_of_the_distributed_runtime_share_sessions_and_the_lockout(
    place: Callable[[str], Place],
) -> None:
    """Two web nodes (two connections to one store): a session opened on one is good on the
    other and ends on both; guesses spread over both nodes count once."""
    first, second = LoginStore(place("logins"), FAST), LoginStore(place("logins"), FAST)
    try:
        first.set_password("zhangwei", "correct horse battery")
        opened = first.open_session("zhangwei")
        seen = second.session(opened.token)
        assert seen is not None and seen.user_id == "zhangwei" and seen.csrf == opened.csrf
        second.close_session(opened.token)
        assert first.session(opened.token) is None
        for n in range(MAX_FAILURES):
            assert not (first if n % 2 else second).verify("zhangwei", "guess guess guess")
        with pytest.raises(DomainError):
            first.verify("zhangwei", "correct horse battery")
    finally:
        first.close()
        second.close()


def test_processes_opening_the_store_at_once_each_get_it_whole(
    place: Callable[[str], Place],
) -> None:
    """Web nodes and workers start together on one shared database: each opens the store
    (creating it, adding the columns of later releases) without tripping over the others."""
    where = place("logins")
    with ThreadPoolExecutor(max_workers=6) as pool:
        stores = list(pool.map(lambda _: LoginStore(where, FAST), range(6)))
    try:
        stores[0].set_password("zhangwei", "correct horse battery")
        made, secret = stores[1].create_token("zhangwei", "脚本")
        assert all(s.token_user(secret) == "zhangwei" for s in stores) and made.expires_at
    finally:
        for store in stores:
            store.close()
