"""The pickup desk (F4): find a child by name, pinyin, initials, class or card; release to an authorised guardian only."""

from __future__ import annotations

from datetime import datetime

import pytest
from rich.text import Text
from textual.widgets import DataTable, Input, Label, Static

from edge.core.i18n import t
from edge.core.pinyin import syllables
from tests.api.conftest import Device, auth
from tests.tui.conftest import (
    TZ,
    arrive,
    console,
    evening_session,
    report,
    room_of,
    running,
    set_clock,
    until,
)
from tui.screens.check_in import CheckInDialog
from tui.screens.confirm_dialog import ConfirmDialog
from tui.screens.live import LiveScreen
from tui.screens.pickup import PickupScreen
from tui.screens.release_dialog import ReleaseDialog
from tui.widgets.student_picker import StudentPicker

AFTER_THE_END = "2026-11-30T19:35:00+08:00"  # evening study ends 19:30: parents arrive


def pickable(device: Device, authorised: bool = True) -> str:
    """An evening student with an authorised guardian (or, with False, also one who may not pick up)."""
    for student in device.evening_students():
        guardians = device.school.guardians_of(student)
        if any(g.may_pick_up for g in guardians) and (authorised or any(not g.may_pick_up for g in guardians)):
            return student
    raise LookupError("no such student in the sample school")


async def search(pilot: object, app: object, text: str) -> StudentPicker:
    picker = app.screen.query_one(StudentPicker)  # type: ignore[attr-defined]
    await pilot.press(*text)  # type: ignore[attr-defined]
    await until(pilot, lambda: bool(picker.results), f"results for {text!r}")  # type: ignore[arg-type]
    return picker


@pytest.mark.parametrize("how", ["name", "pinyin", "initials", "class", "card"])
async def test_the_search_finds_a_child_every_way_a_guard_may_type_it(device: Device, how: str) -> None:
    student = device.school.students[pickable(device)]
    parts = syllables(student.name)
    text = {
        "name": student.name,
        "pinyin": "".join(parts),
        "initials": "".join(p[0] for p in parts),  # zs -> 张三
        "class": student.class_name,
        "card": device.card_of(student.id),
    }[how]
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f4")
        picker = app.screen.query_one(StudentPicker)
        await pilot.press(*text)  # Chinese arrives as the input method commits it: character by character
        await until(pilot, lambda: student.id in [hit.id for hit in picker.results], f"{student.name} by {how}")
        table: DataTable[str] = picker.query_one("#hits", DataTable)
        assert [str(c) for c in table.get_row_at([h.id for h in picker.results].index(student.id))][:2] == [
            student.name, student.class_name]  # fmt: skip


async def test_a_child_is_released_to_an_authorised_guardian(device: Device) -> None:
    student_id = pickable(device)
    student = device.school.students[student_id]
    guardian = next(g for g in device.school.guardians_of(student_id) if g.may_pick_up)
    await arrive(device, [student_id])
    await set_clock(device, AFTER_THE_END)
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f4")
        await search(pilot, app, student_id)  # the id: exactly one child, so Enter takes them
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, PickupScreen)
        table: DataTable[str | Text] = screen.query_one("#guardians", DataTable)
        await until(pilot, lambda: table.row_count == len(device.school.guardians_of(student_id)), "the guardians")
        rows = [[c.plain if isinstance(c, Text) else c for c in table.get_row_at(r)] for r in range(table.row_count)]
        for row, g in zip(rows, device.school.guardians_of(student_id), strict=True):
            assert row == [g.name, g.relation, g.phone, "✓ 可以接送" if g.may_pick_up else "✗ 无接送权限"]
        table.move_cursor(row=[r[0] for r in rows].index(guardian.name))
        await pilot.pause()
        hint = str(screen.query_one("#pickup-hint", Static).render())
        assert f"回车:把 {student.name} 交给 {guardian.name}" in hint
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReleaseDialog), "the confirmation")
        await pilot.press("enter")
        session = evening_session(device, student_id)
        await until(pilot, lambda: app.board.last_tap is not None and app.board.last_tap.outcome == "picked_up", "release")
        picker = screen.query_one(StudentPicker)
        assert picker.text == "" and table.row_count == 0  # the desk is clear for the next parent
    held = await report(device, session)
    assert [line["id"] for line in held["picked_up"]] == [student_id]


async def test_someone_without_pickup_rights_gets_a_red_warning_and_the_child_stays(device: Device) -> None:
    student_id = pickable(device, authorised=False)
    stranger = next(g for g in device.school.guardians_of(student_id) if not g.may_pick_up)
    await arrive(device, [student_id])
    await set_clock(device, AFTER_THE_END)
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f4")
        await search(pilot, app, student_id)
        await pilot.press("enter")
        screen = app.screen
        table: DataTable[str | Text] = screen.query_one("#guardians", DataTable)
        await until(pilot, lambda: table.row_count > 1, "the guardians")
        table.move_cursor(row=[g.id for g in device.school.guardians_of(student_id)].index(stranger.id))
        await pilot.pause()
        hint = screen.query_one("#pickup-hint", Static)
        assert hint.has_class("-denied") and f"✗ {stranger.name}({stranger.relation})无权接走" in str(hint.render())
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReleaseDialog), "the warning")
        dialog = app.screen
        assert dialog.query_one(".dialog").has_class("-denied")
        assert "不要放行" in " ".join(str(label.render()) for label in dialog.query("Label"))
        await pilot.press("enter")  # records the refusal; nobody is released
        await until(pilot, lambda: app.board.last_tap is not None and app.board.last_tap.outcome == "unauthorised_pickup",
                    "the refusal")  # fmt: skip
        assert app._notifications and list(app._notifications)[-1].severity == "error"
        # She stays on the desk, her guardians listed, so the guard releases her to the right adult at once.
        await until(pilot, lambda: app.screen is screen, "back on the desk")
        assert app.focused is table  # her guardians, not an empty search box
        assert isinstance(screen, PickupScreen) and screen.student is not None and screen.student.id == student_id
        assert table.row_count == len(device.school.guardians_of(student_id))
        mother = next(g for g in device.school.guardians_of(student_id) if g.may_pick_up)
        table.move_cursor(row=[g.id for g in device.school.guardians_of(student_id)].index(mother.id))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReleaseDialog), "the confirmation")
        await pilot.press("enter")
        await until(pilot, lambda: app.board.last_tap is not None and app.board.last_tap.outcome == "picked_up", "release")
        await until(pilot, lambda: screen.student is None and table.row_count == 0, "the desk cleared for the next family")
    held = await report(device, evening_session(device, student_id))
    assert [line["id"] for line in held["picked_up"]] == [student_id]


AFTER_HEADCOUNT = "2026-11-30T18:40:00+08:00"  # evening study starts 18:15: missing from 18:25, late after 18:20


def said(app: object) -> list[str]:
    """What the console told the guard, oldest first."""
    return [note.message for note in app._notifications]  # type: ignore[attr-defined]


async def hhmm(device: Device, session: str, student: str, field: str = "present_at") -> str:
    """The device's own time of her check-in (or leaving), HH:MM: the sim clock's, never the wall's."""
    at: str = await device.service.recorder.query(lambda view: getattr(view.projection.state.attendance[(session, student)], field))
    return datetime.fromisoformat(at).astimezone(TZ).strftime("%H:%M")


async def state_shown(pilot: object, app: object, student_id: str) -> str:
    """Search the desk for one child by id and read the state column of her row."""
    picker = app.screen.query_one(StudentPicker)  # type: ignore[attr-defined]
    picker.clear()
    await search(pilot, app, student_id)
    await until(pilot, lambda: [h.id for h in picker.results] == [student_id], student_id)  # type: ignore[arg-type]
    return str(picker.query_one("#hits", DataTable).get_row_at(0)[2])


async def choose(pilot: object, app: object, student_id: str) -> PickupScreen:
    """On the desk, find one child by id and take her (her guardians listed)."""
    await search(pilot, app, student_id)
    await pilot.press("enter")  # type: ignore[attr-defined]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, PickupScreen)
    await until(pilot, lambda: screen.student is not None and screen.student.id == student_id, "her on the desk")  # type: ignore[arg-type]
    return screen


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_desk_shows_where_each_child_stands_in_the_guards_language(device: Device, lang: str) -> None:
    in_room, at_gate, missing, excused, *_ = device.evening_students()
    await arrive(device, [in_room])
    await arrive(device, [at_gate], room=False)
    await set_clock(device, AFTER_HEADCOUNT)
    response = await device.client.post("/api/v1/actions", headers=auth("guard"),
                                        json={"type": "excuse", "student_id": excused, "note": "病假"})  # fmt: skip
    assert response.status == 201
    room = device.school.rooms[room_of(device, in_room)].name
    since = await hhmm(device, evening_session(device, in_room), in_room)
    app = console(device, lang)
    async with running(app) as pilot:
        await pilot.press("f4")
        assert await state_shown(pilot, app, in_room) == t("desk.state.in_room", lang, room=room, at=since)
        assert await state_shown(pilot, app, at_gate) == t("desk.state.on_campus", lang)
        assert await state_shown(pilot, app, missing) == t("desk.state.missing", lang)
        assert await state_shown(pilot, app, excused) == t("desk.state.on_leave", lang)

        await set_clock(device, AFTER_THE_END)
        guardian = next(g for g in device.school.guardians_of(in_room) if g.may_pick_up)
        response = await device.client.post("/api/v1/actions", headers=auth("guard"),
                                            json={"type": "release", "student_id": in_room, "guardian_id": guardian.id})  # fmt: skip
        assert response.status == 201
        gone = await hhmm(device, evening_session(device, in_room), in_room, "left_at")
        expected = t("desk.state.picked_up", lang, at=gone, relation=guardian.relation, guardian=guardian.name)
        assert await state_shown(pilot, app, in_room) == expected  # "19:35 已由 父亲 赵博伟 接走"


async def test_a_forgotten_card_is_checked_in_from_the_desk_with_the_usual_note(device: Device) -> None:
    student_id = pickable(device)
    student = device.school.students[student_id]
    await set_clock(device, AFTER_HEADCOUNT)
    app = console(device)
    async with running(app) as pilot:
        await until(pilot, lambda: any(a.student and a.student.id == student_id for a in app.board.alerts), "her alert")
        await pilot.press("f4")
        screen = await choose(pilot, app, student_id)
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        words = " ".join(str(label.render()) for label in app.screen.query(Label))
        assert f"给 {student.name}({student.class_name})补签到?" in words and "缺勤" in words
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.screen.query("#note")), "the note")
        assert app.screen.query_one("#note", Input).value == "忘带卡"
        await pilot.press("enter")
        await until(pilot, lambda: f"迟到 {student.name}" in said(app), "the answer")  # 18:40: after 18:20, late
        assert not any("撤销" in text for text in said(app))  # the device cannot take a check-in back: no undo offered
        await until(pilot, lambda: all(not a.student or a.student.id != student_id for a in app.board.alerts), "the alert gone")
        table = screen.query_one("#guardians", DataTable)
        room = device.school.rooms[room_of(device, student_id)].name
        await until(pilot, lambda: f"在{room} 自" in str(table.border_title), "her state on the desk read again")
    held = await report(device, evening_session(device, student_id))
    assert {"id": student_id, "note": "忘带卡"}.items() <= next(line for line in held["late"] if line["id"] == student_id).items()


async def check_in_at_the_gate(pilot: object, app: object, student_id: str, note: str = "") -> None:
    """F1, I, find her by id, Enter; confirm; the note (or the usual one), Enter."""
    await pilot.press("f1", "i")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, CheckInDialog), "the check-in dialog")  # type: ignore[arg-type,attr-defined]
    await search(pilot, app, student_id)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")  # type: ignore[arg-type,attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await until(pilot, lambda: bool(app.screen.query("#note")), "the note")  # type: ignore[arg-type,attr-defined]
    if note:
        app.screen.query_one("#note", Input).value = ""  # type: ignore[attr-defined]
        await pilot.press(*note)  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]


async def test_the_gate_checks_in_by_hand_and_says_already_in_or_the_refusal(device: Device) -> None:
    late, already, *_ = device.evening_students()
    not_tonight = next(s for s in device.school.students if s not in device.evening_students())
    await arrive(device, [already])
    await set_clock(device, AFTER_HEADCOUNT)
    names = device.school.students
    app = console(device)
    async with running(app) as pilot:
        await check_in_at_the_gate(pilot, app, late, note="家长送来")
        await until(pilot, lambda: f"迟到 {names[late].name}" in said(app), "late")
        await check_in_at_the_gate(pilot, app, already)
        await until(pilot, lambda: f"已签到过 {names[already].name}" in said(app), "already in")
        await check_in_at_the_gate(pilot, app, not_tonight)
        await until(pilot, lambda: f"{names[not_tonight].name} 现在没有课后服务" in said(app), "the refusal in Chinese")
        assert isinstance(app.screen, LiveScreen)
    held = await report(device, evening_session(device, late))
    assert {"id": late, "note": "家长送来"}.items() <= next(line for line in held["late"] if line["id"] == late).items()


async def test_releasing_a_child_who_never_arrived_is_refused_and_her_alert_stays(device: Device) -> None:
    student_id = pickable(device)
    student = device.school.students[student_id]
    await set_clock(device, AFTER_HEADCOUNT)
    app = console(device)
    async with running(app) as pilot:
        await until(pilot, lambda: any(a.student and a.student.id == student_id for a in app.board.alerts), "her alert")
        await pilot.press("f4")
        screen = await choose(pilot, app, student_id)
        table: DataTable[str | Text] = screen.query_one("#guardians", DataTable)
        table.move_cursor(row=[g.may_pick_up for g in device.school.guardians_of(student_id)].index(True))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReleaseDialog), "the confirmation")
        await pilot.press("enter")
        refusal = f"{student.name} 还没到校(没进校门也没到教室),不能放行"
        await until(pilot, lambda: refusal in said(app), "the refusal in Chinese")
        assert list(app._notifications)[-1].severity == "error"
        assert screen.student is not None and screen.student.id == student_id  # still on the desk
        await pilot.pause(0.3)
        assert any(a.kind == "missing" and a.student and a.student.id == student_id for a in app.board.alerts)
    held = await report(device, evening_session(device, student_id))
    assert student_id in [line["id"] for line in held["missing"]] and held["picked_up"] == []
