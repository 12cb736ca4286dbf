"""Pay: sessions served times the office's rates, by month and term, every figure with its sessions; money in fen."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.office.attendance import SERVED, Mark, StaffTap, attendance
from sync.office.money import div_half_even, share, yuan
from sync.office.pay import (
    PayLine,
    Served,
    allocate,
    check_rates,
    month_range,
    monthly,
    pay_role,
    within_budget,
)
from sync.office.problems import Problem, Refused
from sync.office.rota import Rota, cover
from tests.office.money_school import CALENDAR, FRIDAY, MONDAY, PEOPLE, SERVICES, TUESDAY, TZ, worked_week

THURSDAY = date(2026, 12, 3)

# The office's rates, fen a session served (a duty day for leaders and guards).
RATES = {
    ("teacher", "evening"): 50_00,  # 50 yuan a session (one province pays at least 50 yuan a 课时)
    ("club", "clubs"): 60_00,
    ("coach", "clubs"): 120_00,  # an outside coach (外聘) on a club
    ("leader", ""): 30_00,
    ("guard", ""): 20_00,
}


def everyone_on_time(rota: Rota, missing: Collection[tuple[str, date]] = ()) -> list[StaffTap]:
    """A tap ten minutes before each post's start (17:00 at the gate for leaders and guards)."""
    starts = {"evening": time(18, 5), "clubs": time(16, 5)}
    return [
        StaffTap(
            d.person_id, datetime.combine(d.day, starts.get(d.service_id, time(17, 0)), tzinfo=TZ), d.room_id
        )
        for d in rota.duties
        if (d.person_id, d.day) not in missing
    ]


def week_marks() -> tuple[Mark, ...]:
    # Monday to Friday; 陈老师 (t-chen) is ill on Tuesday and 何老师 (t-he) covers her; 吴师傅 (g-wu) is
    # absent on Thursday and nobody covers him; everyone else is on time.
    rota = cover(worked_week(MONDAY, FRIDAY), TUESDAY, "t-chen", "t-he")
    return attendance(rota, everyone_on_time(rota, {("g-wu", THURSDAY)}), [], SERVICES, CALENDAR, TZ)


def test_a_week_with_a_teacher_covering_a_colleague() -> None:
    allocation = allocate(week_marks(), PEOPLE, RATES, MONDAY, FRIDAY)
    amounts = {(line.person_id, line.role): (line.count, line.amount_fen) for line in allocation.lines}
    assert amounts == {
        ("t-chen", "teacher"): (4, 200_00),  # Mon, Wed, Thu, Fri x 50.00 (Tuesday covered: not served)
        ("t-he", "teacher"): (1, 50_00),  # Tue x 50.00, covering her
        ("t-lin", "teacher"): (5, 250_00),  # Mon-Fri x 50.00
        ("c-ma", "coach"): (2, 240_00),  # Wed, Fri x 120.00: an outside coach
        ("l-zhao", "leader"): (3, 90_00),  # Mon, Wed, Fri x 30.00
        ("l-qian", "leader"): (3, 90_00),
        ("l-sun", "leader"): (2, 60_00),  # Tue, Thu x 30.00
        ("l-li", "leader"): (2, 60_00),
        ("g-zhou", "guard"): (5, 100_00),  # Mon-Fri x 20.00
        ("g-wu", "guard"): (4, 80_00),  # absent on Thursday: 4 x 20.00
    }
    # 200 + 50 + 250 + 240 + 90 + 90 + 60 + 60 + 100 + 80 = 1,220.00 yuan
    assert allocation.total_fen == 1220_00
    assert yuan(allocation.total_fen) == "1220.00"
    assert allocation.person_total("t-he") == 50_00


def test_every_figure_lists_the_sessions_behind_it() -> None:
    lines = {line.person_id: line for line in allocate(week_marks(), PEOPLE, RATES, MONDAY, FRIDAY).lines}
    assert lines["t-he"] == PayLine(
        "t-he", "何老师", "teacher", "evening", 50_00, (Served(TUESDAY, "evening", "r1"),)
    )
    assert [s.day for s in lines["t-chen"].sessions] == [MONDAY, date(2026, 12, 2), THURSDAY, FRIDAY]
    assert THURSDAY not in [s.day for s in lines["g-wu"].sessions]
    assert lines["c-ma"].sessions == (
        Served(date(2026, 12, 2), "clubs", "music"),
        Served(FRIDAY, "clubs", "music"),
    )


def test_the_months_of_the_week_add_up_to_it() -> None:
    marks = week_marks()
    november, december = monthly(marks, PEOPLE, RATES, 2026, 11), monthly(marks, PEOPLE, RATES, 2026, 12)
    # November holds only Monday 30th: t-chen 50 + t-lin 50 + l-zhao 30 + l-qian 30 + g-zhou 20 + g-wu 20 = 200.00
    assert november.total_fen == 200_00
    assert december.total_fen == 1020_00
    assert november.total_fen + december.total_fen == allocate(marks, PEOPLE, RATES, MONDAY, FRIDAY).total_fen
    assert month_range(2027, 2) == (date(2027, 2, 1), date(2027, 2, 28))


def test_a_role_served_without_a_rate_is_refused_by_name() -> None:
    rates = {k: v for k, v in RATES.items() if k != ("coach", "clubs")}
    with pytest.raises(Refused) as refused:
        allocate(week_marks(), PEOPLE, rates, MONDAY, FRIDAY)
    assert refused.value.problems == (Problem("pay.no_rate", {"role": "coach", "service": "clubs"}),)


@pytest.mark.parametrize(
    ("rate", "code"),
    [(-1, "pay.rate.negative"), (50.5, "pay.rate.not_fen"), (True, "pay.rate.not_fen")],
)
def test_a_rate_not_in_whole_fen_or_negative_is_refused(rate: object, code: str) -> None:
    rates = {**RATES, ("teacher", "evening"): rate}
    assert [p.code for p in check_rates(rates)] == [code]  # type: ignore[arg-type]
    with pytest.raises(Refused):
        allocate(week_marks(), PEOPLE, rates, MONDAY, FRIDAY)  # type: ignore[arg-type]
    assert check_rates({("janitor", ""): 1})[0].code == "pay.rate.role"


def test_a_fund_smaller_than_the_allocation_is_shared_to_the_fen() -> None:
    # Three sessions of 50.00 from a fund of 100.00: 33.33... each; half-even gives 33.33 x 3 = 99.99,
    # and the fen left over goes to the largest remainder, all equal, so to the first line.
    assert share(100_00, [50_00, 50_00, 50_00]) == (33_34, 33_33, 33_33)
    # 0.5 each rounds half-even to 0; the one fen left goes to the first.
    assert share(1, [1, 1]) == (1, 0)
    allocation = allocate(week_marks(), PEOPLE, RATES, MONDAY, FRIDAY)
    paid = within_budget(allocation, 1000_00)
    assert sum(paid) == 1000_00
    assert within_budget(allocation, 5000_00) == tuple(line.amount_fen for line in allocation.lines)


def test_half_even_division() -> None:
    # 12.5 -> 12, 13.5 -> 14, 37.5 -> 38, -2.5 -> -2, 2.4 -> 2, 2.6 -> 3
    assert [div_half_even(n, d) for n, d in [(25, 2), (27, 2), (75, 2), (-5, 2), (12, 5), (13, 5)]] == [
        12, 14, 38, -2, 2, 3,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="denominator"):
        div_half_even(1, 0)


@given(st.integers(-(10**9), 10**9), st.integers(1, 10**6))
def test_div_half_even_is_round_half_even(numerator: int, denominator: int) -> None:
    assert div_half_even(numerator, denominator) == round(Fraction(numerator, denominator))


@given(st.integers(0, 10**8), st.lists(st.integers(0, 10**6), min_size=1, max_size=30).filter(any))
def test_a_share_adds_up_and_is_within_a_fen_of_exact(total: int, weights: list[int]) -> None:
    parts = share(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    assert all(abs(p * whole - total * w) <= whole for p, w in zip(parts, weights, strict=True))
    assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


_people = st.sampled_from(sorted(PEOPLE))
_days = st.sampled_from([MONDAY + timedelta(days=n) for n in range(7)])


@settings(max_examples=150, deadline=None)
@given(
    covers=st.lists(st.tuples(_days, _people, _people), max_size=5),
    absent=st.sets(st.tuples(_people, _days), max_size=10),
    late=st.sets(st.tuples(_people, _days), max_size=10),
    rates=st.fixed_dictionaries({key: st.integers(0, 500_00) for key in RATES}),
)
def test_pay_is_sessions_served_times_rates(
    covers: list[tuple[date, str, str]],
    absent: set[tuple[str, date]],
    late: set[tuple[str, date]],
    rates: dict[tuple[str, str], int],
) -> None:
    rota = worked_week()
    for day, who, by in covers:
        if who != by and any(d.person_id == who for d in rota.on(day)):
            rota = cover(rota, day, who, by)
    taps = [
        tap if (tap.person_id, tap.at.date()) not in late else StaffTap(tap.person_id, tap.at + timedelta(minutes=30), tap.room_id)
        for tap in everyone_on_time(rota, absent)
    ]  # fmt: skip
    marks = attendance(rota, taps, [], SERVICES, CALENDAR, TZ)
    first, last = rota.first, rota.last
    allocation = allocate(marks, PEOPLE, rates, first, last)
    served = [m for m in marks if m.status in SERVED]
    assert allocation.total_fen == sum(rates[(pay_role(m, PEOPLE), m.service_id)] for m in served)
    assert sum(line.count for line in allocation.lines) == len(served)
    for line in allocation.lines:
        assert line.amount_fen == line.count * rates[(line.role, line.service_id)]
        assert len(set(line.sessions)) == line.count  # no session paid twice
    by_month = sum(monthly(marks, PEOPLE, rates, y, m).total_fen for y, m in ((2026, 11), (2026, 12)))
    assert by_month == allocation.total_fen
