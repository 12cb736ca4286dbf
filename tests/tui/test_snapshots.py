"""Snapshots of the main screens in Chinese and English, at 100×30 and at the smallest size, 80×24.

Each scene is set up on a real device through the sim endpoints at fixed simulated times, so
the screens are the same on every run. The golden files are in `__snapshots__/` (SVG to look
at, text to diff); see `snapshots.py` for how to review and accept a change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from edge.cli.sample import SAMPLE_PIN
from tests.api.conftest import Device, auth
from tests.tui.conftest import arrive, console, room_of, running, set_clock, tap, teacher_card, until
from tests.tui.snapshots import assert_snapshot
from tui.app import GuardApp
from tui.screens.pickup import PickupScreen
from tui.screens.report import ReportScreen
from tui.widgets.student_picker import StudentPicker

Scene = Callable[[Device, GuardApp, Pilot[None]], Awaitable[None]]


async def gate(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    students = device.evening_students()
    await arrive(device, students[:12])
    wrong = next(r for r in ("r301", "r302") if r != room_of(device, students[12]))
    await tap(device, "gate-in", device.card_of(students[12]))
    await tap(device, f"room-{wrong}", device.card_of(students[12]))
    await tap(device, "gate-in", "DEADBEEF")  # a card nobody holds: the panel offers to assign it
    await until(pilot, lambda: app.board.head_seq == 27 and app.board.last_tap is not None, "the taps")
    await until(pilot, lambda: sum(s.count("present") for s in app.board.sessions) == 12, "the counts")


async def rooms(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    students = device.evening_students()
    await arrive(device, students[:40])
    await set_clock(device, "2026-11-30T18:40:00+08:00")
    await arrive(device, students[40:44])
    await pilot.press("f2")
    await until(pilot, lambda: sum(s.count("late") for s in app.board.sessions) == 4, "the late ones")


async def alerts(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    students = device.evening_students()
    await arrive(device, students[:30])
    await arrive(device, students[30:32], room=False)  # through the gate, never in the room
    await set_clock(device, "2026-11-30T18:40:00+08:00")
    await pilot.press("f3")
    await until(pilot, lambda: len(app.board.alerts) == 150 - 30, "the alerts")


async def pickup(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    student = next(s for s in device.evening_students()
                   if any(not g.may_pick_up for g in device.school.guardians_of(s)))  # fmt: skip
    await arrive(device, [student])
    await set_clock(device, "2026-11-30T19:35:00+08:00")
    # Something happens at 19:35 (she taps at the gate again), so the device's time on the screen does
    # not depend on when the console last polled: a jump of the clock alone raises no event now.
    await tap(device, "gate-in", device.card_of(student))
    # The status bar's counts come with the next read of the sessions: wait for it, not for luck.
    await until(pilot, lambda: any(s.count("still_waiting") for s in app.board.sessions), "her waiting counted")
    await pilot.press("f4")
    await pilot.press(*student)
    picker = app.screen.query_one(StudentPicker)
    await until(pilot, lambda: len(picker.results) == 1, "the child")
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, PickupScreen)
    table = screen.query_one("#guardians", DataTable)
    await until(pilot, lambda: table.row_count > 1, "the guardians")
    table.move_cursor(row=[g.may_pick_up for g in device.school.guardians_of(student)].index(False))
    await pilot.pause()


async def report(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    await arrive(device, device.evening_students()[:40])  # room 301 all there, 302 only two
    await set_clock(device, "2026-11-30T18:40:00+08:00")
    staff_id, _ = teacher_card(device)
    signed = await device.client.post("/api/v1/sessions/2026-11-30.evening.r301/report/sign",
                                      json={"staff_id": staff_id, "pin": SAMPLE_PIN}, headers=auth("teacher"))  # fmt: skip
    assert signed.status == 201
    await pilot.press("f5")
    screen = app.screen
    assert isinstance(screen, ReportScreen)
    await until(pilot, lambda: any(s.signed for s in screen.sessions), "the signed report")
    screen.query_one("#reports", DataTable).move_cursor(row=[s.id for s in screen.sessions].index("2026-11-30.evening.r302"))
    await until(pilot, lambda: screen.report is not None and screen.report.session.id.endswith("r302"), "the report")
    await until(pilot, lambda: "缺勤" in str(screen.query_one("#report-detail").render())
                or "missing" in str(screen.query_one("#report-detail").render()), "the report's lists")  # fmt: skip


SCENES: dict[str, Scene] = {"gate": gate, "rooms": rooms, "alerts": alerts, "pickup": pickup, "report": report}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("scene", list(SCENES))
async def test_main_screens(device: Device, scene: str, lang: str) -> None:
    app = console(device, lang)
    async with running(app, size=(100, 30)) as pilot:
        await SCENES[scene](device, app, pilot)
        await pilot.pause(0.1)
        assert_snapshot(app, f"{scene}_{lang}_100x30")


@pytest.mark.parametrize("scene", ["gate", "pickup"])
async def test_the_smallest_screen_still_shows_everything(device: Device, scene: str) -> None:
    app = console(device, "zh")
    async with running(app, size=(80, 24)) as pilot:
        await SCENES[scene](device, app, pilot)
        await pilot.pause(0.1)
        assert_snapshot(app, f"{scene}_zh_80x24")
