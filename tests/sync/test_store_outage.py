"""The server's PostgreSQL unreachable: at start one clear line and a non-zero exit; lost mid-pull, the pull resumes alone.

Each test runs its own cluster (`tests.district.pg.clusters`), never the session's shared one
(`tests.pgstore`), since these stop it. Down at start is the real `rollcall server` in a child
process, for a port where nothing listens, a wrong password and a database that is not there:
exit 2, one line saying what is wrong, the URL in it without its password, no traceback (the
log's own "starting" record is a log record, not part of the error). Lost mid-run is a real
edge device and the real server in the test's process, pulling pages of 100 into the cluster;
the cluster is stopped (`-m immediate`: the connections cut, as a crash) while pages are being
stored, the device records more taps meanwhile, and the cluster is started again at the same port.

The password in the lost-mid-run URL is accepted by trust authentication and ignored; it is there
so the test sees it in no log line and no status. The last test holds that no background task of
the server ends during an outage (the view's refresh once ended the process at the first look).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from sync.db import Unavailable, redacted
from sync.server import REFRESH_EVERY
from sync.store import ServerStore
from tests.district.pg import BIN, Cluster, _as_postgres, clusters, free_port
from tests.sync.conftest import EVENING, TZ, Edge, caught_up, eventually, fill, server_config, start_server

PASSWORD = "right-horse-battery"  # the role's real password (the cases below send others)
HBA = """# tests/sync/test_store_outage.py: the superuser on trust (the test's own admin), every other role by password
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


@pytest.fixture(scope="module")
def guarded() -> Iterator[Cluster]:
    """A cluster of this module's own where the role `rollcall` must give its password, and owns `rollcall`."""
    import psycopg

    with clusters("guarded", schools=1) as found:
        cluster = found["guarded"]
        (cluster.data / "pg_hba.conf").write_text(HBA, encoding="utf-8")
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
            conn.execute(f"CREATE ROLE rollcall LOGIN PASSWORD '{PASSWORD}'")
            conn.execute("CREATE DATABASE rollcall OWNER rollcall")
        yield cluster


def _urls(cluster: Cluster) -> dict[str, str]:
    port = cluster.port
    return {
        "nothing_listens": f"postgresql://rollcall:{PASSWORD}@127.0.0.1:{free_port()}/rollcall",
        "wrong_password": f"postgresql://rollcall:not-the-password@127.0.0.1:{port}/rollcall",
        "no_such_database": f"postgresql://rollcall:{PASSWORD}@127.0.0.1:{port}/nowhere",
    }


CASES = ("nothing_listens", "wrong_password", "no_such_database")
WHY = {"nothing_listens": "Connection refused", "wrong_password": "password authentication failed",
       "no_such_database": 'database "nowhere" does not exist'}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_down_at_start_the_command_exits_with_one_line_naming_the_url_without_its_password(
    tmp_path: Path, guarded: Cluster, case: str
) -> None:
    url = _urls(guarded)[case]
    password = url.split(":")[2].split("@")[0]
    config = tmp_path / "server.toml"
    config.write_text(
        f'[server]\nid = "school"\ndata_dir = "data"\nlisten = "127.0.0.1:0"\n\n[store]\nurl = "{url}"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    result = subprocess.run(
        [sys.executable, "-m", "edge.cli", "--lang", "en", "server", "--config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and password not in result.stderr
    records = ("INFO ", "WARNING ")  # the log's own lines (the server's start, no API tokens)
    (line,) = [line for line in result.stderr.splitlines() if not line.startswith(records)]
    assert line.startswith("rollcall: error: ") and redacted(url) in line and WHY[case] in line, line
    assert not (tmp_path / "data" / "server.sqlite3").exists()  # no SQLite file quietly in its place


@pytest.mark.parametrize("case", CASES)
def test_down_at_start_opening_the_store_is_unavailable_without_the_password(
    guarded: Cluster, case: str
) -> None:
    url = _urls(guarded)[case]
    with pytest.raises(Unavailable) as raised:
        ServerStore.open(url, TZ)
    message = str(raised.value)
    assert message.startswith(redacted(url) + ": ") and "***" in message and "\n" not in message
    assert url.split(":")[2].split("@")[0] not in message


def _stop_immediately(cluster: Cluster) -> None:
    """As a crash: every backend cut at once, no checkpoint (the WAL replays at the next start)."""
    _as_postgres(BIN / "pg_ctl", "-D", cluster.data, "-m", "immediate", "-w", "stop")


def _died(caplog: pytest.LogCaptureFixture) -> set[str]:
    """The server's background tasks that ended with an error (`edge.web.serve.background` logs each)."""
    ending = "_failed: the process stops"
    return {m.removesuffix(ending) for r in caplog.records if (m := r.getMessage()).endswith(ending)}


FILLED = 6000  # events on the device before the pull: pages of 100, so the stop comes mid-pull
SECRET = "never-in-a-log"  # trust authentication takes and ignores it: there to be looked for


@contextmanager
def _own_store() -> Iterator[tuple[Cluster, str]]:
    """A cluster of the test's own and the URL of its empty database `rollcall` (the server migrates it)."""
    import psycopg

    with clusters("store", schools=1) as found:
        cluster = found["store"]
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE rollcall")
        yield cluster, f"postgresql://postgres:{SECRET}@127.0.0.1:{cluster.port}/rollcall"


async def test_lost_mid_pull_the_pull_resumes_alone_and_holds_every_event_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rollcall")
    with _own_store() as (cluster, url):
        edge = Edge(tmp_path / "edge")
        fill(edge.database, FILLED, EVENING.replace(hour=16))
        await edge.start()
        config = replace(server_config(tmp_path / "server", [("gate-1", edge.url)], batch=100), store_url=url)
        running = await start_server(config)
        status = running.school.statuses["gate-1"]
        try:
            await eventually(lambda: status.after >= 500, what="some pages stored")
            await asyncio.to_thread(_stop_immediately, cluster)
            assert status.after < FILLED, (
                "the pull ended before the cluster stopped: nothing was met mid-pull"
            )
            await edge.tap(7)  # recorded on the device while the server's database is down
            await eventually(lambda: status.errors["Unavailable"] >= 3, what="failed pulls, retried")
            assert status.state == "unreachable" and status.last_error.startswith("Unavailable: ")
            assert redacted(url) in status.last_error and SECRET not in status.last_error
            await asyncio.to_thread(cluster.start)
            await eventually(caught_up(running, edge), within=60, what="every event after the restart")
            held = running.held()
            assert len(held) == FILLED + 7 and {seq for _, _, seq, _ in held} == set(
                range(1, FILLED + 8)
            )  # once, no gap
            cursor = await running.school.writer.run(lambda store: store.cursor("gate-1"))
            assert cursor is not None and cursor.after == FILLED + 7 == max(
                seq for _, _, seq, _ in edge.held()
            )
            await eventually(lambda: status.state == "caught_up", what="the status to say it is caught up")
            _, health = await running.get("/api/v1/health")
            (device,) = health["devices"]
            assert device["errors"]["Unavailable"] >= 3 and device["after"] == FILLED + 7  # the outage, told
        finally:
            await running.client.close()
            await edge.stop()
    assert "pull-gate-1" not in _died(caplog)  # the puller's task lived through it
    failed = [m for r in caplog.records if (m := r.getMessage()).startswith("pull_failed device=gate-1")]
    assert sum("error=Unavailable: " in line for line in failed) >= 3, failed  # each failure logged
    assert not any(SECRET in r.getMessage() for r in caplog.records)


async def test_lost_while_caught_up_no_background_task_of_the_server_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rollcall")
    with _own_store() as (cluster, url):
        edge = await Edge(tmp_path / "edge").start()
        await edge.tap(3)
        config = replace(server_config(tmp_path / "server", [("gate-1", edge.url)]), store_url=url)
        running = await start_server(config)
        status = running.school.statuses["gate-1"]
        try:
            await eventually(caught_up(running, edge), what="the first taps")
            await asyncio.to_thread(_stop_immediately, cluster)
            await edge.tap(4, offset=3)
            await eventually(lambda: status.errors["Unavailable"] >= 2, what="failed pulls, retried")
            with contextlib.suppress(AssertionError):  # past REFRESH_EVERY, the view has looked at the store
                await eventually(lambda: _died(caplog), within=REFRESH_EVERY + 1, what="a task ended")
            await asyncio.to_thread(cluster.start)
            await eventually(caught_up(running, edge), within=60, what="the taps recorded during the outage")
        finally:
            await running.client.close()
            await edge.stop()
    assert _died(caplog) == set()


def test_without_the_driver_the_store_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as on a server installed without rollcall[district]
    with pytest.raises(Unavailable) as raised:
        ServerStore.open(f"postgresql://rollcall:{PASSWORD}@127.0.0.1:{free_port()}/rollcall", TZ)
    message = str(raised.value)
    assert "rollcall[district]" in message and PASSWORD not in message and "\n" not in message
