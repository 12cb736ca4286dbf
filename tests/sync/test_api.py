"""The server's API: the device's shape (health, live, sessions, actions) school-wide, plus datasets, resume, audit, metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from edge.core.codec import school_to_datasets, to_plain
from hardware.clock import SimClock
from sync import datasets
from tests.api.conftest import school
from tests.faultproxy import FaultProxy, Faults
from tests.sync.conftest import (
    EVENING,
    Edge,
    Running,
    auth,
    caught_up,
    evening_students,
    eventually,
    server_config,
    start_server,
)

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)


@dataclass
class Setup:
    edge: Edge
    running: Running
    proxy: FaultProxy

    async def call(
        self, method: str, path: str, role: str | None = "admin", body: Any = None
    ) -> tuple[int, Any]:
        headers = auth(role) if role else {}
        response = await self.running.client.request(method, path, headers=headers, json=body)
        found = (
            await response.json() if response.content_type == "application/json" else await response.text()
        )
        return response.status, found


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    edge = await Edge(tmp_path / "edge").start()
    away = await Edge(tmp_path / "away", "room-9").start()
    proxy = await FaultProxy(away.port, faults=Faults(drop=1.0)).start()  # a device that never answers
    config = server_config(tmp_path / "server", [("gate-1", edge.url), ("room-9", proxy.url)])
    running = await start_server(config, SimClock(EVENING + timedelta(minutes=6)))
    now = running.school.clock.now()
    await running.school.writer.run(
        lambda s: datasets.add_versions(s.db, school_to_datasets(school()), "test", now)
    )
    running.school.datasets_changed()
    yield Setup(edge, running, proxy)
    await running.client.close()
    await proxy.close()
    await away.stop()
    await edge.stop()


async def test_health_says_each_devices_lag_in_events_and_seconds(setup: Setup) -> None:
    await setup.edge.tap(5)
    await eventually(caught_up(setup.running, setup.edge))
    await eventually(lambda: setup.running.school.statuses["gate-1"].state == "caught_up")
    await eventually(lambda: setup.running.school.statuses["room-9"].errors.total() > 0)
    status, body = await setup.call("GET", "/api/v1/health", "guard")
    assert status == 200 and body["device"] == "school" and body["role"] == "server"
    devices = {d["id"]: d for d in body["devices"]}
    gate, away = devices["gate-1"], devices["room-9"]
    assert (gate["state"], gate["lag_events"], gate["lag_seconds"], gate["after"]) == ("caught_up", 0, 0.0, 5)
    assert gate["clock"]["boot_id"] == "sim" and "token" not in str(body)
    assert away["state"] == "unreachable" and away["lag_seconds"] > 0 and away["last_contact"] is None
    assert {r["id"] for r in body["readers"]} >= {"gate-1/gate-in", "gate-1/room-r301"}
    assert body["datasets"]["students"]["version"] == 1
    status, text = await setup.call("GET", "/metrics", "server")
    assert status == 200
    assert 'rollcall_server_device_lag_events{device="gate-1"} 0' in text
    assert 'rollcall_server_device_up{device="room-9"} 1' in text  # not yet past offline_after (30 s)
    assert 'rollcall_server_device_lag_seconds{device="room-9"}' in text
    assert 'rollcall_server_dataset_version{name="students"} 1' in text


async def test_sessions_reports_and_students_are_school_wide_and_audited(setup: Setup) -> None:
    await setup.edge.tap(3)
    await eventually(caught_up(setup.running, setup.edge))
    await setup.running.school.refresh()
    status, body = await setup.call("GET", "/api/v1/sessions?date=2026-11-30", "guard")
    assert status == 200 and len(body["sessions"]) == 6 and "name" not in str(body["sessions"][0])
    status, report = await setup.call("GET", "/api/v1/sessions/2026-11-30.evening.r301/report", "teacher")
    assert status == 200 and report["enrolled"] == 38 and report["counts"]["enrolled"] == 38
    status, missing = await setup.call("GET", "/api/v1/sessions/2026-11-31.evening.r301/report", "teacher")
    assert status == 404 and set(missing) == {"error"}
    student = school().students[evening_students()[0]]
    status, found = await setup.call("GET", f"/api/v1/students?q={student.id}", "guard")
    assert status == 200 and found["students"][0]["name"] == student.name
    status, audit = await setup.call("GET", "/api/v1/audit")
    routes = [row["route"] for row in audit["audit"]]
    assert routes == ["GET /api/v1/sessions/{id}/report", "GET /api/v1/students"]
    assert audit["audit"][1]["actor"] == "guard:guard-1"


async def test_actions_are_forwarded_to_the_device_and_come_back_with_the_pull(setup: Setup) -> None:
    await eventually(lambda: setup.running.school.statuses["gate-1"].readers(), what="the device's readers")
    student = evening_students()[7]
    status, answer = await setup.call("POST", "/api/v1/actions", "guard",
                                      {"type": "check_in", "student_id": student, "note": "忘带卡"})  # fmt: skip
    assert status == 201, answer
    assert answer["device"] == "gate-1" and answer["event"]["subject"] == student
    assert answer["event"]["actor"] == "admin:admin-1"  # the device records the server's action token
    await eventually(lambda: any(key[3] == answer["event"]["uuid"] for key in setup.running.held()))
    status, refused = await setup.call("POST", "/api/v1/actions", "teacher", {"type": "release", "student_id": student,
                                                                             "guardian_id": "nobody"})  # fmt: skip
    assert status == 403 and refused["error"]["code"] == "forbidden"
    status, refused = await setup.call(
        "POST", "/api/v1/actions", "guard", {"type": "check_in", "student_id": "ghost"}
    )
    assert status == 422 and refused["device"] == "gate-1"  # the device's own refusal, passed on
    await setup.edge.stop()
    status, down = await setup.call(
        "POST", "/api/v1/actions", "guard", {"type": "check_in", "student_id": student}
    )
    assert status == 503 and down["error"]["code"] == "device_unreachable"
    await setup.edge.start()


async def test_datasets_are_stored_as_new_versions_and_pushed(setup: Setup) -> None:
    rooms = [to_plain(r) for r in school().rooms.values()] + [{"id": "r305", "name": "305教室"}]
    status, stored = await setup.call("PUT", "/api/v1/datasets/rooms", "admin", {"rows": rooms})
    assert status == 200 and stored["version"] == 2 and stored["created"]
    status, again = await setup.call("PUT", "/api/v1/datasets/rooms", "admin", {"rows": rooms})
    assert status == 200 and again == stored | {"created": False}
    status, bad = await setup.call("PUT", "/api/v1/datasets/rooms", "admin", {"rows": [{"id": "x"}]})
    assert status == 422 and bad["error"]["message"] == "rooms row 1: missing field 'name'"
    status, old = await setup.call("PUT", "/api/v1/datasets/rooms", "admin", {"rows": rooms, "version": 1})
    assert status == 409 and old["error"]["code"] == "version_not_newer"
    status, wrong = await setup.call(
        "PUT", "/api/v1/datasets/rooms", "admin", {"rows": rooms, "sha256": "0" * 64}
    )
    assert status == 422 and wrong["error"]["code"] == "sha256_mismatch"
    status, _ = await setup.call("PUT", "/api/v1/datasets/rooms", "guard", {"rows": rooms})
    assert status == 403

    async def device_has_it() -> bool:
        found = await setup.edge.service.recorder.query(lambda view: view.school.rooms)
        return "r305" in found

    await eventually(device_has_it, what="room r305 on the device")
    status, listed = await setup.call("GET", "/api/v1/datasets", "server")
    assert listed["devices"]["gate-1"]["rooms"] == {"version": 2, "sha256": stored["sha256"], "current": True}


async def test_resume_and_errors_are_in_the_one_shape(setup: Setup) -> None:
    status, body = await setup.call("POST", "/api/v1/devices/gate-1/resume")
    assert status == 409 and body["error"]["code"] == "not_stopped"
    status, body = await setup.call("POST", "/api/v1/devices/nobody/resume")
    assert status == 404
    status, body = await setup.call("GET", "/api/v1/health", None)
    assert status == 401 and set(body["error"]) == {"code", "message"}
    status, body = await setup.call("GET", "/api/v1/nowhere")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, document = await setup.call("GET", "/api/v1/openapi.json", None)
    assert document["info"]["title"] == "Rollcall school server"
    assert {"/api/v1/health", "/api/v1/live", "/api/v1/reports/register", "/metrics"} <= set(
        document["paths"]
    )


async def test_the_live_stream_carries_every_devices_events(setup: Setup) -> None:
    await setup.edge.tap(2)
    await eventually(caught_up(setup.running, setup.edge))
    await setup.running.school.refresh()
    async with setup.running.client.ws_connect("/api/v1/live", headers=auth("guard")) as ws:
        snapshot = await ws.receive_json(timeout=5)
        assert (
            snapshot["type"] == "snapshot" and len(snapshot["recent"]) == 2 and len(snapshot["sessions"]) == 6
        )
        assert snapshot["alerts"] and snapshot["readers"] == {}
        tapped = await setup.edge.tap(1, offset=9)
        message = await asyncio.wait_for(_event(ws), timeout=5)
        assert message["event"]["uuid"] == tapped[0].uuid and message["view"]["name"]


async def _event(ws: Any) -> dict[str, Any]:
    while (message := await ws.receive_json())["type"] != "event":
        pass
    return dict(message)
