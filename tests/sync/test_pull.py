"""Pulling a device's change feed: exactly its events, long-poll, new epochs, gaps, a device restarted mid-pull."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests import pgstore
from tests.sync.conftest import EVENING, Edge, caught_up, eventually, fill, server_config, start_server

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)


async def test_the_server_holds_exactly_the_devices_events_and_hears_new_taps_at_once(
    tmp_path: Path, edge: Edge
) -> None:
    fill(edge.database, 1500, EVENING.replace(hour=17))
    running = await start_server(server_config(tmp_path / "server", [("gate-1", edge.url)]))
    try:
        await eventually(caught_up(running, edge), what="the first 1,500 events")
        status = running.school.statuses["gate-1"]
        await eventually(lambda: status.state == "caught_up", what="the puller to say it is caught up")
        await edge.tap(3)  # the long-poll is waiting: these arrive without waiting out `wait`
        await eventually(caught_up(running, edge), within=2.0, what="three new taps")
        assert status.lag_events == 0 and status.after == 1503
    finally:
        await running.client.close()


async def test_through_dropped_reset_truncated_stalled_and_slow_connections_nothing_is_lost_or_doubled(
    tmp_path: Path, edge: Edge
) -> None:
    from tests.faultproxy import FaultProxy, Faults

    fill(edge.database, 4000, EVENING.replace(hour=16))
    faults = Faults(drop=0.15, reset=0.15, truncate=0.15, stall=0.1, latency=(0.0, 0.01), cut=(1, 120_000))
    proxy = await FaultProxy(edge.port, seed=2026, faults=faults).start()
    running = await start_server(server_config(tmp_path / "server", [("gate-1", proxy.url)], gzip=False))
    try:
        # Faults all the way through the first 4,000 and through taps recorded meanwhile.
        await eventually(
            lambda: running.school.statuses["gate-1"].after >= 2000, what="half the log through faults"
        )
        await edge.tap(40)
        await eventually(lambda: sum(proxy.injected[k] for k in ("drop", "reset", "truncate", "stall")) >= 12,
                         what="a dozen faults injected")  # fmt: skip
        proxy.faults = Faults()
        proxy.kill_all()
        await eventually(caught_up(running, edge), what="every event once the faults stopped")
        held = running.held()
        assert len(held) == 4040 and {seq for _, _, seq, _ in held} == set(
            range(1, 4041)
        )  # none twice, no gap
        assert running.school.statuses["gate-1"].state != "stopped"
        errors = running.school.statuses["gate-1"].errors
        assert sum(errors.values()) >= 10, errors  # the faults were met, and retried
    finally:
        await running.client.close()
        await proxy.close()


async def test_gzip_pages_through_faults_too(tmp_path: Path, edge: Edge) -> None:
    from tests.faultproxy import FaultProxy, Faults

    fill(edge.database, 1500, EVENING.replace(hour=16))
    proxy = await FaultProxy(
        edge.port, seed=5, faults=Faults(reset=0.3, truncate=0.3, cut=(1, 20_000))
    ).start()
    running = await start_server(server_config(tmp_path / "server", [("gate-1", proxy.url)], gzip=True))
    try:
        await eventually(
            lambda: proxy.injected["reset"] + proxy.injected["truncate"] >= 4, what="faults on gzip"
        )
        proxy.faults = Faults()
        await eventually(caught_up(running, edge), what="every gzip page")
        assert len(running.held()) == 1500
    finally:
        await running.client.close()
        await proxy.close()


async def test_the_device_restarted_in_the_middle_of_a_pull(tmp_path: Path, edge: Edge) -> None:
    fill(edge.database, 6000, EVENING.replace(hour=16))
    running = await start_server(server_config(tmp_path / "server", [("gate-1", edge.url)], batch=100))
    try:
        for _ in range(3):  # three restarts while pages are in flight
            after = running.school.statuses["gate-1"].after
            await eventually(lambda after=after: running.school.statuses["gate-1"].after > after + 300)  # type: ignore[misc]
            await edge.stop()
            await edge.start()
            await edge.tap(5, offset=_ * 5)
        await eventually(caught_up(running, edge), what="every event after three restarts")
        assert len(running.held()) == 6015
        assert running.school.statuses["gate-1"].errors  # the restarts were felt
    finally:
        await running.client.close()


async def test_a_reimaged_device_is_a_new_stream_without_collisions(tmp_path: Path) -> None:
    first = await Edge(tmp_path / "edge").start()
    await first.tap(20)
    running = await start_server(server_config(tmp_path / "server", [("gate-1", first.url)]))
    try:
        await eventually(caught_up(running, first), what="the first epoch")
        old_epoch, old = first.epoch(), first.held()
        await first.stop()
        for path in (tmp_path / "edge").glob("rollcall.sqlite3*"):
            path.unlink()  # re-imaged: a new database, a new epoch, seqs from 1 again
        second = Edge(tmp_path / "edge")
        second.port = first.port
        await second.start()
        await second.tap(12, offset=30)
        assert second.epoch() != old_epoch
        await eventually(lambda: running.held() == old | second.held(), what="both epochs' events")
        assert {seq for _, epoch, seq, _ in running.held() if epoch == second.epoch()} == set(range(1, 13))
        _, body = await running.get("/api/v1/health")
        alarms = [a for a in body["alarms"] if a["kind"] == "new_epoch"]
        assert alarms == []  # resolved at once: nothing of the old epoch was lost
        ((detail,),) = pgstore.rows(running.config.store, "SELECT detail FROM alarms WHERE kind = 'new_epoch'")
        assert '"lost": 0' in detail and old_epoch in detail
        await second.stop()
    finally:
        await running.client.close()


async def test_a_gap_stops_that_devices_ingest_with_an_alarm_until_resumed(tmp_path: Path) -> None:
    gate, room = await Edge(tmp_path / "gate").start(), await Edge(tmp_path / "room", "room-1").start()
    await gate.tap(10)
    await room.tap(4, reader="room-r301")
    running = await start_server(
        server_config(tmp_path / "server", [("gate-1", gate.url), ("room-1", room.url)])
    )
    try:
        await eventually(caught_up(running, gate, room), what="both devices")
        await gate.stop()
        with sqlite3.connect(
            gate.database
        ) as conn:  # events 11..15 lost on the device before the server saw them
            conn.execute("UPDATE sqlite_sequence SET seq = 15 WHERE name = 'events'")
        await gate.start()
        await gate.tap(3, offset=20)  # seqs 16, 17, 18
        status = running.school.statuses["gate-1"]
        await eventually(lambda: status.state == "stopped", what="the gap to stop the gate's ingest")
        assert "gap" in status.last_error and "11..15" in status.last_error
        await room.tap(2, reader="room-r301", offset=10)  # the other device goes on
        await eventually(caught_up(running, room), what="the room device, unaffected")
        assert max(seq for d, _, seq, _ in running.held() if d == "gate-1") == 10
        _, health = await running.get("/api/v1/health")
        assert [(a["device"], a["kind"], a["detail"]["first_seq"]) for a in health["alarms"]] == [
            ("gate-1", "gap", 16)
        ]
        await running.school.check_alerts()
        assert any(a.kind == "ingest_stopped" and a.device == "gate-1" for a in running.school.alerts)
        response = await running.client.post("/api/v1/devices/gate-1/resume", headers=_admin())
        assert response.status == 200 and (await response.json())["was"] == "gap"
        await eventually(caught_up(running, gate, room), what="the gate after the resume")
        assert {seq for d, _, seq, _ in running.held() if d == "gate-1"} == set(range(1, 11)) | {16, 17, 18}
    finally:
        await running.client.close()
        await gate.stop()
        await room.stop()


async def test_a_log_rolled_back_under_the_same_epoch_stops_ingest(tmp_path: Path, edge: Edge) -> None:
    await edge.tap(10)
    running = await start_server(server_config(tmp_path / "server", [("gate-1", edge.url)]))
    try:
        await eventually(caught_up(running, edge))
        await edge.stop()
        with sqlite3.connect(edge.database) as conn:  # restored from an older copy: the last 4 are gone
            conn.execute("DELETE FROM events WHERE seq > 6")
            conn.execute("UPDATE sqlite_sequence SET seq = 6 WHERE name = 'events'")
        await edge.start()
        status = running.school.statuses["gate-1"]
        await eventually(lambda: status.state == "stopped", what="the rolled-back log to stop ingest")
        assert status.last_error.startswith("behind")
    finally:
        await running.client.close()


def _admin() -> dict[str, str]:
    from tests.sync.conftest import auth

    return auth("admin")


async def test_a_restarted_server_that_is_caught_up_names_the_devices_epoch_in_health(
    tmp_path: Path, edge: Edge
) -> None:
    await edge.tap(3)
    config = server_config(tmp_path / "server", [("gate-1", edge.url)])
    first = await start_server(config)
    try:
        await eventually(caught_up(first, edge), what="the first three taps")
    finally:
        await first.client.close()
    again = await start_server(config)  # the same database: the cursor is there, nothing is new
    try:
        status = again.school.statuses["gate-1"]
        await eventually(lambda: status.state == "caught_up", what="the restarted puller to be caught up")
        code, health = await again.get("/api/v1/health")
        (line,) = health["devices"]
        assert code == 200 and (line["epoch"], line["after"], line["lag_events"]) == (edge.epoch(), 3, 0)
    finally:
        await again.client.close()
