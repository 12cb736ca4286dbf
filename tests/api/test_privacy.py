"""Privacy: reads of personal data and overrides are audited; retention purges only what the server has."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from edge.device.config import parse_config
from edge.device.privacy import audit_rows
from edge.web.settings import ConfigError, retention_cut
from hardware.clock import SimClock
from hardware.reads import CardRead
from tests.api.conftest import Device, auth
from tests.api.requests import EVENING


async def audit_log(device: Device) -> list[dict[str, Any]]:
    return await device.service.recorder.query(lambda view: audit_rows(view.store))


async def test_personal_reads_and_actions_are_audited_and_counts_are_not(device: Device) -> None:
    client, student = device.client, device.evening_students()[0]
    await client.get("/api/v1/sessions", headers=auth("guard"))  # counts only: not audited
    await client.get("/api/v1/students?q=zs", headers=auth("guard"))
    await client.get(f"/api/v1/sessions/{EVENING}/report?format=csv", headers=auth("teacher"))
    ws = await client.ws_connect("/api/v1/live", headers=auth("admin"))
    await ws.receive_json()
    await ws.close()
    await client.post("/api/v1/actions", json={"type": "excuse", "student_id": student}, headers=auth("guard"))
    rows = await audit_log(device)
    assert [(r["route"], r["actor"], r["role"]) for r in rows] == [
        ("GET /api/v1/students", "guard:guard-1", "guard"),
        ("GET /api/v1/sessions/{id}/report", "teacher:teacher-1", "teacher"),
        ("GET /api/v1/live", "admin:admin-1", "admin"),
        ("POST /api/v1/actions", "guard:guard-1", "guard"),
    ]
    what = [json.loads(r["what"]) for r in rows]
    assert what[0]["q"] == "zs" and what[0]["students"]
    assert what[1] == {"session": EVENING, "format": "csv"}
    assert what[3]["action"] == "excuse" and what[3]["student_id"] == student and what[3]["seq"] == 1
    assert all(r["address"] == "127.0.0.1" and r["at"].startswith("2026-11-30T18:20") for r in rows)


async def test_retention_purges_only_what_the_server_pulled_and_keeps_the_log_consistent(device: Device) -> None:
    service, clock = device.service, device.service.clock
    assert isinstance(clock, SimClock)
    now = clock.now()
    clock.set(datetime.fromisoformat("2026-03-02T18:00:00+08:00"))  # nine months ago
    students = device.evening_students()
    for student in students[:3]:
        await service.handle(CardRead("gate-in", device.card_of(student), clock.now(), clock.monotonic()))
    assigned = await device.client.post("/api/v1/actions", headers=auth("guard"),
                                        json={"type": "assign_card", "uid": "0A0B0C0D", "student_id": students[3]})  # fmt: skip
    assert assigned.status == 201
    await service.recorder.record_reader_state("gate-in", False, "unplugged", clock.now())
    await device.client.get("/api/v1/students?q=zs", headers=auth("guard"))  # old audit rows: this, the action
    clock.set(now)
    await service.handle(CardRead("gate-in", device.card_of(students[4]), clock.now(), clock.monotonic()))
    assert await service.recorder.query(lambda view: view.store.head_seq()) == 6
    epoch, cut = service.recorder.store.epoch, retention_cut(now, device.config.retention_days)
    assert cut == "2026-06-03"

    async def pull(after: int) -> None:
        response = await device.client.get(f"/api/v1/events?epoch={epoch}&after={after}", headers=auth("server"))
        assert response.status == 200

    async def seqs() -> list[int]:
        return await service.recorder.query(lambda view: [e.seq for e in view.store.events()])

    nothing_pulled = await service.recorder.purge(cut)
    assert nothing_pulled == {"events": 0, "audit": 2, "projection": 0} and await seqs() == [1, 2, 3, 4, 5, 6]
    await pull(2)  # the server has two of that day's five events: the day is kept whole
    assert (await service.recorder.purge(cut))["events"] == 0 and await seqs() == [1, 2, 3, 4, 5, 6]
    await pull(6)
    counts = await service.recorder.purge(cut)
    # The taps go; the card assignment and the reader's latest state stay (the projection needs them).
    assert counts["events"] == 3 and counts["projection"] > 0 and await seqs() == [4, 5, 6]
    assert await service.recorder.query(lambda view: view.store.check()) == []
    tapped = await service.handle(CardRead("gate-out", "0A0B0C0D", clock.now(), clock.monotonic()))
    assert tapped is not None and tapped.subject == students[3]  # the old card assignment still holds
    assert await audit_log(device) == []  # the old audit row went, and nothing newer was audited


def test_retention_days_are_read_strictly() -> None:
    base = {"device": {"id": "gate-1"}}
    assert parse_config(base, "edge.toml").retention_days == 180
    assert parse_config(base | {"retention": {"days": 30}}, "edge.toml").retention_days == 30
    for bad, message in (({"days": 0}, "retention.days: must be from 1 to 3650, not 0"),
                         ({"days": "30"}, "retention.days: expected int"),
                         ({"days": True}, "retention.days: expected int"),
                         ({"weeks": 4}, "retention.weeks: unknown key")):  # fmt: skip
        with pytest.raises(ConfigError, match=message):
            parse_config(base | {"retention": bad}, "edge.toml")


def test_listen_and_token_names_are_read_strictly() -> None:
    token = {"role": "guard", "name": "gate-tablet", "sha256": "a" * 64}
    config = parse_config({"device": {"id": "g"}, "api": {"listen": "[::1]:8470", "tokens": [token]}}, "e.toml")
    assert config.tokens[0].name == "gate-tablet" and config.listen == "[::1]:8470"
    with pytest.raises(ConfigError, match=r"api.listen: expected HOST:PORT such as 127.0.0.1:8470, got '8470'"):
        parse_config({"device": {"id": "g"}, "api": {"listen": "8470"}}, "e.toml")
