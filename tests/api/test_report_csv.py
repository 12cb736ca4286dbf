"""The zero report's CSV (defects 5 and 11 of issue 12): headings, statuses and the summary in the reader's
language, places by the readers' names, and the guard's call note in its own column."""

from __future__ import annotations

import csv
import io

from tests.api.conftest import Device, auth
from tests.tui.conftest import arrive, evening_session, set_clock

AFTER_HEADCOUNT = "2026-11-30T18:40:00+08:00"


async def csv_rows(device: Device, session: str, lang: str) -> list[list[str]]:
    response = await device.client.get(f"/api/v1/sessions/{session}/report?format=csv&lang={lang}", headers=auth("guard"))
    assert response.status == 200 and response.content_type == "text/csv"
    return list(csv.reader(io.StringIO(await response.text())))


async def a_called_and_a_gate_only_child(device: Device) -> tuple[str, str, str]:
    """In one room: one child tapped the gate only, one missing whose guardian the guard called. (session, gate-only, called)"""
    students = device.evening_students()
    session = evening_session(device, students[0])
    in_room = [s for s in students if evening_session(device, s) == session]
    await arrive(device, in_room[:1], room=False)
    await set_clock(device, AFTER_HEADCOUNT)
    called = in_room[1]
    body = {"type": "call", "student_id": called, "note": "在路上"}
    assert (await device.client.post("/api/v1/actions", json=body, headers=auth("guard"))).status == 201
    return session, in_room[0], called


async def test_the_csv_speaks_chinese_names_places_and_carries_the_call_note(device: Device) -> None:
    session, gate_only, called = await a_called_and_a_gate_only_child(device)
    rows = await csv_rows(device, session, "zh")
    assert rows[0] == ["场次", "服务", "教室", "状态", "姓名", "班级", "家长", "电话", "最后位置", "备注"]
    summary = rows[1]
    assert summary[0] == session and summary[3].startswith("有异常 · 未签")
    assert summary[9].startswith("应到 ") and "缺勤 " in summary[9] and "=" not in "".join(summary)
    by_name = {row[4]: row for row in rows[2:]}
    gate_row = by_name[device.school.students[gate_only].name]
    assert gate_row[3] == "缺勤" and gate_row[8].startswith("校门入口 ")  # the reader by its name, not `gate-in`
    assert by_name[device.school.students[called].name][9] == "在路上"
    assert not any("gate-in" in cell or "room-" in cell for row in rows for cell in row)


async def test_the_csv_in_english_on_request(device: Device) -> None:
    session, gate_only, _ = await a_called_and_a_gate_only_child(device)
    rows = await csv_rows(device, session, "en")
    assert rows[0][:4] == ["session", "service", "room", "status"] and rows[0][9] == "note"
    assert rows[1][3].startswith("needs attention · unsigned") and rows[1][9].startswith("enrolled ")
    gate_row = next(row for row in rows if row[4] == device.school.students[gate_only].name)
    assert gate_row[3] == "missing" and not gate_row[8].startswith("gate-in")
