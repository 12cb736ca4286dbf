"""The demo plays its date's whole day, and raises exactly the alerts its script planned, on every weekday."""

from __future__ import annotations

import io
import sqlite3
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from edge.cli.demo import TIMEZONE, DemoOptions, run_demo
from edge.cli.demo_script import script_day
from edge.cli.sample import sample_school
from edge.core.report import day_closed

# A school week on winter hours (clubs 15:45–16:50 on Wednesday and Friday, midday 12:10–13:30)
WEEK = [date(2026, 11, 30) + timedelta(days=n) for n in range(5)]
SEPTEMBER = date(2026, 9, 16)  # a Wednesday on summer hours: clubs 16:15–17:20, midday to 14:00


def raised(database: Path) -> set[tuple[str, str, str]]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT reason, json_extract(data, '$.session'), subject FROM events WHERE kind = 'alert'")
        return {(kind, session, student) for kind, session, student in rows}


def alert_count(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute("SELECT COUNT(*) FROM events WHERE kind = 'alert'").fetchone()[0])


@pytest.mark.parametrize("day", [*WEEK, SEPTEMBER], ids=lambda d: f"{d:%a}-{d.isoformat()}")
@pytest.mark.parametrize("seed", [1, 2])
async def test_every_alert_raised_is_one_the_script_planned(tmp_path: Path, day: date, seed: int) -> None:
    script = script_day(sample_school(seed), day, TIMEZONE, seed)
    reports = await run_demo(DemoOptions(seed=seed, speed=0, day=day, data_dir=tmp_path), io.StringIO())

    assert raised(tmp_path / "rollcall.sqlite3") == script.alerts
    assert alert_count(tmp_path / "rollcall.sqlite3") == len(script.alerts)  # none twice
    services = {r.session.service_id for r in reports}
    clubs_day = day.weekday() in (2, 4)
    assert services == ({"midday", "clubs", "evening"} if clubs_day else {"midday", "evening"})
    assert day_closed(reports)  # every report signed, every child gone or back at lessons
    midday = [r for r in reports if r.session.service_id == "midday"]
    assert all(not r.still_waiting and len(r.back_to_lessons) == len(r.present) for r in midday)


async def test_a_clubs_child_on_leave_from_evening_study_is_picked_up_from_clubs(tmp_path: Path) -> None:
    day = WEEK[2]  # Wednesday
    script = script_day(sample_school(1), day, TIMEZONE, 1)
    child = script.cast["clubs_then_leave"]
    reports = await run_demo(DemoOptions(speed=0, day=day, data_dir=tmp_path), io.StringIO())

    clubs = next(r for r in reports if r.session.service_id == "clubs" and child in [x.id for x in r.present])
    evening = next(r for r in reports if r.session.service_id == "evening"
                   and child in [x.id for x in r.on_leave])  # fmt: skip
    assert child in [x.id for x in clubs.picked_up] and child not in [x.id for x in clubs.still_waiting]
    assert child not in [x.id for x in evening.left_early + evening.unexplained]
    stayed = [x.id for x in clubs.handed_over]
    assert stayed and all(x in {s.id for r in reports if r.session.service_id == "evening" for s in r.present}
                          for x in stayed)  # fmt: skip


async def test_from_a_later_time_the_story_is_the_same(tmp_path: Path) -> None:
    day = WEEK[2]
    script = script_day(sample_school(1), day, TIMEZONE, 1)
    await run_demo(DemoOptions(speed=0, day=day, data_dir=tmp_path, start_at=time(17, 30)), io.StringIO())
    assert raised(tmp_path / "rollcall.sqlite3") == script.alerts
