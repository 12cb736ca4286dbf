"""Undo at the console (issue 12), driven as a guard would: the key, the question naming the child, then U.

An excuse and a card given to a child are taken back with a reason, and the device's state after
says so through its API (the child expected again; the card nobody's). A card dismissed at one
console is the device's event: it leaves a second console's F7 at once, and comes back on both when
the first console's guard takes the dismissal back.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label

from tests.api.conftest import Device
from tests.tui.conftest import arrive, console, report, running, set_clock, tap, until
from tui.app import GuardApp
from tui.screens.alerts import AlertsScreen
from tui.screens.cards import CardsScreen

UNKNOWN = "DEADBEEF"


def dialog_text(app: GuardApp) -> str:
    """Every label of the dialog on top, as one text."""
    return " ".join(str(label.render()) for label in app.screen.query(Label))


def card_uids(app: GuardApp) -> list[str]:
    if not isinstance(app.screen, CardsScreen):
        return []
    table: DataTable[str | Text] = app.screen.query_one("#cards", DataTable)
    return [str(table.get_row_at(row)[0]) for row in range(table.row_count)]


async def take_back(pilot: Pilot[Any], app: GuardApp, names: str, reason: str = "按错了") -> None:
    """U, the dialog naming what is taken back (`names`), a reason, Enter; until the device answers."""
    said = len(app._notifications)
    await pilot.press("u")
    await until(pilot, lambda: bool(app.screen.query(Input)), "the undo dialog")
    assert names in dialog_text(app), dialog_text(app)
    await pilot.press(*reason, "enter")
    await until(pilot, lambda: len(app._notifications) > said, "the correction's answer")
    assert list(app._notifications)[-1].severity == "information", list(app._notifications)


async def test_an_excuse_is_taken_back_and_the_child_is_expected_again(device: Device) -> None:
    await arrive(device, device.evening_students()[:4])
    await set_clock(device, "2026-11-30T18:40:00+08:00")  # the head count is due: the rest are missing
    app = console(device)
    async with running(app) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        await until(pilot, lambda: screen.highlighted is not None and screen.highlighted.student is not None, "alerts")
        alert = screen.highlighted
        assert alert is not None and alert.student is not None
        child = alert.student
        await pilot.press("e")
        await until(pilot, lambda: bool(app.screen.query(Input)), "the excuse dialog")
        assert f"给 {child.name} 准假" in dialog_text(app)  # the question names her
        await pilot.press(*"病假", "enter")
        await until(pilot, lambda: bool(app.undoable), "the excuse recorded")
        assert child.id in [line["id"] for line in (await report(device, alert.session))["on_leave"]]

        await take_back(pilot, app, f"撤销对 {child.name} 的“准假”")
        held = await report(device, alert.session)
        assert child.id not in [line["id"] for line in held["on_leave"]]
        assert child.id in [line["id"] for line in held["missing"]]
        await until(pilot, lambda: any(a.student and a.student.id == child.id for a in app.board.alerts),
                    "her alert back on the console")  # fmt: skip
        assert not app.undoable  # taken back once: U has nothing more of hers


async def test_a_card_given_to_a_child_is_taken_back_and_is_nobodys_again(device: Device) -> None:
    student = device.school.students[device.evening_students()[0]]
    app = console(device)
    async with running(app) as pilot:
        await tap(device, "gate-in", UNKNOWN)
        await pilot.press("f7")
        await until(pilot, lambda: card_uids(app) == [UNKNOWN], "the card listed")
        await pilot.press("a")
        await until(pilot, lambda: type(app.screen).__name__ == "AssignDialog", "the assign dialog")
        await pilot.press(*student.id)
        await until(pilot, lambda: bool(app.screen.query_one("StudentPicker").results), "the search")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question")
        assert f"把卡 {UNKNOWN} 绑定给 {student.name}" in dialog_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.undoable) and not app.board.cards, "the card given")
        await set_clock(device, "2026-11-30T18:21:00+08:00")  # a minute on: a new tap, not a bounce
        assert (await tap(device, "gate-in", UNKNOWN))["subject"] == student.id  # the device holds it as hers

        await take_back(pilot, app, f"撤销对 {student.name} 的“绑卡”", "给错了孩子")
        await until(pilot, lambda: card_uids(app) == [UNKNOWN], "the card back on the list")
        await set_clock(device, "2026-11-30T18:22:00+08:00")
        again = await tap(device, "gate-out", UNKNOWN)
        assert (again["outcome"], again["subject"]) == ("unknown_card", "")


async def test_a_card_dismissed_at_one_console_leaves_the_other_and_comes_back_on_undo(device: Device) -> None:
    await tap(device, "gate-in", UNKNOWN)
    await tap(device, "gate-out", "CAFEF00D")
    first, second = console(device), console(device)
    async with running(first) as one, running(second) as two:
        await two.press("f7")
        await until(two, lambda: sorted(card_uids(second)) == ["CAFEF00D", UNKNOWN], "both cards on the second console")
        await one.press("f7")
        await until(one, lambda: len(card_uids(first)) == 2, "both cards on the first console")
        assert card_uids(first)[0] == "CAFEF00D"  # the newest first: D acts on it
        await one.press("d")
        await until(one, lambda: type(first.screen).__name__ == "ConfirmDialog", "the question")
        assert "CAFEF00D" in dialog_text(first)
        await one.press("enter")
        await until(one, lambda: bool(first.screen.query(Input)), "the reason")
        await one.press("enter")  # no reason: refused here, nothing sent
        await until(one, lambda: not first.screen.query(Input), "the dialog closed")
        assert len(card_uids(first)) == 2 and not first.undoable
        await one.press("d", "enter")
        await until(one, lambda: bool(first.screen.query(Input)), "the reason again")
        await one.press(*"访客卡", "enter")
        await until(one, lambda: card_uids(first) == [UNKNOWN], "the dismissed card gone here")
        await until(two, lambda: card_uids(second) == [UNKNOWN], "and gone from the other console")

        await take_back(one, first, "撤销对 CAFEF00D 的“忽略卡”")
        await until(two, lambda: sorted(card_uids(second)) == ["CAFEF00D", UNKNOWN], "back on the other console")
        await until(one, lambda: sorted(card_uids(first)) == ["CAFEF00D", UNKNOWN], "and here")
        kinds = await device.service.recorder.query(lambda view: [e.kind.value for e in view.store.events()])
        assert kinds[-2:] == ["dismiss_card", "correct"]
