"""The narrow footer, F12's list of every key, and columns that give way to the width and come back (issue 12, defect 7).

At 80 columns in English the gate's footer keeps its own keys and F12 and lets F1–F6 go, all of them
together; F12 lists them (and U, M, F7, Ctrl+Q) from any screen, the pickup desk's search box too;
widening the terminal brings F1–F6 and F2's columns back, narrowing lets them go again.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import DataTable, Static

from edge.core.i18n import t
from tests.api.conftest import Device
from tests.tui.conftest import arrive, console, running, tap, until
from tests.tui.snapshots import render
from tests.tui.test_chinese_only import ALLOWED, WORD
from tui.app import GuardApp
from tui.columns import Layout, fitting, table_width
from tui.screens.help_dialog import HelpDialog
from tui.screens.live import LiveScreen
from tui.widgets.key_footer import label_width


def footer_line(app: GuardApp) -> str:
    return render(app)[1].splitlines()[-1]


def help_text(app: GuardApp) -> str:
    shown = app.screen.query_one("#help-keys", Static).render()
    return shown.plain if isinstance(shown, Text) else str(shown)


async def test_at_80_columns_f1_to_f6_give_way_together_and_f12_lists_every_key(device: Device) -> None:
    await tap(device, "gate-in", "DEADBEEF")  # A (assign) is offered too
    app = console(device, "en")
    async with running(app, size=(80, 24)) as pilot:
        await until(pilot, lambda: app.board.last_tap is not None, "the tap")
        await pilot.pause(0.1)
        line = footer_line(app)
        assert line.split() == ["A", "assign", "W", "waiting", "I", "check", "in", "F12", "help"], line
        await pilot.press("f12")
        await until(pilot, lambda: isinstance(app.screen, HelpDialog), "the list of keys")
        listed = [re.sub(r"\s{2,}", "  ", row.strip()) for row in help_text(app).splitlines()]
        for key, words in [("A", "assign"), ("W", "waiting"), ("I", "check in"), ("F1", "Gate"), ("F6", "Device"),
                           ("F7", "Cards"), ("U", t("tui.key.undo", "en")), ("M", t("tui.key.mute", "en")),
                           ("F12", "help"), ("Ctrl+Q", "quit the console")]:  # fmt: skip
            assert f"{key}  {words}" in listed, (key, listed)
        assert "All keys · Gate" in render(app)[1]
        await pilot.press("f12")  # F12 again closes it
        await until(pilot, lambda: isinstance(app.screen, LiveScreen), "back at the gate")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpDialog), "? opens it too")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LiveScreen), "Esc closes it")


async def test_f12_works_from_the_pickup_desks_search_box_and_speaks_chinese(device: Device) -> None:
    app = console(device, "zh")
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("f4", "?")  # ? is a character typed into the search box there
        await pilot.pause(0.1)
        assert not isinstance(app.screen, HelpDialog)
        await pilot.press("f12")
        await until(pilot, lambda: isinstance(app.screen, HelpDialog), "the list of keys")
        text = help_text(app)
        assert re.search(r"^F1 +门口$", text, re.M) and re.search(r"^Esc +重新搜索$", text, re.M) and "退出控制台" in text, text
        english = [w for w in WORD.findall(text) if not ALLOWED.match(w) and w not in ("Ctrl+Q", "Q")]
        assert not english, english


async def test_widening_brings_the_screen_keys_and_f2s_columns_back(device: Device) -> None:
    await arrive(device, device.evening_students()[:4])
    app = console(device, "en")
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("f2")
        await pilot.pause(0.1)
        table: DataTable[str | Text] = app.screen.query_one("#rooms", DataTable)
        headers = lambda: [c.label.plain for c in table.columns.values()]  # noqa: E731
        assert "late" not in headers() and "report" not in headers() and "F1 Gate" in footer_line(app)
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: "late" in headers() and "report" in headers(), "the columns back at 120")
        await pilot.press("f1")
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: "F1 Gate" not in footer_line(app), "F1–F6 given way at 80 on the gate")
        await pilot.resize_terminal(100, 30)
        await until(pilot, lambda: "F1 Gate" in footer_line(app) and "F6 Device" in footer_line(app), "F1–F6 at 100")


def test_the_first_layout_that_fits_is_chosen_and_widths_count_wide_characters() -> None:
    assert table_width(["教室", "n"], [["301教室", Text("38")]]) == (7 + 2) + (2 + 2)
    assert label_width([("F1", "门口"), ("F12", "help")]) == len("F1 ") + 4 + 1 + len("F12 help")
    layouts = [Layout(), Layout(time=False), Layout(time=False, dropped=frozenset({"late"}))]
    needs = {layouts[0]: 99, layouts[1]: 94, layouts[2]: 76}.__getitem__
    assert fitting(layouts, needs, 100) == layouts[0]
    assert fitting(layouts, needs, 80) == layouts[2]
    assert fitting(layouts, needs, 60) == layouts[2]  # nothing fits: the narrowest
