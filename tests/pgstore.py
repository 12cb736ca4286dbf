"""Provides the school server's store on PostgreSQL for the tests: one cluster a session, a fresh database a test.

Not a test module. The cluster is `tests.district.pg.Cluster` (Debian's PostgreSQL, run as the
`postgres` user on loopback with trust authentication), started at the first test that asks
and stopped when the session ends (`atexit`). It runs with fsync and synchronous_commit off: the
tests are about what the server's SQL does, not the disk (the durability tests are the device's
and SQLite's). Once, the server's migrations are applied to a template database; each test then
gets `CREATE DATABASE … TEMPLATE` of it (a few tens of milliseconds) and it is dropped afterwards.

`BACKENDS` is what the server's tests are parametrized by; `target(backend, folder)` is what a
test opens (`ServerStore.open`, `[store] url`): the SQLite file in `folder`, or a fresh
PostgreSQL URL. Where PostgreSQL cannot be started (`tests.district.pg.missing`: no binaries, not
root, no psycopg) the PostgreSQL case is skipped with that reason.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.district.pg import OS_USER, Cluster, missing

BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "rollcall_server_template"
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200"}

_cluster: Cluster | None = None
_names = itertools.count(1)


def url(cluster: Cluster, dbname: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{cluster.port}/{dbname}"


def cluster() -> Cluster:
    """The session's cluster, started (and the template migrated) on first use; skips when it cannot be."""
    global _cluster
    reason = missing()
    if reason:
        pytest.skip(reason)
    if _cluster is None:
        root = Path(tempfile.mkdtemp(prefix="rollcall-pgstore-"))
        shutil.chown(root, OS_USER)
        folder = root / "store"
        folder.mkdir()
        shutil.chown(folder, OS_USER)
        found = Cluster("store", folder).init(1)
        with (found.data / "postgresql.conf").open("a") as f:
            f.write("".join(f"{key} = {value}\n" for key, value in FAST.items()))
        found.start()
        atexit.register(_stop, found, root)
        _admin(found, f'CREATE DATABASE "{TEMPLATE}"')
        from sync.store import ServerStore
        from tests.sync.conftest import TZ

        ServerStore.open(url(found, TEMPLATE), TZ).close()
        _cluster = found
    return _cluster


def _stop(found: Cluster, root: Path) -> None:
    try:
        if found.running():
            found.stop()
    except subprocess.CalledProcessError:
        pass
    shutil.rmtree(root, ignore_errors=True)


def _admin(found: Cluster, sql: str) -> None:
    import psycopg

    with psycopg.connect(found.dsn(), autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database (its URL), dropped afterwards."""
    found = cluster()
    name = f"rollcall_test_{next(_names)}"
    _admin(found, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    try:
        yield url(found, name)
    finally:
        _admin(found, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def target(backend: str, folder: Path) -> Iterator[Path | str]:
    """What a test opens as the server's store on `backend`: a SQLite file in `folder`, or a PostgreSQL URL."""
    if backend == "sqlite":
        yield folder / "server.sqlite3"
    else:
        with database() as found:
            yield found


def rows(store: Path | str, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    """`sql`'s rows read from the server's store on its own read-only connection (either back end)."""
    from sync.db import connect

    db = connect(store, readonly=True)
    try:
        return [tuple(row) for row in db.execute(sql, params)]
    finally:
        db.close()


def dicts(store: Path | str, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    """`rows`, each a dict by column name."""
    from sync.db import connect

    db = connect(store, readonly=True)
    try:
        cursor = db.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]
    finally:
        db.close()


def tables(store: Path | str) -> list[str]:
    """The store's tables (either back end)."""
    if isinstance(store, Path):
        return [name for (name,) in rows(store, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [name for (name,) in rows(store, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
