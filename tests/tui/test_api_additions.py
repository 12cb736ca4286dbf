"""What the API grew for the console: event views on the live stream, `GET /api/v1/alerts`, the `call` action, guard sign-off."""

from __future__ import annotations

import asyncio

from edge.cli.sample import SAMPLE_PIN
from tests.api.conftest import Device, auth
from tests.tui.conftest import arrive, evening_session, report, room_of, set_clock, tap, teacher_card

AFTER_HEADCOUNT = "2026-11-30T18:40:00+08:00"


async def test_each_live_event_comes_with_its_parts_and_the_snapshot_with_the_recent_ones(device: Device) -> None:
    first, second = device.evening_students()[:2]
    await tap(device, "gate-in", device.card_of(first))
    ws = await device.client.ws_connect("/api/v1/live?lang=en", headers=auth("guard"))
    snapshot = await ws.receive_json()
    assert [v["seq"] for v in snapshot["recent_views"]] == [e["seq"] for e in snapshot["recent"]] == [1]
    await tap(device, f"room-{room_of(device, second)}", device.card_of(second))
    message = await asyncio.wait_for(ws.receive_json(), timeout=3)
    student = device.school.students[second]
    view = message["view"]
    assert (view["name"], view["class"], view["label"], view["shape"], view["signal"]) == (
        student.name, student.class_name, "checked in", "✓", "ok")  # fmt: skip
    assert view["text"] == message["text"] and view["time"] == "18:20:00" and view["place"] == f"room-{room_of(device, second)}"
    await ws.close()


async def test_alerts_are_the_snapshots_most_urgent_first_and_carry_the_calls_note(device: Device) -> None:
    students = device.evening_students()
    await arrive(device, students[:3])
    await arrive(device, students[3:4], room=False)
    await set_clock(device, AFTER_HEADCOUNT)
    called = students[5]
    answer = await device.client.post("/api/v1/actions", headers=auth("guard"),
                                      json={"type": "call", "student_id": called, "note": "妈妈说十分钟到"})  # fmt: skip
    body = await answer.json()
    assert answer.status == 201 and body["accepted"] and body["event"]["kind"] == "call"
    assert body["event"]["outcome"] == "called" and body["event"]["data"]["note"] == "妈妈说十分钟到"
    assert "已致电家长" in body["message"] and "妈妈说十分钟到" in body["message"]
    alerts = (await (await device.client.get("/api/v1/alerts", headers=auth("guard"))).json())["alerts"]
    assert alerts[0]["kind"] == "not_in_room" and alerts[0]["student"]["id"] == students[3]
    line = next(a["student"] for a in alerts if a["student"] and a["student"]["id"] == called)
    assert line["note"] == "妈妈说十分钟到" and line["phone"]
    still = [m for m in (await report(device, evening_session(device, called)))["missing"] if m["id"] == called]
    assert still and still[0]["note"] == "妈妈说十分钟到"  # a call explains nothing: the child is still missing
    ws = await device.client.ws_connect("/api/v1/live", headers=auth("guard"))
    assert (await ws.receive_json())["alerts"] == alerts
    await ws.close()


async def test_a_call_about_a_child_with_no_session_now_is_refused_and_recorded_nowhere(device: Device) -> None:
    await set_clock(device, "2026-12-01T09:00:00+08:00")
    answer = await device.client.post("/api/v1/actions", headers=auth("guard"),
                                      json={"type": "call", "student_id": device.evening_students()[0]})  # fmt: skip
    assert answer.status == 422 and "has no session now" in (await answer.json())["error"]["message"]
    teacher = await device.client.post("/api/v1/actions", headers=auth("teacher"),
                                       json={"type": "call", "student_id": device.evening_students()[0]})  # fmt: skip
    assert teacher.status == 403


async def test_a_guard_may_sign_with_a_staff_id_and_search_gives_guardian_ids(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    staff_id, _ = teacher_card(device)
    signed = await device.client.post("/api/v1/sessions/2026-11-30.evening.r301/report/sign", headers=auth("guard"),
                                      json={"staff_id": staff_id, "pin": SAMPLE_PIN})  # fmt: skip
    body = await signed.json()
    assert signed.status == 201 and body["event"]["subject"] == staff_id and body["event"]["actor"] == "guard:guard-1"
    student = device.evening_students()[0]
    found = (await (await device.client.get(f"/api/v1/students?q={student}", headers=auth("guard"))).json())["students"]
    assert [g["id"] for g in found[0]["guardians"]] == [g.id for g in device.school.guardians_of(student)]
