"""Unresolved cards (F7, issue 12 defect 4) and the 19:30 list (W on F1): kept until a guard deals with them, live."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tests.api.conftest import Device, auth
from tests.tui.conftest import arrive, console, running, set_clock, tap, until
from tui.app import GuardApp
from tui.screens.cards import CardsScreen
from tui.screens.waiting import WaitingScreen
from tui.widgets.status_bar import StatusBar

UNKNOWN = "DEADBEEF"


def plain(renderable: object) -> str:
    return renderable.plain if isinstance(renderable, Text) else str(renderable)


def card_rows(app: GuardApp) -> list[list[str]]:
    table: DataTable[str | Text] = app.screen.query_one("#cards", DataTable)
    return [[plain(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


async def open_cards(app: GuardApp, pilot: Pilot[Any]) -> CardsScreen:
    await pilot.press("f7")
    await until(pilot, lambda: isinstance(app.screen, CardsScreen), "the cards screen")
    screen = app.screen
    assert isinstance(screen, CardsScreen)
    return screen


async def test_an_unknown_card_stays_listed_after_other_taps_with_its_reader_and_taps(device: Device) -> None:
    app = console(device)
    async with running(app) as pilot:
        await tap(device, "gate-in", UNKNOWN)
        await set_clock(device, "2026-11-30T18:21:00+08:00")  # a minute later (not a bounce): tapped again
        await tap(device, "gate-in", UNKNOWN)
        await arrive(device, device.evening_students()[:5])  # the big panel moves on to the children
        await until(pilot, lambda: app.board.last_tap is not None and not app.board.last_tap.unknown_card, "later taps")
        status = app.screen.query_one(StatusBar)
        await until(pilot, lambda: "F7问题卡\u00a01" in status._right().plain, "the count on the status line")
        await pilot.press("f4")  # from any screen, even the pickup desk with its search box
        await pilot.pause(0.1)
        await open_cards(app, pilot)
        await until(pilot, lambda: len(card_rows(app)) == 1, "the card listed")
        uid, what, place, _, taps = card_rows(app)[0]
        assert (uid, what, place, taps) == (UNKNOWN, "未登记的卡", "校门入口", "2")


async def test_a_card_is_given_to_a_child_from_the_list_asking_first(device: Device) -> None:
    student = device.school.students[device.evening_students()[0]]
    app = console(device)
    async with running(app) as pilot:
        await tap(device, "gate-in", UNKNOWN)
        await arrive(device, device.evening_students()[1:3])
        await open_cards(app, pilot)
        await until(pilot, lambda: len(card_rows(app)) == 1, "the card listed")
        await pilot.press("a")
        await until(pilot, lambda: type(app.screen).__name__ == "AssignDialog", "the assign dialog")
        await pilot.press(*student.id)
        await until(pilot, lambda: bool(app.screen.query_one("StudentPicker").results), "the search")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question")
        assert student.name in plain(app.screen.query_one("#question").render())
        assert len(app.board.cards) == 1  # nothing bound before the answer
        await pilot.press("enter")
        await until(pilot, lambda: not app.board.cards, "the card off the list once the device assigned it")
        assert (await tap(device, "gate-out", UNKNOWN))["subject"] == student.id


async def test_a_card_is_dismissed_after_a_question_and_a_note_and_the_list_survives_a_reconnect(device: Device) -> None:
    app = console(device)
    async with running(app) as pilot:
        await tap(device, "gate-in", UNKNOWN)
        await tap(device, "gate-out", "CAFEF00D")
        screen = await open_cards(app, pilot)
        await until(pilot, lambda: len(card_rows(app)) == 2, "both cards listed")
        assert screen.highlighted is not None and screen.highlighted.uid == "CAFEF00D"  # the newest first
        await pilot.press("d")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question")
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "NoteDialog", "the note")
        await pilot.press(*"访客卡", "enter")
        await until(pilot, lambda: [c.uid for c in app.board.cards] == [UNKNOWN], "the dismissed card gone")

        await arrive(device, device.evening_students()[:40])  # 80 taps: more than a snapshot's recent events
        app.follow_stream()  # the stream opened again: a new snapshot of the same log
        await until(pilot, lambda: app.board.head_seq >= 82 and app.board.online, "the new snapshot")
        await pilot.pause(0.2)
        assert [c.uid for c in app.board.cards] == [UNKNOWN]
        assert [row[0] for row in card_rows(app)] == [UNKNOWN]


async def test_a_console_started_later_lists_the_cards_tapped_before_it(device: Device) -> None:
    await tap(device, "gate-in", UNKNOWN)
    app = console(device)
    async with running(app) as pilot:
        await open_cards(app, pilot)
        await until(pilot, lambda: len(card_rows(app)) == 1, "the card from the snapshot")


async def test_the_1930_list_groups_the_waiting_by_room_with_minutes_and_follows_pickups(device: Device) -> None:
    students = device.evening_students()[:6]
    await arrive(device, students)
    await set_clock(device, "2026-11-30T19:42:00+08:00")  # twelve minutes after evening study ended
    app = console(device)
    async with running(app) as pilot:
        await until(pilot, lambda: sum(s.count("still_waiting") for s in app.board.sessions) == 6, "six waiting")
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, WaitingScreen), "the 19:30 list")
        shown = app.screen.query_one("#waiting", Static)
        names = [device.school.students[s].name for s in students]
        await until(pilot, lambda: all(n in plain(shown.render()) for n in names), "every waiting child's name")
        text = plain(shown.render())
        rooms = [s for s in app.board.sessions if s.count("still_waiting")]
        for session in rooms:
            assert f"{session.room} 晚自习 · {session.count('still_waiting')} 人 · 已等 12 分钟" in text

        child = students[0]
        guardian = device.school.contact_of(child)
        assert guardian is not None
        body = {"type": "release", "student_id": child, "guardian_id": guardian.id}
        assert (await device.client.post("/api/v1/actions", json=body, headers=auth("guard"))).status == 201
        await until(pilot, lambda: names[0] not in plain(shown.render()), "the child picked up off the list")
        assert all(n in plain(shown.render()) for n in names[1:])
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, WaitingScreen), "back on F1")
