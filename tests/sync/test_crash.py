"""The real `rollcall server`, killed with SIGKILL in the middle of ingesting and started again, loses and doubles nothing.

The device runs in the test's process on loopback; the server is the command itself in a child
process, pulling pages of 100 so each run is killed mid-stream. After every kill the device's
acknowledgement (what it may purge) must not be ahead of what the server holds on disk.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

from tests.api.conftest import TOKENS
from tests.sync.conftest import TZ, Edge, eventually, fill, server_held


def _stored(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT COALESCE(MAX(after), 0) FROM streams").fetchone()
            return int(row[0])
    except sqlite3.Error:
        return 0


def _count(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def _acknowledged(edge: Edge) -> int:
    with sqlite3.connect(f"file:{edge.database}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'server_ack'").fetchone()
    return int(row[0]) if row else 0


def _write_config(folder: Path, url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "server.toml"
    path.write_text(
        "\n".join([
            "[server]", 'id = "school"', 'data_dir = "data"', 'listen = "127.0.0.1:0"', "",
            "[pull]", "batch = 100", "wait = 1", "timeout = 2", "backoff_first = 0.05", "backoff_most = 0.5", "",
            "[[devices]]", 'id = "gate-1"', f'url = "{url}"', f'token = "{TOKENS["server"]}"', "",
        ]),
        encoding="utf-8",
    )  # fmt: skip
    return path


async def _start(config: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edge.cli", "server", "--config", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def test_sigkill_in_the_middle_of_ingesting_then_a_restart_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    edge = Edge(tmp_path / "edge")
    fill(edge.database, 12_000, datetime.now(TZ) - timedelta(days=3))
    await edge.start()
    config = _write_config(tmp_path / "server", edge.url)
    database = tmp_path / "server" / "data" / "server.sqlite3"
    rng = random.Random(2026)
    try:
        for kill in range(4):  # killed four times, each after a different number of pages
            child = await _start(config)
            before, pages = _stored(database), rng.randint(3, 25)
            # At most the whole log: a child that ran on past its pages before the kill landed (a busy machine)
            # leaves fewer for the next run, and waiting for more than there is would never end.
            target = min(before + pages * 100, 12_000)
            await eventually(lambda target=target: _stored(database) >= target, every=0.005,  # type: ignore[misc]
                             within=30, what=f"run {kill}: the child to store {pages} pages")  # fmt: skip
            await asyncio.sleep(rng.uniform(0, 0.02))
            os.kill(child.pid, signal.SIGKILL)
            assert await child.wait() == -signal.SIGKILL
            assert (
                _acknowledged(edge) <= _stored(database) == _count(database)
            )  # never acknowledged ahead of the disk
            if kill == 0:
                assert _stored(database) < 12_000  # the first kill at least lands in the middle of the ingest
        await edge.tap(7)  # and taps recorded while the server was down
        child = await _start(config)
        await eventually(lambda: _stored(database) == 12_007, within=30, what="the last run to catch up")
        child.send_signal(signal.SIGTERM)
        assert await child.wait() == 0
        assert server_held(database) == edge.held()
        assert {seq for _, _, seq, _ in server_held(database)} == set(range(1, 12_008))
    finally:
        await edge.stop()
