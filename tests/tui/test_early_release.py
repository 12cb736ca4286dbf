"""Early release during study (issue 12, defect 8): the release dialog says plainly that she leaves before her
session's end and asks for it; the device records her as left early, and F1's and F2's counts show it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import DataTable, Label

from tests.api.conftest import Device
from tests.tui.conftest import arrive, console, evening_session, report, running, set_clock, until
from tests.tui.test_pickup import AFTER_HEADCOUNT, AFTER_THE_END, pickable, search
from tui.app import GuardApp
from tui.board import Board, session_under_way
from tui.rows import SessionRow
from tui.screens.pickup import PickupScreen
from tui.screens.release_dialog import ReleaseDialog
from tui.screens.rooms import NUMBERS
from tui.widgets.counts import Counts


async def open_release(device: Device, app: GuardApp, pilot: object, student_id: str) -> ReleaseDialog:
    await pilot.press("f4")  # type: ignore[attr-defined]
    await search(pilot, app, student_id)
    await pilot.press("enter")  # type: ignore[attr-defined]
    screen = app.screen
    assert isinstance(screen, PickupScreen)
    table: DataTable[str | Text] = screen.query_one("#guardians", DataTable)
    guardians = device.school.guardians_of(student_id)
    await until(pilot, lambda: table.row_count == len(guardians), "the guardians")  # type: ignore[arg-type]
    table.move_cursor(row=next(i for i, g in enumerate(guardians) if g.may_pick_up))
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, ReleaseDialog), "the confirmation")  # type: ignore[arg-type]
    assert isinstance(app.screen, ReleaseDialog)
    return app.screen


def words(dialog: ReleaseDialog) -> str:
    return " ".join(str(label.render()) for label in dialog.query(Label))


async def test_releasing_during_study_says_early_and_the_counts_keep_her(device: Device) -> None:
    student_id = pickable(device)
    await arrive(device, [student_id])
    await set_clock(device, AFTER_HEADCOUNT)
    app = console(device)
    async with running(app) as pilot:
        dialog = await open_release(device, app, pilot, student_id)
        assert "提前离校:晚自习19:30结束" in words(dialog)
        assert "确认提前离校" in words(dialog)
        await pilot.press("enter")
        session_id = evening_session(device, student_id)
        await until(pilot, lambda: any(s.id == session_id and s.count("left_early") == 1 for s in app.board.sessions),
                    "the left-early count")  # fmt: skip
        await pilot.press("f1")
        await until(pilot, lambda: "提前离校\u00a01" in str(app.screen.query_one(Counts).render()), "F1's count")
        await pilot.press("f2")
        table: DataTable[str | Text] = app.screen.query_one("#rooms", DataTable)
        await until(pilot, lambda: table.row_count > 0, "F2's rows")
        row = table.get_row(session_id)
        column = 2 + NUMBERS.index("left_early")
        assert str(row[column]).strip() == "1"
        assert [str(c.label) for c in table.columns.values()][column] == "提前离校"
    held = await report(device, session_id)
    assert [line["id"] for line in held["left_early"]] == [student_id]


async def test_releasing_after_the_end_says_nothing_of_early(device: Device) -> None:
    student_id = pickable(device)
    await arrive(device, [student_id])
    await set_clock(device, AFTER_THE_END)
    app = console(device)
    async with running(app) as pilot:
        dialog = await open_release(device, app, pilot, student_id)
        assert "提前离校" not in words(dialog) and not dialog.query("#early")


def test_the_session_under_way_is_the_childs_rooms_else_the_first_to_end() -> None:
    tz = ZoneInfo("Asia/Shanghai")

    def row(room: str, start: int, end: int) -> SessionRow:
        day = datetime(2026, 11, 30, tzinfo=tz)
        return SessionRow(f"s-{room}", "evening", "晚自习", room, room, day.replace(hour=start), day.replace(hour=end),
                          0, {}, True, False)  # fmt: skip

    sessions = (row("301教室", 18, 20), row("302教室", 18, 19), row("303教室", 20, 21))
    board = Board(sessions=sessions, device_now=datetime(2026, 11, 30, 18, 30, tzinfo=tz))
    assert session_under_way(board, "301教室") == sessions[0]
    assert session_under_way(board) == sessions[1]
    assert session_under_way(Board(sessions=sessions, device_now=datetime(2026, 11, 30, 21, 5, tzinfo=tz))) is None
