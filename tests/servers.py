"""Real servers the tests start on 127.0.0.1 and stop after: a Redis server (Debian's
`redis-server`) and a PostgreSQL server (Debian's `postgresql`), both installed by
scripts/test. Without the program the tests that need it are skipped with the reason, unless
HUB_REQUIRE_SERVERS=1 (set by scripts/test, so CI fails instead of skipping).

`postgres_server` is also what `python -m bench.lifecycle --store postgresql` starts."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def _missing(program: str) -> None:
    message = f"{program} not installed: run the suite with ./scripts/test"
    if os.environ.get("HUB_REQUIRE_SERVERS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A running redis-server: its URL; `restart` stops it and starts it again (no data)."""

    def __init__(self, program: str, folder: Path) -> None:
        self.program, self.folder = program, folder
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self._process.poll() is not None or time.monotonic() > deadline:
                self._process.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


def _running(make: Callable[[Path], Any], prefix: str) -> Iterator[Any]:
    """A server `make` builds in a fresh folder, started; stopped and its folder removed after."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        server = make(folder)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A Redis server of its own (no persistence) in a fresh folder; stopped after."""
    program = shutil.which("redis-server")
    if program is None:
        _missing("redis-server")
        raise AssertionError  # unreachable
    yield from _running(lambda folder: RedisServer(program, folder), "hub-redis-")


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    """A Redis server of its own for the session (a test may restart it)."""
    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(redis: RedisServer) -> str:
    """The session's Redis server, as a redis:// URL."""
    return redis.url


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server's programs (Debian keeps them per version)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)  # fmt: skip
    if found:
        return found[-1].parent
    program = shutil.which("pg_ctl")
    return Path(program).parent if program else None


@contextmanager
def postgres_server(*, durable: bool = False) -> Iterator[str]:
    """A PostgreSQL server of its own in a fresh folder, as the URL of its `postgres`
    database; stopped and removed after. `durable=False` turns off fsync (tests); the
    benchmark runs with the defaults (fsync=on, synchronous_commit=on)."""
    programs = postgres_bin()
    if programs is None:
        _missing("postgresql")
        raise AssertionError  # unreachable: _missing fails or skips
    # The server refuses to run as root: as root, it runs as the `postgres` user, in a folder
    # that user owns (pytest's own temporary folders are private to root).
    folder = Path(tempfile.mkdtemp(prefix="hub-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        folder.chmod(0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"
    subprocess.run([*as_user, str(programs / "initdb"), "-D", str(data), "-U", "postgres",
                    "-A", "trust", "-E", "UTF8", "--no-sync"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-l",
                    str(folder / "server.log"), "-w", "-t", "60", "-o", options, "start"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "-w", "stop"], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Create an empty database on the server; its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The session's PostgreSQL server (its `postgres` database)."""
    with postgres_server() as url:
        yield url


_databases = itertools.count(1)


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """An empty database of its own for one test."""
    return fresh_database(postgres_url, f"t{next(_databases)}")


@pytest.fixture(name="database", params=["sqlite", "postgresql"])
def both_databases(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The `database` fixture for modules whose tests run on both databases (import it)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "hub.sqlite3")


# -- Apache Kafka ------------------------------------------------------------------------
# A real broker (KRaft, broker and controller in one JVM) from Maven Central's jars, resolved
# once with Maven into .cache/kafka (git-ignored); facts in ../shared/research/
# distributed-infra.md. Auto-creation of topics is off (the hub creates its topics with their
# partition counts) and the group session may be as short as 1 s (fast failover tests).

KAFKA_VERSION = "4.4.0"
LOG4J_VERSION = "2.25.5"  # the version Kafka's own server module brings
_POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.hub</groupId><artifactId>kafka-broker-libs</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version><scope>runtime</scope></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>{LOG4J_VERSION}</version><scope>runtime</scope></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId>
      <version>{LOG4J_VERSION}</version><scope>runtime</scope></dependency>
  </dependencies>
</project>
"""
_LOG4J = """status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = INFO
"""
_SERVER = """process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=16777216
"""
ROOT = Path(__file__).resolve().parents[1]


def kafka_libs() -> Path | None:
    """The broker's jars, resolved from Maven Central on first use (None: no Java or Maven)."""
    libs = ROOT / ".cache" / "kafka" / f"libs-{KAFKA_VERSION}"
    if (libs / ".complete").exists():
        return libs
    if shutil.which("mvn") is None or shutil.which("java") is None:
        return None
    work = libs.parent
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(_POM, encoding="utf-8")
    subprocess.run(
        ["mvn", "-B", "-ntp", "-q", f"-Dmaven.repo.local={work / 'm2'}", "-f",
         str(work / "pom.xml"),
         "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies",
         "-DincludeScope=runtime", f"-DoutputDirectory={libs}"],
        check=True,
    )  # fmt: skip
    (libs / ".complete").touch()
    return libs


def _cluster_id() -> str:
    import base64
    import uuid

    while True:  # KRaft's own form: URL-safe base64 of 16 random bytes, not starting with "-"
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


class KafkaBroker:
    """A running broker: its bootstrap address; `stop`/`start` restart it on its data."""

    def __init__(self, libs: Path, folder: Path) -> None:
        self.folder = folder
        self.port, self.controller = _free_port(), _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        (folder / "log4j2.properties").write_text(_LOG4J, encoding="utf-8")
        (folder / "server.properties").write_text(
            _SERVER.format(port=self.port, controller=self.controller, data=folder / "data"),
            encoding="utf-8",
        )
        self._java = [
            "java", "-Djava.awt.headless=true", "-Djava.net.preferIPv4Stack=true",
            "-Dlog4j.shutdownHookEnabled=false",
            f"-Dlog4j2.configurationFile={folder / 'log4j2.properties'}", "-cp", f"{libs}/*",
        ]  # fmt: skip
        subprocess.run(
            [*self._java[:1], "-Xmx256m", "-XX:TieredStopAtLevel=1", *self._java[1:],
             "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c",
             str(folder / "server.properties")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> None:
        log = self.folder / "server.log"
        started = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            self._process = subprocess.Popen(
                [*self._java[:1], "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
                 "-XX:+ExitOnOutOfMemoryError", f"-Dkafka.logs.dir={self.folder / 'logs'}",
                 *self._java[1:], "kafka.Kafka", str(self.folder / "server.properties")],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while b"Kafka Server started" not in log.read_bytes()[started:]:
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_bytes()[-3000:].decode(errors="replace")
                self.stop()
                raise RuntimeError(f"the Kafka broker did not start:\n{tail}")
            time.sleep(0.1)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def kill(self) -> None:
        """Stop it the hard way (SIGKILL), as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None


@contextmanager
def kafka_server() -> Iterator[KafkaBroker]:
    """A broker of its own in a fresh folder; stopped and removed after."""
    libs = kafka_libs()
    if libs is None:
        _missing("java and maven (for the Kafka broker)")
        raise AssertionError  # unreachable
    yield from _running(lambda folder: KafkaBroker(libs, folder), "hub-kafka-")


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaBroker]:
    """The session's Kafka broker (tests use topics and groups of their own names)."""
    with kafka_server() as broker:
        yield broker


# -- OpenSearch ----------------------------------------------------------------------------
# The scale-out search engine a province runs (research/library.md): the integ-test zip from
# Maven Central (core and transport-netty4 only; the hub sends its own bigram and word terms,
# so the core `whitespace` analyzer is all it needs), run with the machine's Java 17 as
# `nobody` (OpenSearch refuses to run as root), one node, on loopback.

OPENSEARCH_VERSION = "2.19.4"


def opensearch_home() -> Path | None:
    """The unpacked distribution, fetched on first use (None: no Java or Maven)."""
    home = ROOT / ".cache" / "opensearch" / f"opensearch-{OPENSEARCH_VERSION}"
    if (home / ".complete").exists():
        return home
    if shutil.which("mvn") is None or shutil.which("java") is None:
        return None
    work = home.parent
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mvn", "-B", "-ntp", "-q", f"-Dmaven.repo.local={work / 'm2'}",
         "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy",
         f"-Dartifact=org.opensearch.distribution.integ-test-zip:opensearch:{OPENSEARCH_VERSION}:zip",
         f"-DoutputDirectory={work}"],
        check=True, cwd=work,
    )  # fmt: skip
    shutil.unpack_archive(work / f"opensearch-{OPENSEARCH_VERSION}.zip", work)
    for script in (home / "bin").iterdir():  # a zip keeps no file modes
        script.chmod(0o755)
    (home / ".complete").touch()
    return home


def _java_home() -> str:
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = Path(shutil.which("java") or "/usr/bin/java").resolve()
    return str(java.parent.parent)


class OpenSearchServer:
    """A running single-node OpenSearch: its URL."""

    def __init__(self, home: Path, folder: Path) -> None:
        self.home, self.folder = home, folder
        self.port, self.transport = _free_port(), _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180) -> None:
        # Its own copy of the configuration and folders, owned by `nobody` (the unpacked
        # distribution stays root's and read-only to it).
        config = self.folder / "config"
        shutil.copytree(self.home / "config", config)
        options = (
            config / "jvm.options"
        )  # its files relative to the home: here, where nobody writes
        options.write_text(options.read_text(encoding="utf-8").replace(
            "logs/", f"{self.folder}/logs/").replace("=data", f"={self.folder}/data"), encoding="utf-8")  # fmt: skip
        for name in ("data", "logs", "tmp"):
            (self.folder / name).mkdir()
        self.folder.chmod(0o755)
        for path in [self.folder, *self.folder.rglob("*")]:
            os.chown(path, 65534, 65534)
        env = {**os.environ, "OPENSEARCH_JAVA_HOME": _java_home(), "OPENSEARCH_PATH_CONF": str(config),
               "OPENSEARCH_JAVA_OPTS": "-Xms256m -Xmx512m", "OPENSEARCH_TMPDIR": str(self.folder / "tmp"),
               "HOME": str(self.folder)}  # fmt: skip
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                   str(self.home / "bin" / "opensearch"), "-Ediscovery.type=single-node",
                   f"-Ehttp.port={self.port}", f"-Etransport.port={self.transport}",
                   "-Enetwork.host=127.0.0.1", f"-Epath.data={self.folder / 'data'}",
                   f"-Epath.logs={self.folder / 'logs'}", "-Ecluster.routing.allocation.disk.threshold_enabled=false"]  # fmt: skip
        log = self.folder / "server.log"
        with log.open("ab") as out:
            self._process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                             start_new_session=True, cwd=self.folder)  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_bytes()[-3000:].decode(errors="replace")
                    self.stop()
                    raise RuntimeError(f"OpenSearch did not start:\n{tail}") from None
                time.sleep(0.5)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, 15)
            process.wait(30)
        except ProcessLookupError:
            pass  # it had stopped
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(10)


@pytest.fixture(scope="session")
def opensearch() -> Iterator[OpenSearchServer]:
    """The session's OpenSearch node (tests use indexes of their own names)."""
    home = opensearch_home()
    if home is None or shutil.which("setpriv") is None:
        _missing("java, maven and setpriv (for OpenSearch)")
    assert home is not None
    yield from _running(lambda folder: OpenSearchServer(home, folder), "hub-opensearch-")
