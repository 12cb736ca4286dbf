"""Zero reports (F5): each room's report as the device holds it, signed by staff id or staff card, exported; Devices (F6)."""

from __future__ import annotations

import csv
from pathlib import Path

from rich.text import Text
from textual.widgets import DataTable, Static

from edge.cli.sample import SAMPLE_PIN
from tests.api.conftest import Device, auth
from tests.tui.conftest import arrive, console, running, set_clock, tap, teacher_card, until
from tui.screens.confirm_dialog import ConfirmDialog
from tui.screens.report import ReportScreen
from tui.screens.sign_dialog import SignDialog

AFTER_HEADCOUNT = "2026-11-30T18:40:00+08:00"


def text(table: DataTable[str | Text], row: int) -> list[str]:
    return [c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(row)]


async def on_report_screen(device: Device, app: object, pilot: object) -> ReportScreen:
    await pilot.press("f5")  # type: ignore[attr-defined]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, ReportScreen)
    await until(pilot, lambda: screen.query_one("#reports", DataTable).row_count == len(screen.sessions) > 0,  # type: ignore[arg-type]
                "the reports")  # fmt: skip
    return screen


async def evening_row(pilot: object, screen: ReportScreen, session_id: str) -> None:
    table = screen.query_one("#reports", DataTable)
    table.move_cursor(row=[s.id for s in screen.sessions].index(session_id))
    await until(pilot, lambda: screen.report is not None and screen.report.session.id == session_id, "the report")  # type: ignore[arg-type]


async def test_each_rooms_report_shows_what_the_device_reports(device: Device) -> None:
    students = device.evening_students()
    await arrive(device, students[:30])
    await set_clock(device, AFTER_HEADCOUNT)
    app = console(device)
    async with running(app) as pilot:
        screen = await on_report_screen(device, app, pilot)
        session_id = "2026-11-30.evening.r301"
        await evening_row(pilot, screen, session_id)
        held = await (await device.client.get(f"/api/v1/sessions/{session_id}/report", headers=auth("guard"))).json()
        table = screen.query_one("#reports", DataTable)
        row = text(table, table.cursor_row)
        assert row[0] == held["room"] and [int(x) for x in row[2:6]] == [
            held["counts"][n] for n in ("enrolled", "present", "missing", "still_waiting")]  # fmt: skip
        assert row[6:] == ["✗ 有异常", "! 未签"]
        detail = str(screen.query_one("#report-detail", Static).render())
        assert f"缺勤 ({len(held['missing'])})" in detail
        assert all(f"{line['name']}({line['class_name']})" in detail for line in held["missing"][:3])
        school = str(screen.query_one("#school-line", Static).render())
        assert "全校汇总" in school and "今日未闭环" in school


async def test_a_report_is_signed_by_a_teacher_chosen_by_name_with_their_pin(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    staff_id = min((s for s in device.school.staff.values() if s.role.value != "guard"), key=lambda s: (s.name, s.id)).id
    app = console(device)
    async with running(app) as pilot:
        screen = await on_report_screen(device, app, pilot)
        await evening_row(pilot, screen, "2026-11-30.evening.r302")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SignDialog), "the sign dialog")
        await pilot.press("enter", *SAMPLE_PIN, "enter")  # the first teacher by name, her PIN
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "sign with N missing?")
        await pilot.press("enter")
        await until(pilot, lambda: any(s.signed for s in app.board.sessions), "the signature")
        table = screen.query_one("#reports", DataTable)
        row = [s.id for s in screen.sessions].index("2026-11-30.evening.r302")
        await until(pilot, lambda: text(table, row)[7] == "✓ 已签", "the table to say so")
    sessions = (await (await device.client.get("/api/v1/sessions", headers=auth("guard"))).json())["sessions"]
    signed = {s["id"]: s["signed_by"] for s in sessions if s["signed"]}
    assert signed == {"2026-11-30.evening.r302": staff_id}


async def test_a_staff_card_tapped_anywhere_signs_the_open_report(device: Device) -> None:
    await set_clock(device, AFTER_HEADCOUNT)
    staff_id, uid = teacher_card(device)
    app = console(device)
    async with running(app) as pilot:
        screen = await on_report_screen(device, app, pilot)
        await evening_row(pilot, screen, "2026-11-30.evening.r303")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SignDialog), "the sign dialog")
        await tap(device, "gate-in", uid)  # no typing: the teacher taps their card at the gate
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "sign with N missing?")
        await pilot.press("enter")
        await until(pilot, lambda: any(s.signed for s in app.board.sessions), "the signature")
    sessions = (await (await device.client.get("/api/v1/sessions", headers=auth("guard"))).json())["sessions"]
    assert {s["id"]: s["signed_by"] for s in sessions if s["signed"]} == {"2026-11-30.evening.r303": staff_id}


async def test_reports_are_exported_per_room_and_for_the_whole_day(device: Device, tmp_path: Path) -> None:
    await arrive(device, device.evening_students()[:3])
    await set_clock(device, AFTER_HEADCOUNT)
    app = console(device, export_dir=tmp_path / "exports")
    async with running(app) as pilot:
        screen = await on_report_screen(device, app, pilot)
        await evening_row(pilot, screen, "2026-11-30.evening.r304")
        await pilot.press("x")
        room_file = tmp_path / "exports" / "zero-report-2026-11-30.evening.r304.csv"
        await until(pilot, room_file.exists, "the room's file")
        await pilot.press("a")
        day_file = tmp_path / "exports" / "zero-report-2026-11-30.csv"
        await until(pilot, day_file.exists, "the day's file")
        await until(pilot, lambda: len(app._notifications) >= 2, "both answers")
        assert any(str(day_file) in n.message for n in app._notifications)
    room = list(csv.reader(room_file.open(encoding="utf-8-sig")))
    day = list(csv.reader(day_file.open(encoding="utf-8-sig")))
    assert room[0] == day[0] and room[0][4:6] == ["姓名", "班级"]  # one header, in the guard's language
    assert {r[0] for r in room[1:]} == {"2026-11-30.evening.r304"}
    assert {r[0] for r in day[1:]} == {s.id for s in app.board.sessions}
    assert sum(r[3] == "缺勤" for r in day) == sum(s.count("missing") for s in app.board.sessions)


async def test_devices_shows_each_reader_the_clock_the_sync_lag_and_the_disk(device: Device) -> None:
    await arrive(device, device.evening_students()[:2])
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f6")
        table = app.screen.query_one("#readers", DataTable)
        await until(pilot, lambda: app.board.health is not None and table.row_count > 0, "the device's health")
        health = await (await device.client.get("/api/v1/health", headers=auth("guard"))).json()
        names = [r["name"] for r in health["readers"]]
        assert len(names) == len(device.config.readers) and all(names)
        assert [text(table, r)[0] for r in range(table.row_count)] == names  # 校门入口, 301教室门口: no ids
        assert names[0] == "校门入口" and not any(r.spec.id in names for r in device.config.readers)
        assert text(table, 0)[1] == "校门(进)" and text(table, 2)[1] == "教室"
        states = {r["state"] for r in health["readers"]}
        shown = {"up": "✓ 正常", "down": "✗ 断开", "unknown": "? 未知"}
        assert {text(table, r)[2] for r in range(table.row_count)} == {shown[state] for state in states}
        info = str(app.screen.query_one("#device-info", Static).render())
        assert "设备 gate-1" in info and "(模拟时钟)" in info
        assert "学校服务器尚未取走 4 条记录" in info  # nothing pulled yet: every event is the lag
        assert "磁盘剩余" in info and "GB" in info
