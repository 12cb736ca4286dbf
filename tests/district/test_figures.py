"""The district's figures from upward rows (pure): the reporting rate's arithmetic, school days, unresolved children, history."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.district import figures
from sync.district.figures import Expected, Rate, SchoolDays
from sync.district.upward import UpwardRow
from tests.district.rows import MONDAY, SCHOOLS, WEEK, counted, row, rows_strategy

EXPECTED = [Expected(code, name) for code, name in SCHOOLS.items()]


@settings(max_examples=200, deadline=None)
@given(rows_strategy(), st.sampled_from(WEEK))
def test_each_report_is_on_time_late_or_not_reported_and_the_totals_are_the_schools_sums(
    rows: list[UpwardRow], day: date
) -> None:
    lines, total = figures.day_rates(EXPECTED, rows, day, SchoolDays())
    for line in lines:
        r = line.rate
        assert r.reported + r.not_reported == r.expected and r.on_time + r.late == r.reported
        want = counted(rows, line.school.id, day)
        assert (r.expected, r.reported, r.on_time, r.late, r.not_reported) == tuple(want.values())
        if r.expected:
            assert r.reporting_rate == 100 * want["reported"] / want["expected"]
            assert r.on_time_rate == 100 * want["on_time"] / want["expected"]
    assert total.expected == sum(counted(rows, s, day)["expected"] for s in SCHOOLS)
    assert total.on_time == sum(line.rate.on_time for line in lines)
    assert total.late == sum(line.rate.late for line in lines)
    assert total.not_reported == sum(line.rate.not_reported for line in lines)
    # The pinyin order of the names: 安定门 (an), 白塔寺 (bai), 朝阳 (chao), 张家湾 (zhang).
    assert [line.school.id for line in lines] == ["S-AN", "S-BA", "S-CH", "S-ZH"]


def test_a_school_that_sent_nothing_on_a_school_day_is_one_report_not_made_and_nothing_on_a_weekend() -> None:
    sunday, monday = MONDAY + timedelta(days=6), MONDAY
    quiet = Expected("S-AN", "安定门小学")
    assert figures.rate_of(quiet, [], monday, SchoolDays()) == Rate(not_reported=1)
    assert figures.rate_of(quiet, [], sunday, SchoolDays()) == Rate()
    assert figures.rate_of(quiet, [], monday, SchoolDays(holidays=frozenset({monday}))) == Rate()
    assert figures.rate_of(quiet, [], sunday, SchoolDays(workdays=frozenset({sunday}))) == Rate(
        not_reported=1
    )
    assert figures.rate_of(quiet, [], monday, SchoolDays()).reporting_rate == 0.0
    assert figures.rate_of(quiet, [], sunday, SchoolDays()).reporting_rate is None
    # Expected services: each one with no row at all is a report not made; rooms it did send count as sent.
    both = Expected("S-AN", "安定门小学", ("evening", "midday"))
    sent = [row("S-AN", monday, "evening", "r301", "on_time"), row("S-AN", monday, "evening", "r302", "late")]
    assert figures.rate_of(both, sent, monday, SchoolDays()) == Rate(on_time=1, late=1, not_reported=1)
    # A row sent on a weekend (a summer camp) is expected like any other.
    camp = [row("S-AN", sunday, "midday", "r301", None)]
    assert figures.rate_of(both, camp, sunday, SchoolDays()) == Rate(not_reported=1)


def test_signed_exactly_at_the_due_time_is_on_time_and_a_minute_after_is_late() -> None:
    base = row("S-AN", MONDAY, "evening", "r301", "on_time")
    assert (
        figures.status(UpwardRow(**{**base.as_dict(), "children": (), "signed_at": base.due_at})) == "on_time"
    )
    due = base.due_at.replace("18:50", "18:51")
    assert figures.status(UpwardRow(**{**base.as_dict(), "children": (), "signed_at": due})) == "late"
    # The same moment written in another offset (a row that went through PostgreSQL in UTC) is the same moment.
    utc = "2026-11-30T10:50:00+00:00"
    assert figures.status(UpwardRow(**{**base.as_dict(), "children": (), "signed_at": utc})) == "on_time"


def test_unresolved_lists_the_rooms_with_a_child_missing_waiting_or_gone_and_only_their_names() -> None:
    named = UpwardRow(**{**row("S-ZH", MONDAY, "evening", "r302", "on_time", missing=1, found=1).as_dict(),
                         "children": (("missing", "李娜", "一年级1班"), ("found", "王芳", "一年级1班"))})  # fmt: skip
    rows = [
        row("S-AN", MONDAY, "evening", "r301", "late", still_waiting=2),
        row("S-AN", MONDAY, "evening", "r302", "on_time", found=3),  # everyone found: resolved
        named,
        row("S-BA", MONDAY, "midday", "r303", None, unexplained=1),
        row("S-BA", MONDAY + timedelta(days=1), "evening", "r301", None, missing=4),  # another day
    ]
    found = figures.unresolved(EXPECTED, rows, MONDAY)
    assert [(u.school.id, u.room, u.missing, u.still_waiting, u.unexplained) for u in found] == [
        ("S-AN", "301教室", 0, 2, 0), ("S-BA", "303教室", 0, 0, 1), ("S-ZH", "302教室", 1, 0, 0),
    ]  # fmt: skip
    assert found[2].names == (("missing", "李娜", "一年级1班"),)  # the found child is not unresolved


@settings(max_examples=50, deadline=None)
@given(rows_strategy())
def test_history_is_one_line_a_day_and_each_day_is_that_days_rate(rows: list[UpwardRow]) -> None:
    school = Expected("S-AN", "安定门小学")
    lines = figures.history(school, rows, WEEK[0], WEEK[-1], SchoolDays())
    assert [line.day for line in lines] == WEEK
    for line in lines:
        assert line.rate == figures.rate_of(school, rows, line.day, SchoolDays())
        mine = [r for r in rows if r.school == "S-AN" and r.date == line.day.isoformat()]
        assert line.children.missing == sum(r.missing for r in mine)
        assert line.children.still_waiting == sum(r.still_waiting for r in mine)
