"""Provides generated upward rows for the district's tests, and the figures counted from them by hand.

Not a test module. `rows_strategy` makes a few schools' rows over a week in November 2026: each
session signed on time, signed late or not signed, with counts of missing, found, waiting and
unexplained children. `counted` is the oracle: the figures a reader would count off the rows, written
without `sync.district.figures`, so the pages and the pure module are checked against something else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from sync.district.upward import UpwardRow

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 30)  # the sample school's evening
WEEK = [MONDAY + timedelta(days=n) for n in range(7)]  # Monday to Sunday
SCHOOLS = {"S-ZH": "张家湾小学", "S-AN": "安定门小学", "S-BA": "白塔寺小学", "S-CH": "朝阳实验小学"}
SERVICES = {"evening": ("晚自习", 18, 20), "midday": ("午间看护", 12, 10)}


def row(school: str, day: date, service: str, room: str, signed: str | None, **counts: int) -> UpwardRow:
    """A session's row: `signed` is "on_time" (10 min after the start), "late" (an hour after) or None."""
    name, hour, minute = SERVICES[service]
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
    due = start + timedelta(minutes=30)
    signed_at = {"on_time": start + timedelta(minutes=10), "late": start + timedelta(hours=1), None: None}[
        signed
    ]
    figures = {"enrolled": 30, "present": 25, "on_leave": 2, "missing": 0, "found": 0, "still_waiting": 0,
               "unexplained": 0, "staff_on_duty": 1} | counts  # fmt: skip
    return UpwardRow(
        school=school, date=day.isoformat(), service=service, room=room, service_name=name,
        room_name=f"{room[1:]}教室", signed_by="t01" if signed else "", signer="",
        signed_at=signed_at.isoformat() if signed_at else "", due_at=due.isoformat(), **figures,
    )  # fmt: skip


@st.composite
def rows_strategy(draw: Any, days: Sequence[date] = WEEK) -> list[UpwardRow]:
    found: dict[tuple[str, str, str, str], UpwardRow] = {}
    for _ in range(draw(st.integers(0, 30))):
        key = (draw(st.sampled_from(sorted(SCHOOLS))), draw(st.sampled_from(days)),
               draw(st.sampled_from(sorted(SERVICES))), draw(st.sampled_from(["r301", "r302", "r303"])))  # fmt: skip
        signed = draw(st.sampled_from(["on_time", "late", None]))
        counts = {k: draw(st.integers(0, 3)) for k in ("missing", "found", "still_waiting", "unexplained")}
        made = row(key[0], key[1], key[2], key[3], signed, **counts)
        found[made.key] = made
    return list(found.values())


def school_day(day: date) -> bool:
    return day.weekday() < 5


def counted(rows: Sequence[UpwardRow], school: str, day: date) -> dict[str, int]:
    """expected, reported, on_time, late, not_reported of one school's day, counted off its rows."""
    mine = [r for r in rows if r.school == school and r.date == day.isoformat()]
    signed = [r for r in mine if r.signed_at]
    on_time = [r for r in signed if datetime.fromisoformat(r.signed_at) <= datetime.fromisoformat(r.due_at)]
    nothing = 1 if not mine and school_day(day) else 0  # a school day with no row: one report not made
    return {
        "expected": len(mine) + nothing,
        "reported": len(signed),
        "on_time": len(on_time),
        "late": len(signed) - len(on_time),
        "not_reported": len(mine) - len(signed) + nothing,
    }
