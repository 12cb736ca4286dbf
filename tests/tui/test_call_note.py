"""The guard's call note (issue 12, defect 11): what the guardian said shows in F5's detail for that child
and in the CSV the console exports, not only in the report's JSON."""

from __future__ import annotations

import csv
from pathlib import Path

from textual.widgets import Input, Static

from tests.api.conftest import Device
from tests.tui.conftest import console, evening_session, running, set_clock, until
from tests.tui.test_report_and_devices import evening_row, on_report_screen
from tui.screens.alerts import AlertsScreen

AFTER_HEADCOUNT = "2026-11-30T18:40:00+08:00"


async def test_the_call_note_shows_in_the_reports_detail_and_its_export(device: Device, tmp_path: Path) -> None:
    await set_clock(device, AFTER_HEADCOUNT)  # nobody came: every child is missing
    app = console(device, export_dir=tmp_path)
    async with running(app) as pilot:
        await pilot.press("f3")
        alerts = app.screen
        assert isinstance(alerts, AlertsScreen)
        await until(pilot, lambda: alerts.highlighted is not None and alerts.highlighted.student is not None, "alerts")
        called = alerts.highlighted
        assert called is not None and called.student is not None
        await pilot.press("c")
        await until(pilot, lambda: bool(app.screen.query(Input)), "the note dialog")
        await pilot.press(*"奶奶在路上", "enter")
        await until(pilot, lambda: any(a.student and a.student.note == "奶奶在路上" for a in app.board.alerts), "the note")

        screen = await on_report_screen(device, app, pilot)
        session = evening_session(device, called.student.id)
        await evening_row(pilot, screen, session)
        detail = str(screen.query_one("#report-detail", Static).render())
        assert f"{called.student.name}({called.student.class_name} · 奶奶在路上)" in detail

        await pilot.press("x")
        exported = tmp_path / f"zero-report-{session}.csv"
        await until(pilot, exported.exists, "the export")
    rows = list(csv.reader(exported.open(encoding="utf-8-sig")))
    assert rows[0][9] == "备注"
    assert next(row for row in rows if row[4] == called.student.name)[9] == "奶奶在路上"
