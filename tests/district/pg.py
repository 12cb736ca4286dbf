"""Provides real PostgreSQL servers on loopback for the district's tests: Debian's `postgresql`, one per cluster.

Not a test module. Each `Cluster` is its own `initdb` in a temporary folder, owned by the
`postgres` user (the server refuses to run as root), listening on 127.0.0.1 at a free port with
trust authentication (loopback, test only) and its socket in its own folder. Sized for N schools:
`wal_level = logical`, and replication slots, WAL senders and logical replication workers for N
subscriptions plus a few spare. `wal_retrieve_retry_interval` is 200 ms (5 s by default) so a
subscription whose school comes back reconnects within a test's patience.

`clusters` skips, with the reason, when the binaries, root (to run them as `postgres`) or psycopg
are missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BIN = Path(os.environ.get("ROLLCALL_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"


def settings(schools: int) -> dict[str, str]:
    """What a cluster needs to publish to, or subscribe from, `schools` schools (the README's numbers)."""
    spare = 4
    return {
        "listen_addresses": "'127.0.0.1'",
        "wal_level": "logical",
        "max_replication_slots": str(schools + spare),
        "max_wal_senders": str(schools + spare),
        "max_logical_replication_workers": str(schools + spare),
        "max_sync_workers_per_subscription": "2",
        "max_worker_processes": str(schools + spare + 8),
        "wal_retrieve_retry_interval": "'200ms'",
        "shared_buffers": "'32MB'",
        "max_connections": "50",
    }


def missing() -> str:
    """Why real PostgreSQL servers cannot be started here, or "" when they can."""
    if not (BIN / "initdb").exists():
        return f"no PostgreSQL at {BIN} (apt-get install -y postgresql)"
    if os.geteuid() != 0:
        return "not root: the test runs PostgreSQL as the `postgres` user and needs root to become it"
    if shutil.which("runuser") is None:
        return "no runuser (util-linux)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "no psycopg (pip install 'rollcall[district]')"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", OS_USER, "--", *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass
class Cluster:
    name: str
    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname} connect_timeout=5"

    def init(self, schools: int) -> Cluster:
        _as_postgres(BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8")  # fmt: skip
        conf = "\n".join(f"{key} = {value}" for key, value in settings(schools).items())
        with (self.data / "postgresql.conf").open("a") as f:
            f.write(f"\n# tests/district/pg.py\n{conf}\nunix_socket_directories = '{self.root}'\n")
        return self

    def start(self) -> None:
        _as_postgres(BIN / "pg_ctl", "-D", self.data, "-l", self.root / "log", "-w", "-t", "30",
                     "-o", f"-p {self.port}", "start")  # fmt: skip

    def stop(self) -> None:
        _as_postgres(BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, dbname: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')  # a test's own constant name
        return self.dsn(dbname)

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def clusters(*names: str, schools: int = 2) -> Iterator[dict[str, Cluster]]:
    """Started clusters by name, stopped and removed afterwards; skips the test when that cannot be done."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="rollcall-pg-"))
    shutil.chown(root, OS_USER)
    started: dict[str, Cluster] = {}
    try:
        for name in names:
            folder = root / name
            folder.mkdir()
            shutil.chown(folder, OS_USER)
            cluster = Cluster(name, folder).init(schools)
            cluster.start()
            started[name] = cluster
        yield started
    finally:
        for cluster in started.values():
            if cluster.running():
                try:
                    cluster.stop()
                except subprocess.CalledProcessError:
                    pass  # already stopping: the folder goes anyway
        shutil.rmtree(root, ignore_errors=True)


def wait_for(check: object, timeout: float = 30.0, every: float = 0.02) -> float:
    """Poll `check()` until true; the seconds it took. Raises AssertionError at the timeout."""
    start = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(every)
    return time.monotonic() - start
