"""Rooms (F2) and Missing & alerts (F3): the numbers and the children the device holds, and the guard's actions on them."""

from __future__ import annotations

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Static

from tests.api.conftest import Device, auth
from tests.tui.conftest import arrive, console, evening_session, report, running, set_clock, until
from tui.screens.alerts import AlertsScreen

AFTER_HEADCOUNT = "2026-11-30T18:40:00+08:00"  # evening study starts 18:15; missing from 18:25


def cells(table: DataTable[str | Text], row: int) -> list[str]:
    return [cell.plain if isinstance(cell, Text) else str(cell) for cell in table.get_row_at(row)]


async def test_each_rooms_row_is_that_sessions_counts(device: Device) -> None:
    students = device.evening_students()
    await arrive(device, students[:10])
    await set_clock(device, AFTER_HEADCOUNT)
    await arrive(device, students[10:12])  # late
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f2")
        table: DataTable[str | Text] = app.screen.query_one("#rooms", DataTable)
        await until(pilot, lambda: table.row_count == 4, "the evening's four rooms")
        sessions = (await (await device.client.get("/api/v1/sessions", headers=auth("guard"))).json())["sessions"]
        evening = [s for s in sessions if s["service_id"] == "evening"]  # this noon's care is not on now
        for row, session in enumerate(evening):
            shown = cells(table, row)
            counts = session["counts"]
            expected = [counts[n] for n in ("enrolled", "present", "late", "on_leave", "missing", "left_early",
                                            "picked_up", "still_waiting")]  # fmt: skip
            assert shown[0] == session["room"] and shown[1] == f"{session['service']} 18:15"
            assert [int(x) for x in shown[2:10]] == expected
            assert shown[10] == "! 未签"
        assert sum(int(cells(table, r)[3]) for r in range(4)) == 12 and sum(int(cells(table, r)[4]) for r in range(4)) == 2


async def alerts_console(device: Device) -> tuple[list[str], str]:
    """Four arrive properly, one taps the gate only; then the headcount is due. (students, the gate-only one)"""
    students = device.evening_students()
    await arrive(device, students[:4])
    await arrive(device, students[4:5], room=False)
    await set_clock(device, AFTER_HEADCOUNT)
    return students, students[4]


async def test_missing_children_come_most_urgent_first_with_whom_to_call(device: Device) -> None:
    students, gate_only = await alerts_console(device)
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f3")
        table: DataTable[str | Text] = app.screen.query_one("#alerts", DataTable)
        await until(pilot, lambda: table.row_count > 100, "the alerts")
        body = await (await device.client.get("/api/v1/alerts", headers=auth("guard"))).json()
        assert table.row_count == len(body["alerts"])
        first = cells(table, 0)
        student = device.school.students[gate_only]
        contact = device.school.contact_of(gate_only)
        assert contact is not None
        assert first[:3] == ["✗ 已进校门未到教室", student.name, student.class_name]
        assert first[3].startswith("校门入口 18:2") and first[4] == contact.phone
        assert all(cells(table, r)[0] in ("✗ 缺勤未请假", "! 零报告未签") for r in range(1, table.row_count))
        detail = app.screen.query_one("#alert-detail", Static)
        assert f"请致电 {contact.name}({contact.relation}) {contact.phone}" in str(detail.render())


async def test_found_checks_the_child_in_and_the_alert_goes(device: Device) -> None:
    _, gate_only = await alerts_console(device)
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        await until(pilot, lambda: screen.highlighted is not None and screen.highlighted.kind == "not_in_room", "alerts")
        await pilot.press("f")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question (defect 1: F asked nothing)")
        name = device.school.students[gate_only].name
        assert name in str(app.screen.query_one("#question").render())
        held = await report(device, evening_session(device, gate_only))
        assert gate_only not in [line["id"] for line in held["present"]]  # nothing recorded before the answer
        await pilot.press("enter")
        await until(pilot, lambda: all(a.kind != "not_in_room" for a in app.board.alerts), "the alert to go")
        held = await report(device, evening_session(device, gate_only))
        assert gate_only in [line["id"] for line in held["present"]]


async def test_the_cursor_stays_on_the_child_and_found_marks_her_while_the_list_resorts(device: Device) -> None:
    students, _ = await alerts_console(device)
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        await until(pilot, lambda: len(screen.rows) > 5, "alerts")
        for _ in range(3):
            await pilot.press("down")
        chosen = screen.highlighted
        assert chosen is not None and chosen.student is not None
        row_before = screen.query_one("#alerts", DataTable).cursor_row
        await pilot.press("f")  # the dialog is open about `chosen` ...
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question")
        others = [s for s in students[5:12] if s != chosen.student.id]
        await arrive(device, others)  # ... while children arrive and rows above hers go
        await until(pilot, lambda: all(not a.student or a.student.id not in others for a in app.board.alerts), "arrivals")
        await pilot.press("escape")  # not yet: back on the list, which re-sorted behind the dialog
        alerts: AlertsScreen = screen
        await until(pilot, lambda: app.screen is alerts and len(alerts.rows) == len(app.board.alerts), "the list redrawn")
        highlighted = screen.highlighted
        assert highlighted is not None and highlighted.student is not None
        assert highlighted.student.id == chosen.student.id, "the cursor moved to another child"
        assert screen.query_one("#alerts", DataTable).cursor_row < row_before  # rows above hers went
        await pilot.press("f")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question again")
        assert chosen.student.name in str(app.screen.query_one("#question").render())
        await pilot.press("enter")
        child = chosen.student.id
        await until(pilot, lambda: all(not a.student or a.student.id != child for a in app.board.alerts),
                    "the chosen child found")  # fmt: skip
        held = await report(device, chosen.session)
        assert chosen.student.id in [line["id"] for line in held["present"]]
        assert {line["id"] for line in held["missing"]} >= set(students[12:20]) - {chosen.student.id}


async def test_the_cursor_stays_on_the_child_while_children_arrive_with_no_dialog_open(device: Device) -> None:
    students, _ = await alerts_console(device)
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        await until(pilot, lambda: len(screen.rows) > 10, "alerts")
        for _ in range(8):
            await pilot.press("down")
        chosen = screen.highlighted
        assert chosen is not None and chosen.student is not None
        others = [s for s in students[5:14] if s != chosen.student.id]
        await arrive(device, others)
        await until(pilot, lambda: all(not a.student or a.student.id not in others for a in screen.rows), "arrivals shown")
        highlighted = screen.highlighted
        assert highlighted is not None and highlighted.student is not None
        assert highlighted.student.id == chosen.student.id


async def test_alerts_without_a_child_name_the_room_service_and_reader_not_ids(device: Device) -> None:
    await alerts_console(device)
    await set_clock(device, "2026-11-30T19:00:00+08:00")  # past the reports' deadline: unsigned is an alert
    await device.service.recorder.record_reader_state("gate-out", False, "unplugged", device.service.clock.now())
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        table: DataTable[str | Text] = screen.query_one("#alerts", DataTable)
        await until(pilot, lambda: table.row_count > 100 and app.board.health is not None, "the alerts and the readers' names")
        await pilot.pause(0.1)
        shown = {cells(table, r)[0]: cells(table, r)[1] for r in range(table.row_count) if not screen.rows[r].student}
        unsigned = [cells(table, r)[1] for r in range(table.row_count) if screen.rows[r].kind == "report_unsigned"]
        assert unsigned and all(text.endswith(" 晚自习") and "2026-" not in text for text in unsigned), unsigned
        rooms = {s.room for s in app.board.sessions if s.service_id == "evening"}
        assert {text.removesuffix(" 晚自习") for text in unsigned} == rooms
        assert shown["⚠ 读卡器故障"] == "校门出口", shown


async def test_a_found_is_taken_back_with_a_reason_within_minutes(device: Device) -> None:
    _, gate_only = await alerts_console(device)
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        await until(pilot, lambda: screen.highlighted is not None and screen.highlighted.kind == "not_in_room", "alerts")
        await pilot.press("f")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question")
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.undoable), "the found recorded")
        await pilot.press("u")
        await until(pilot, lambda: bool(app.screen.query(Input)), "the reason dialog")
        await pilot.press(*"按错了", "enter")
        await until(pilot, lambda: len(app._notifications) >= 2, "the correction's answer")
        assert [n.severity for n in app._notifications][-1] == "information", list(app._notifications)
        await until(pilot, lambda: any(a.kind in ("not_in_room", "missing") and a.student and a.student.id == gate_only
                                       for a in app.board.alerts), "the child missing again")  # fmt: skip
        held = await report(device, evening_session(device, gate_only))
        assert gate_only not in [line["id"] for line in held["present"]]


async def test_excused_and_called_are_recorded_with_their_notes(device: Device) -> None:
    await alerts_console(device)
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        await until(pilot, lambda: len(screen.rows) > 2, "alerts")
        await pilot.press("down")
        called = screen.highlighted
        assert called is not None and called.student is not None and called.kind == "missing"
        await pilot.press("c")
        await until(pilot, lambda: bool(app.screen.query(Input)), "the note dialog")
        await pilot.press(*"在路上", "enter")  # what the guardian said
        await until(pilot, lambda: any(a.student and a.student.note == "在路上" for a in app.board.alerts), "the note")
        missing = (await report(device, called.session))["missing"]
        assert {"id": called.student.id, "note": "在路上"}.items() <= next(m for m in missing if m["id"] == called.student.id).items()
        row = next(r for r in range(len(screen.rows)) if cells(screen.query_one("#alerts", DataTable), r)[1] == called.student.name)
        assert cells(screen.query_one("#alerts", DataTable), row)[5] == "在路上"

        await until(pilot, lambda: screen.highlighted is not None and screen.highlighted.student is not None, "a row")
        excused = screen.highlighted
        assert excused is not None and excused.student is not None
        await pilot.press("e")
        await until(pilot, lambda: bool(app.screen.query(Input)), "the note dialog")
        await pilot.press(*"病假", "enter")
        gone = excused.student.id
        await until(pilot, lambda: all(not a.student or a.student.id != gone for a in app.board.alerts), "the excused")
        on_leave = (await report(device, excused.session))["on_leave"]
        assert any(line["id"] == gone and line["note"] == "病假" for line in on_leave)


async def test_an_action_the_device_refuses_is_shown_not_lost(device: Device) -> None:
    await alerts_console(device)
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        await until(pilot, lambda: len(screen.rows) > 2, "alerts")
        await set_clock(device, "2026-12-01T09:00:00+08:00")  # the next morning: no session to act in
        await pilot.press("f")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question")
        await pilot.press("enter")
        await until(pilot, lambda: bool(app._notifications), "the refusal")
        note = list(app._notifications)[-1]
        assert note.severity == "error" and "现在没有课后服务" in note.message and note.message.isascii() is False
        assert "has no session" not in note.message  # the rules' code, said in Chinese (defect 5)


async def test_the_rooms_cursor_stays_on_the_same_room_when_rooms_come_and_go(device: Device) -> None:
    await set_clock(device, "2026-12-02T16:20:00+08:00")  # a Wednesday: noon's care still listed, the clubs on
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f2")
        table: DataTable[str | Text] = app.screen.query_one("#rooms", DataTable)
        await until(pilot, lambda: table.row_count == 4, "noon's two rooms and the two clubs")
        first_club = next(r for r in range(4) if "2026-12-02.clubs." in str(table.coordinate_to_cell_key(Coordinate(r, 0)).row_key.value))
        table.move_cursor(row=first_club)
        chosen = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        await set_clock(device, "2026-12-02T16:50:00+08:00")  # noon's care drops off, the evening's rooms come
        app.refresh_due.set()
        await until(pilot, lambda: table.row_count == 6, "the clubs and the evening's four rooms")
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == chosen
