"""A device offline for 7 days at 2,000 students and 4 taps each a day (56,000 events) catches up unaided."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.faultproxy import FaultProxy, Faults
from tests.sync.conftest import EVENING, Edge, caught_up, eventually, fill, server_config, start_server

pytestmark = pytest.mark.usefixtures("backend")  # on SQLite and on PostgreSQL (tests.pgstore)

WEEK = 7 * 2000 * 4


async def test_a_week_offline_catches_up_by_itself_once_reachable(tmp_path: Path) -> None:
    edge = Edge(tmp_path / "edge")
    fill(edge.database, WEEK, EVENING.replace(hour=17) - timedelta(days=7))
    await edge.start()
    proxy = await FaultProxy(edge.port, seed=7, faults=Faults(drop=1.0)).start()  # unreachable
    running = await start_server(server_config(tmp_path / "server", [("gate-1", proxy.url)], batch=1000))
    try:
        status = running.school.statuses["gate-1"]
        await eventually(lambda: status.errors.total() >= 3, what="a few failed pulls while it is away")
        assert status.state == "unreachable" and not running.held()
        started = time.monotonic()
        proxy.faults = Faults()  # back on the network: nobody touches the server
        await eventually(caught_up(running, edge), within=60, what="the week's 56,000 events")
        elapsed = time.monotonic() - started
        assert len(running.held()) == WEEK
        await eventually(lambda: status.state == "caught_up")
        assert status.lag_events == 0
        print(f"7-day catch-up: {WEEK:,} events in {elapsed:.1f} s")
    finally:
        await running.client.close()
        await proxy.close()
        await edge.stop()
