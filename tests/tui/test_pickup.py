"""The pickup desk (F4): find a child by name, pinyin, initials, class or card; release to an authorised guardian only."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static

from edge.core.pinyin import syllables
from tests.api.conftest import Device
from tests.tui.conftest import arrive, console, evening_session, report, running, set_clock, until
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
    held = await report(device, evening_session(device, student_id))
    assert held["picked_up"] == [] and student_id in [line["id"] for line in held["still_waiting"]]
