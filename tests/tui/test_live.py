"""The gate (F1): the last tap large, today's counts and the feed show what the device recorded; unknown cards get a card."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from aiohttp.test_utils import unused_port
from rich.console import Console

from tests.api.conftest import Device, auth
from tests.tui.conftest import (
    CONSOLE_NOW,
    arrive,
    console,
    room_of,
    running,
    start_device_on,
    tap,
    until,
    url_of,
)
from tui import stream
from tui.app import GuardApp
from tui.board import totals
from tui.widgets.counts import Counts
from tui.widgets.feed import Feed
from tui.widgets.last_tap import LastTap
from tui.widgets.status_bar import StatusBar


def plain(renderable: object) -> str:
    """What a widget's render() shows, as text."""
    out = Console(width=100, record=True, file=io.StringIO())
    out.print(renderable)
    return out.export_text().replace("\u00a0", " ")  # the counts keep a label and its number together


async def test_each_tap_shows_large_with_name_class_and_outcome_and_lands_in_the_feed(device: Device) -> None:
    first, second = device.evening_students()[:2]
    app = console(device)
    async with running(app) as pilot:
        await arrive(device, [first])
        await tap(device, f"room-{room_of(device, second)}", device.card_of(second))  # a room, not the gate first
        await until(pilot, lambda: app.board.head_seq == 3, "three events")
        panel = app.screen.query_one(LastTap)
        assert panel.line is not None and panel.line.subject == second
        shown = plain(panel.render())
        student = device.school.students[second]
        assert student.name in shown and student.class_name in shown and "✓" in shown
        assert panel.has_class("-ok")
        feed = app.screen.query_one(Feed)
        await until(pilot, lambda: len(feed.lines) == 3, "the feed's three lines")
        texts = [strip.text for strip in feed.lines]
        assert device.school.students[first].name in texts[0] and "到校" in texts[0]
        assert "已签到" in texts[1] and student.name in texts[2]


async def test_a_refused_tap_is_red_with_a_cross_and_its_reason(device: Device) -> None:
    student = device.evening_students()[0]
    wrong = next(r for r in device.school.rooms if r != room_of(device, student) and r.startswith("r3"))
    app = console(device)
    async with running(app) as pilot:
        await tap(device, f"room-{wrong}", device.card_of(student))
        panel = app.screen.query_one(LastTap)
        await until(pilot, lambda: panel.line is not None, "the wrong-room tap")
        shown = plain(panel.render())
        assert "✗" in shown and "走错教室" in shown
        assert f"应去 {device.school.rooms[room_of(device, student)].name}" in shown
        assert panel.has_class("-denied")


async def test_todays_counts_are_the_devices_sessions(device: Device) -> None:
    students = device.evening_students()[:6]
    app = console(device)
    async with running(app) as pilot:
        await arrive(device, students[:4])
        await arrive(device, students[4:], room=False)
        counts = app.screen.query_one(Counts)
        await until(pilot, lambda: totals(counts.sessions).get("present") == 4, "four present")
        response = await device.client.get("/api/v1/sessions", headers=auth("guard"))
        evening = [s for s in (await response.json())["sessions"] if s["service_id"] == "evening"]
        assert {s.id for s in counts.sessions} == {s["id"] for s in evening}
        assert totals(counts.sessions)["enrolled"] == sum(s["counts"]["enrolled"] for s in evening) == 150
        shown = plain(counts.render())
        assert "应到 150" in shown and "实到 4" in shown and "晚自习" in shown


async def test_an_unknown_card_is_given_to_a_student_after_a_question_naming_her(device: Device) -> None:
    student = device.school.students[device.evening_students()[3]]
    app = console(device)
    async with running(app) as pilot:
        await tap(device, "gate-in", "DEADBEEF")
        panel = app.screen.query_one(LastTap)
        await until(pilot, lambda: panel.line is not None and panel.line.unknown_card, "the unknown card")
        assert "按 A 把这张卡绑定给学生" in plain(panel.render())
        await pilot.press("a")  # 1: open the search
        await until(pilot, lambda: type(app.screen).__name__ == "AssignDialog", "the assign dialog")
        await pilot.press(*student.id)
        await until(pilot, lambda: bool(app.screen.query_one("StudentPicker").results), "the search")  # type: ignore[attr-defined]
        await pilot.press("enter")  # 2: one student found: asked, naming her (defect 4: one Enter bound it)
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question")
        assert student.name in plain(app.screen.query_one("#question").render())
        assert app.board.last_tap is not None and app.board.last_tap.outcome == "unknown_card"  # nothing bound yet
        await pilot.press("enter")  # 3: yes
        await until(pilot, lambda: app.board.last_tap is not None and app.board.last_tap.outcome == "card_assigned",
                    "the assignment")  # fmt: skip
        event = await tap(device, "gate-out", "DEADBEEF")
        assert event["subject"] == student.id  # the device now knows the card


async def test_offline_is_said_plainly_with_the_time_and_the_console_reconnects_by_itself(tmp_path: Path) -> None:
    port = unused_port()
    app = console(f"http://127.0.0.1:{port}")
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.screen.query_one(StatusBar)
        await until(pilot, lambda: app.board.offline_since is not None, "the first failed connection")
        assert "离线:自 18:20 起连不上设备" in plain(status.render()) and status.has_class("-offline")
        device = await start_device_on(tmp_path, port)  # the device comes up: no key press needed
        try:
            await until(pilot, lambda: app.board.online, "the reconnection", seconds=15)
            assert "在线" in plain(status.render()) and not status.has_class("-offline")
            await until(pilot, lambda: bool(app.board.sessions), "the sessions")
        finally:
            await device.client.close()
        await until(pilot, lambda: not app.board.online, "the device to be gone again")
        assert "离线" in plain(status.render())


async def test_a_refused_token_is_said_as_such_not_as_a_network_fault(device: Device) -> None:
    app = GuardApp(url_of(device), "not-the-kiosk-token", "zh", clock=lambda: CONSOLE_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.screen.query_one(StatusBar)
        await until(pilot, lambda: app.board.problem == "token", "the refusal")
        assert "设备不认此令牌" in plain(status.render()) and not app.board.online


async def test_a_bug_in_the_stream_is_shown_and_the_stream_starts_again(device: Device, monkeypatch: pytest.MonkeyPatch) -> None:
    real, broken = stream.parse, [True]

    def parse_once_badly(raw: object, lang: str) -> object:
        if broken and isinstance(raw, dict) and raw.get("type") == "event":
            broken.clear()
            raise RuntimeError("a message this console cannot read")
        return real(raw, lang)

    monkeypatch.setattr(stream, "parse", parse_once_badly)
    monkeypatch.setattr("tui.app.RESTART_AFTER", 0.1)
    app = console(device)
    async with running(app) as pilot:
        await tap(device, "gate-in", device.card_of(device.evening_students()[0]))
        await until(pilot, lambda: any("cannot read" in n.message for n in app._notifications), "the error shown")
        await tap(device, "gate-in", device.card_of(device.evening_students()[1]))
        await until(pilot, lambda: app.board.head_seq == 2, "the stream to carry on")  # the snapshot brings both
