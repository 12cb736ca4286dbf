"""Nothing is cut at the console's two sizes, 80×24 and 100×30, in Chinese and in English (issue 12, defect 7).

Each screen F1–F7 (and the pickup desk with a child on it, and F5 with a report's lists) is set up on
a real device and rendered under Pilot to its plain text (`snapshots.render`, the snapshots' own
render). On that text: every footer key of the screen's bindings is whole on the footer line, every
column header of its tables is whole on its header line, every count of the counts line has its
number beside it on the same line, and no line of labels (status, counts, headers, footer) ends in
"…" where a label should be. The gate screen at 80×24 is also read in a real terminal (tmux).
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Footer

from edge.core.i18n import t
from tests.api.conftest import Device
from tests.tui.conftest import arrive, console, running, set_clock, tap, until
from tests.tui.snapshots import render
from tests.tui.test_snapshots import gate, report, rooms
from tests.tui.test_snapshots import pickup as pickup_with_child
from tests.tui.test_tmux import Tmux, edge_process, tmux_server
from tui.app import GuardApp
from tui.board import on_campus
from tui.keys import navigation
from tui.screens.live import LiveScreen
from tui.widgets.counts import Counts
from tui.widgets.key_footer import is_navigation

Scene = Callable[[Device, GuardApp, Pilot[None]], Awaitable[None]]
SIZES = [(80, 24), (100, 30)]
LANGS = ["zh", "en"]


async def missing(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    students = device.evening_students()
    await arrive(device, students[:30])
    await arrive(device, students[30:32], room=False)
    await set_clock(device, "2026-11-30T18:40:00+08:00")
    await pilot.press("f3")
    await until(pilot, lambda: len(app.board.alerts) == 150 - 30, "the alerts")


async def pickup(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    await arrive(device, device.evening_students()[:12])
    await pilot.press("f4")
    await pilot.pause(0.1)


async def reports(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    await arrive(device, device.evening_students()[:40])
    await pilot.press("f5")
    await until(pilot, lambda: app.screen.query_one("#reports", DataTable).row_count > 0, "the reports")


async def devices(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    await pilot.press("f6")
    await until(pilot, lambda: app.board.health is not None, "the device's health")


async def cards(device: Device, app: GuardApp, pilot: Pilot[None]) -> None:
    await tap_unknown(device)
    await until(pilot, lambda: bool(app.board.cards), "the unknown card")
    await pilot.press("f7")
    await until(pilot, lambda: app.screen.query_one("#cards", DataTable).row_count > 0, "the cards' list")


async def tap_unknown(device: Device) -> None:
    await tap(device, "gate-in", "DEADBEEF")


SCENES: dict[str, Scene] = {
    "gate": gate, "rooms": rooms, "missing": missing, "pickup": pickup, "pickup_child": pickup_with_child,
    "reports": reports, "report": report, "devices": devices, "cards": cards,
}  # fmt: skip



class Cut(AssertionError):
    """Something cut that a change leaves cut, on purpose and named in `KNOWN` (its case is xfail)."""


# Nothing is known to be cut now: a case put here is xfail(strict), so it fails once it is fixed.
KNOWN: dict[tuple[str, str, int], dict[str, str]] = {}


def lines_of(text: str, widget: Widget) -> list[str]:
    region = widget.content_region
    return text.splitlines()[region.y : region.y + region.height]


def cut_things(app: GuardApp, text: str, device: Device) -> dict[str, list[str]]:
    """What is cut on the screen, by kind: footer, columns, counts, names, ellipsis (empty lists: nothing)."""
    lines = text.splitlines()
    screen = app.screen
    lang = app.lang
    found: dict[str, list[str]] = {"footer": [], "columns": [], "counts": [], "names": [], "ellipsis": []}
    label_lines: list[str] = [lines[0]]  # the status line, the counts, the tables' headers, the footer

    # The footer: the screen's own keys and F12 whole; F1–F6 all whole, or (narrow) all given way to
    # F12's list, never some of them; at 100 columns and more, all of them.
    footer = screen.query_one(Footer)
    footer_line = lines[footer.region.y]
    label_lines.append(footer_line)
    own, screens = [], []
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.show:
            label = f"{app.get_key_display(binding)} {binding.description}"
            (screens if is_navigation(binding) else own).append(label)
    found["footer"] += [label for label in own if label not in footer_line]
    shown_screens = [label for label in screens if label in footer_line]
    if shown_screens or app.size.width >= 100:
        found["footer"] += [label for label in screens if label not in footer_line]
    if not any(label.startswith("F12 ") for label in own):
        found["footer"].append("F12 (help)")

    for table in screen.query(DataTable):
        if not table.display or not table.region.height:
            continue
        header = lines[table.content_region.y]
        label_lines.append(header)
        found["columns"] += [c.label.plain for c in table.columns.values() if c.label.plain not in header]

    # The counts: each label with its number on one line (the status line's, the gate's, F5's school line).
    board = app.board
    status = [t("tui.status.alerts", lang, count=len(board.alerts))]
    if board.sessions:
        status.append(t("tui.status.on_campus", lang, count=on_campus(board)))
    found["counts"] += [s for s in status if s not in lines[0]]
    for counts in screen.query(Counts):
        shown = lines_of(text, counts)
        label_lines += shown
        for name in ("enrolled", "present", "late", "on_leave", "left_early", "picked_up", "still_waiting"):
            label = t(f"tui.col.{name}", lang)
            if not any(re.search(re.escape(label) + "\u00a0\\d+", line) for line in shown):
                found["counts"].append(label)
    for school_line in screen.query("#school-line"):
        shown = lines_of(text, school_line)
        for name in ("enrolled", "present", "late", "on_leave", "missing", "left_early", "picked_up", "walked_home",
                     "still_waiting"):  # fmt: skip
            label = t(f"report.{name}", lang)
            if not any(re.search(re.escape(label) + "[ \u00a0]\\d+", line) for line in shown):
                found["counts"].append(label)

    # A person's name, or a place's, broken across two lines.
    whole = "".join(line.strip() for line in lines)
    names = {s.name for s in device.school.students.values()} | {g.name for g in device.school.guardians.values()}
    found["names"] = sorted(n for n in names if n in whole and not any(n in line for line in lines))

    # A label line that ends in "…" (the status line's title gives way with … on purpose, mid-line).
    found["ellipsis"] = [line for line in label_lines if line.rstrip().endswith("…")]
    return {kind: cut for kind, cut in found.items() if cut}


def cases() -> list[object]:
    found = []
    for scene in SCENES:
        for lang in LANGS:
            for size in SIZES:
                known = KNOWN.get((scene, lang, size[0]))
                marks = [pytest.mark.xfail(strict=True, raises=Cut, reason="; ".join(known.values()))] if known else []
                found.append(pytest.param(scene, lang, size, marks=marks, id=f"{scene}-{lang}-{size[0]}x{size[1]}"))
    return found


@pytest.mark.parametrize(("scene", "lang", "size"), cases())
async def test_nothing_is_cut(device: Device, scene: str, lang: str, size: tuple[int, int]) -> None:
    app = console(device, lang)
    async with running(app, size=size) as pilot:
        await SCENES[scene](device, app, pilot)
        await pilot.pause(0.1)
        _, text = render(app)
        cut = cut_things(app, text, device)
    known = KNOWN.get((scene, lang, size[0]), {})
    unexpected = {kind: what for kind, what in cut.items() if kind not in known}
    assert not unexpected, f"cut on {scene} ({lang}, {size[0]}×{size[1]}): {unexpected}\n{text}"
    still = {kind: cut[kind] for kind in known if kind in cut}
    if still:
        raise Cut(f"still cut, as known: {still}")


# -- a real terminal -----------------------------------------------------------------------------------


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A simulated edge in its own process at 18:20, twelve children arrived."""
    with edge_process(tmp_path / "edge", "2026-11-30T18:20:00+08:00") as info:
        yield info


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    with tmux_server("rollcall-layout") as terminal:
        yield terminal


def gate_labels(lang: str) -> tuple[list[str], list[str]]:
    """The gate screen's footer labels: its own keys and F12 (A, assign, only follows an unknown card's
    tap), and F1–F6 (all of them, or none where the width is short)."""
    own = [b for b in [*LiveScreen.BINDINGS, *GuardApp.BINDINGS]
           if isinstance(b, Binding) and b.show and b.action != "assign" and not is_navigation(b)]  # fmt: skip
    screens = [b for b in navigation() if isinstance(b, Binding) and b.show]
    return [f"{b.key_display} {t(b.description, lang)}" for b in own], [f"{b.key_display} {t(b.description, lang)}" for b in screens]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it: .ci/run)")
@pytest.mark.parametrize("lang", LANGS)
def test_the_gate_in_a_real_80x24_terminal(edge: dict[str, Any], tmux: Tmux, tmp_path: Path, lang: str) -> None:
    token = tmp_path / "guard.token"
    token.write_text(edge["guard"] + "\n", encoding="utf-8")
    rollcall = Path(sys.executable).parent / "rollcall"
    command = f"{rollcall} tui --url {edge['url']} --token-file {token} --lang {lang}"
    tmux("new-session", "-d", "-s", "console", "-x", "80", "-y", "24", "-e", "LANG=C.UTF-8", command)
    present = f"{t('tui.col.present', lang)} 12"
    screen = tmux.wait_for(lambda s: t("tui.online", lang) in s and present in s, "the console to come online")
    lines = screen.splitlines()
    assert len(lines) == 24, screen
    status = lines[0]
    for label in (t("tui.status.alerts", lang, count=0), t("tui.status.on_campus", lang, count=12)):
        assert label.replace("\u00a0", " ") in status, status
    counts = [line for line in lines if t("tui.col.enrolled", lang) in line or t("tui.col.picked_up", lang) in line]
    for name in ("enrolled", "present", "late", "on_leave", "not_yet_arrived", "left_early", "picked_up",
                 "still_waiting"):  # fmt: skip
        label = t(f"tui.col.{name}", lang)
        assert any(re.search(re.escape(label) + " \\d+", line) for line in counts), (label, screen)
    footer = next(line for line in reversed(lines) if "F12 " in line)
    own, screens = gate_labels(lang)
    cut = [label for label in own if label not in footer]
    shown = [label for label in screens if label in footer]
    cut += [label for label in screens if shown and label not in footer]
    assert not cut and not footer.rstrip().endswith("…"), f"the footer cuts {cut}: {footer!r}"
    assert shown or lang == "en", f"the Chinese gate's footer has room for F1–F6 at 80 columns: {footer!r}"
