"""What only the server sees: alerts across devices, the school-wide zero report, the attendance register."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from edge.api.snapshot import alert_lines
from edge.core.codec import school_to_datasets
from edge.core.plan import plan_day
from hardware.clock import SimClock
from hardware.reads import CardRead
from sync import datasets
from sync.notify import describe
from tests.api.conftest import school
from tests.sync.conftest import (
    EVENING,
    TZ,
    Edge,
    Running,
    auth,
    card_of,
    eventually,
    server_config,
    start_server,
)

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)

SESSION = "2026-11-30.evening.r301"


@dataclass
class Campus:
    gate: Edge
    room: Edge
    running: Running
    clock: SimClock
    kids: list[str]  # r301's evening students, by id

    async def tap(self, edge: Edge, reader: str, student: str) -> None:
        clock = edge.service.clock
        assert await edge.service.handle(CardRead(reader, card_of(student), clock.now(), clock.monotonic()))

    async def synced(self) -> None:
        await eventually(lambda: len(self.running.held()) == self.gate.count() + self.room.count())
        await self.running.school.refresh()

    async def alerts(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for alert in await self.running.school.check_alerts():
            found.setdefault(alert.kind, set()).add(alert.student_id or alert.device or alert.reader)
        return found


@pytest.fixture
async def campus(tmp_path: Path) -> AsyncIterator[Campus]:
    gate, room = await Edge(tmp_path / "gate").start(), await Edge(tmp_path / "room", "room-1").start()
    clock = SimClock(EVENING + timedelta(minutes=6))  # 18:26, the headcount was due at 18:25
    config = server_config(tmp_path / "server", [("gate-1", gate.url), ("room-1", room.url)])
    running = await start_server(config, clock)
    now = clock.now()
    await running.school.writer.run(
        lambda s: datasets.add_versions(s.db, school_to_datasets(school()), "test", now)
    )
    kids = sorted(plan_day(school(), EVENING.date(), TZ).expected[SESSION])
    yield Campus(gate, room, running, clock, kids)
    await running.client.close()
    await gate.stop()
    await room.stop()


async def test_through_the_gate_but_never_in_the_room_is_seen_only_across_devices(campus: Campus) -> None:
    a, b, c, d = campus.kids[:4]
    for kid in (a, b):
        await campus.tap(campus.gate, "gate-in", kid)
    for kid in (a, c):
        await campus.tap(campus.room, "room-r301", kid)
    await campus.synced()
    alerts = await campus.alerts()
    assert b in alerts["not_in_room"] and a not in alerts["not_in_room"]
    assert d in alerts["missing"] and not {a, b, c} & alerts["missing"]
    # The gate device alone cannot tell: to it, A never reached the room either.
    campus.gate.service.clock.set(campus.clock.now())  # type: ignore[attr-defined]
    gate_view = await campus.gate.service.recorder.query(lambda view: alert_lines(view, campus.clock.now()))
    assert a in {line["student"]["id"] for line in gate_view if line["kind"] == "not_in_room"}
    _, body = await campus.running.get("/api/v1/alerts", "guard")
    first = body["alerts"][0]
    assert (
        first["kind"] == "not_in_room" and first["student"]["id"] == b
    )  # most urgent first, with whom to call
    assert first["student"]["phone"] and first["student"]["place"] == "gate-1/gate-in"


async def test_walked_out_of_the_gate_without_pickup_then_collected(campus: Campus) -> None:
    kid = next(k for k in campus.kids if not school().students[k].may_walk_home)
    await campus.tap(campus.gate, "gate-in", kid)
    await campus.tap(campus.room, "room-r301", kid)
    after_end = EVENING.replace(hour=19, minute=40)
    for edge in (campus.gate, campus.room):
        edge.service.clock.set(after_end)  # type: ignore[attr-defined]
    campus.clock.set(after_end + timedelta(minutes=1))
    await campus.tap(campus.gate, "gate-out", kid)  # refused: no consent to walk home
    await campus.synced()
    assert kid in (await campus.alerts())["left_without_pickup"]
    guardian = next(g for g in school().guardians_of(kid) if g.may_pick_up)
    await campus.tap(campus.gate, "gate-in", guardian.id)  # the guardian's pickup card
    await campus.synced()
    assert kid not in (await campus.alerts()).get("left_without_pickup", set())


async def test_devices_and_readers_down_and_unsigned_reports(campus: Campus) -> None:
    await campus.gate.service.recorder.record_reader_state(
        "gate-in", False, "unplugged", campus.gate.service.clock.now()
    )
    await campus.synced()
    campus.clock.set(EVENING.replace(minute=50))  # 18:50: reports were due at 18:45
    await campus.room.stop()
    status = campus.running.school.statuses["room-1"]
    await eventually(lambda: status.state == "unreachable", what="the room device unreachable")
    status.contact_monotonic = time.monotonic() - 31  # and not heard from for longer than offline_after
    alerts = await campus.alerts()
    assert alerts["reader_down"] == {"gate-1"}
    assert alerts["device_offline"] == {"room-1"}
    assert len([a for a in campus.running.school.alerts if a.kind == "report_unsigned"]) == 4  # four rooms


async def test_the_school_wide_zero_report_and_the_register(campus: Campus) -> None:
    a, b, c = campus.kids[:3]
    await campus.tap(campus.gate, "gate-in", a)
    await campus.tap(campus.room, "room-r301", a)
    await campus.tap(campus.room, "room-r301", c)
    await campus.synced()
    status, daily = await campus.running.get("/api/v1/reports/daily?date=2026-11-30", "teacher")
    assert (
        status == 200 and daily["date"] == "2026-11-30" and len(daily["sessions"]) == 6
    )  # midday and evening
    evening = [r for r in daily["sessions"] if r["session"]["service_id"] == "evening"]
    assert sum(r["counts"]["present"] for r in evening) == 2 and sum(r["enrolled"] for r in evening) == 150
    assert daily["totals"]["present"] == 2 and daily["totals"]["enrolled"] == 210
    assert daily["totals"]["missing"] == 208 and not daily["closed"] and not daily["signed"]
    status, register = await campus.running.get("/api/v1/reports/register?from=2026-11-30&to=2026-11-30&by=class",
                                                "teacher")  # fmt: skip
    rows = {(row[1], row[3]): row for row in register["rows"]}
    assert register["header"][:5] == ["班级", "学号", "姓名", "服务", "11-30"]
    assert rows[(a, "晚自习")][4] == "✓" and rows[(c, "晚自习")][4] == "✓" and rows[(b, "晚自习")][4] == "缺"
    assert rows[(a, "晚自习")][0] == school().students[a].class_name and rows[(a, "晚自习")][-4:] == [
        "1",
        "0",
        "0",
        "0",
    ]
    response = await campus.running.client.get(
        "/api/v1/reports/register?from=2026-11-30&to=2026-11-30&by=service&format=xlsx&lang=en",
        headers=auth("teacher"),
    )
    book = openpyxl.load_workbook(io.BytesIO(await response.read()))
    assert book.sheetnames == ["午间看护", "晚自习", "legend"]
    csv_text = await (
        await campus.running.client.get(
            "/api/v1/reports/register?from=2026-11-30&to=2026-11-30&format=csv", headers=auth("teacher")
        )
    ).text()
    assert csv_text.splitlines()[0].startswith("班级,学号,姓名,服务,11-30,出勤")


async def test_a_device_short_of_disk_is_an_alert_at_the_server_naming_it(campus: Campus) -> None:
    storage = campus.room.service.recorder.storage
    storage.policy = replace(storage.policy, low_free_bytes=storage.usage()[0] * 2)  # its disk is "low" now
    await campus.room.service.probe_storage()
    await campus.running.school.pullers["room-1"].read_health()
    [alert] = [a for a in await campus.running.school.check_alerts() if a.kind == "device_storage"]
    assert alert.device == "room-1" and alert.key.startswith("device_storage:room-1:low:")
    assert alert.since is not None and alert.detail.startswith("存储空间不足,剩余 ")
    facts = describe(alert, school(), "school-1", names=False)
    assert facts["title"] == "设备存储空间不足" and "room-1" in facts["text"]
    await campus.running.school.pullers["gate-1"].read_health()  # the gate's disk is fine: no alert for it
    assert campus.running.school.statuses["gate-1"].health["disk"]["state"] == "ok"
    assert {a.device for a in await campus.running.school.check_alerts() if a.kind == "device_storage"} == {"room-1"}
