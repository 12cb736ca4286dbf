"""The duty rota: built from a week over the term's duty days, checked day by day, swapped, covered, asked at a door."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.core.i18n import CATALOGUE
from edge.core.model import Calendar
from sync.office.problems import Problem, Refused
from sync.office.rota import (
    DayPattern,
    Role,
    build,
    check,
    check_staff_card,
    cover,
    duty_days,
    escalation,
    from_dataset,
    on_duty,
    swap,
    to_dataset,
)
from tests.office.money_school import (
    CALENDAR,
    FRIDAY,
    MAKEUP_SUNDAY,
    MONDAY,
    PEOPLE,
    SATURDAY,
    SERVICES,
    TERM,
    TUESDAY,
    WEDNESDAY,
    WEEK,
    worked_week,
)


def test_the_week_has_its_duty_days_and_posts_and_nothing_wrong() -> None:
    rota = worked_week()
    # Mon-Fri, then Saturday off, then Sunday the make-up day that follows Friday.
    assert rota.days == (MONDAY, TUESDAY, WEDNESDAY, date(2026, 12, 3), FRIDAY, MAKEUP_SUNDAY)
    assert SATURDAY not in rota.days
    assert check(rota) == ()
    # Clubs run Wednesday, Friday and the Sunday that follows Friday: 3 club posts; evening 6 days x 2 rooms.
    clubs = sorted(p[0] for p in rota.sessions if p[1] is Role.CLUB)
    assert clubs == [WEDNESDAY, FRIDAY, MAKEUP_SUNDAY]
    assert len([p for p in rota.sessions if p[1] is Role.TEACHER]) == 12
    assert on_duty(rota, MAKEUP_SUNDAY, "clubs", "music") == PEOPLE["c-ma"]
    assert on_duty(rota, MONDAY, "clubs", "music") is None


def test_a_holiday_has_no_duty() -> None:
    new_year = date(2027, 1, 1)  # a Friday, and a holiday
    rota = worked_week(date(2026, 12, 28), date(2027, 1, 3))
    assert new_year not in rota.days
    assert [d.weekday() for d in rota.days] == [0, 1, 2, 3]
    assert not [d for d in rota.duties if d.day == new_year]


@pytest.mark.parametrize(
    ("weekday", "pattern", "expected"),
    [
        (1, DayPattern(("l-sun", "l-li"), ("g-zhou",), WEEK[1].teachers),
         Problem("rota.count.guard", {"day": TUESDAY, "count": 1, "needed": 2})),
        (1, DayPattern(("l-sun", "l-li", "l-zhao"), ("g-zhou", "g-wu"), WEEK[1].teachers),
         Problem("rota.count.leader", {"day": TUESDAY, "count": 3, "needed": 2})),
        (1, DayPattern(("l-sun", "l-sun"), ("g-zhou", "g-wu"), WEEK[1].teachers),
         Problem("rota.count.leader", {"day": TUESDAY, "count": 1, "needed": 2})),
        (1, DayPattern(("l-sun", "l-li"), ("g-zhou", "g-wu"), {("evening", "r1"): "t-chen"}),
         Problem("rota.no_teacher", {"day": TUESDAY, "service": "evening", "room": "r2", "count": 0})),
        (1, DayPattern(("l-sun", "l-li"), ("g-zhou", "nobody"), WEEK[1].teachers),
         Problem("rota.unknown_person", {"day": TUESDAY, "person": "nobody"})),
    ],
)  # fmt: skip
def test_check_names_the_day_and_the_post(weekday: int, pattern: DayPattern, expected: Problem) -> None:
    rota = build({**WEEK, weekday: pattern}, SERVICES, CALENDAR, PEOPLE, MONDAY, FRIDAY)
    assert expected in check(rota)
    assert all(p.params["day"] == TUESDAY for p in check(rota))


def test_every_problem_has_text_in_both_languages() -> None:
    bad = {**WEEK, 1: DayPattern(("l-sun",), ("g-zhou",), {("evening", "r1"): "t-chen"})}
    problems = check(build(bad, SERVICES, CALENDAR, PEOPLE, MONDAY, FRIDAY))
    assert {p.code for p in problems} == {"rota.count.leader", "rota.count.guard", "rota.no_teacher"}
    for p in problems:
        assert p.code in CATALOGUE
        assert "2026-12-01" in p.text("zh") and "2026-12-01" in p.text("en")


def test_a_service_the_school_does_not_have_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        build({0: DayPattern(teachers={("chess", "r9"): "t-he"})}, SERVICES, CALENDAR, PEOPLE, MONDAY, FRIDAY)
    assert refused.value.problems == (Problem("rota.unknown_service", {"service": "chess"}),)


def test_a_teacher_covering_a_colleague_takes_her_room_and_the_card_check_follows() -> None:
    # 陈老师 (t-chen, r1) is ill on Tuesday; 何老师 (t-he), free that evening, covers her.
    rota = cover(worked_week(), TUESDAY, "t-chen", "t-he")
    assert check(rota) == ()
    assert on_duty(rota, TUESDAY, "evening", "r1") == PEOPLE["t-he"]
    [duty] = [d for d in rota.on(TUESDAY) if d.room_id == "r1"]
    assert duty.covers == "t-chen"
    assert check_staff_card(rota, "t-he", TUESDAY, "evening", "r1").allowed
    refused = check_staff_card(rota, "t-chen", TUESDAY, "evening", "r1")
    assert (refused.allowed, refused.code, refused.params["by"]) == (False, "rota.refused.covered", "何老师")
    # Only Tuesday changed: she is back in r1 on Wednesday.
    assert on_duty(rota, WEDNESDAY, "evening", "r1") == PEOPLE["t-chen"]


def test_a_cover_passed_on_still_names_the_first_rostered() -> None:
    rota = cover(cover(worked_week(), TUESDAY, "t-chen", "t-he"), TUESDAY, "t-he", "g-zheng")
    [duty] = [d for d in rota.on(TUESDAY) if d.room_id == "r1"]
    assert (duty.person_id, duty.covers) == ("g-zheng", "t-chen")


def test_a_cover_by_someone_already_in_another_room_is_a_double_booking() -> None:
    rota = cover(worked_week(), TUESDAY, "t-chen", "t-lin")
    assert Problem(
        "rota.double_booked", {"day": TUESDAY, "name": "林老师", "service": "evening", "rooms": 2}
    ) in check(rota)


@pytest.mark.parametrize(
    ("absent", "by", "code"),
    [("t-chen", "t-chen", "rota.cover_self"), ("t-he", "t-chen", "rota.not_on_duty"),
     ("t-chen", "nobody", "rota.unknown_person")],
)  # fmt: skip
def test_a_cover_that_cannot_be_is_refused(absent: str, by: str, code: str) -> None:
    with pytest.raises(Refused) as refused:
        cover(worked_week(), TUESDAY, absent, by)
    assert refused.value.problems[0].code == code


def test_two_leaders_swap_days_and_the_escalation_follows() -> None:
    # 赵校长 (Mon) and 孙主任 (Tue) swap: he leads on Tuesday, she on Monday.
    rota = swap(worked_week(), MONDAY, "l-zhao", TUESDAY, "l-sun")
    assert check(rota) == ()
    assert [p.name for p in escalation(rota, MONDAY)] == ["孙主任", "钱主任"]
    assert [p.name for p in escalation(rota, TUESDAY)] == ["赵校长", "李主任"]
    assert [p.name for p in escalation(worked_week(), MONDAY)] == ["赵校长", "钱主任"]


def test_two_teachers_swap_rooms_on_one_day() -> None:
    rota = swap(worked_week(), MONDAY, "t-chen", MONDAY, "t-lin")
    assert on_duty(rota, MONDAY, "evening", "r1") == PEOPLE["t-lin"]
    assert on_duty(rota, MONDAY, "evening", "r2") == PEOPLE["t-chen"]


def test_a_swap_with_someone_off_duty_that_day_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        swap(worked_week(), MONDAY, "l-zhao", MONDAY, "l-sun")
    assert refused.value.problems == (Problem("rota.not_on_duty", {"day": MONDAY, "name": "孙主任"}),)


@pytest.mark.parametrize(
    ("staff", "service", "room", "allowed", "code"),
    [
        ("t-chen", "evening", "r1", True, "rota.allowed.teacher"),
        ("t-chen", "evening", "r2", False, "rota.refused.elsewhere"),  # she is on duty in r1
        ("t-he", "evening", "r1", False, "rota.refused.off_duty"),  # not on the rota on Monday
        ("l-zhao", "evening", "r2", True, "rota.allowed.leader"),  # leaders see every room
        ("l-sun", "evening", "r2", False, "rota.refused.off_duty"),  # a Tuesday leader
        ("g-zhou", "evening", "r1", False, "rota.refused.guard"),  # a guard's post is the gate
        ("g-zhou", "", "", True, "rota.allowed.on_duty"),  # at the gate
        ("t-he", "", "", False, "rota.refused.off_duty"),
        ("stranger", "evening", "r1", False, "rota.refused.unknown"),
    ],
)
def test_a_staff_card_at_a_door(staff: str, service: str, room: str, allowed: bool, code: str) -> None:
    verdict = check_staff_card(worked_week(), staff, MONDAY, service, room)
    assert (verdict.allowed, verdict.code) == (allowed, code)
    assert code in CATALOGUE


def test_the_refusal_says_where_she_should_be() -> None:
    verdict = check_staff_card(worked_week(), "t-chen", MONDAY, "evening", "r2")
    assert verdict.params["room"] == "r1"
    assert "r1" in Problem(verdict.code, verdict.params).text("zh")


def _school_days(calendar: Calendar, first: date, last: date) -> list[date]:
    """School days computed apart from the timetable: in term, not a holiday, a weekday or a make-up day."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [
        d
        for d in days
        if calendar.in_term(d)
        and d not in calendar.holidays
        and (d.weekday() < 5 or d in calendar.makeup_days)
    ]


_leaders = st.lists(
    st.sampled_from(["l-zhao", "l-qian", "l-sun", "l-li"]), min_size=2, max_size=2, unique=True
)
_guards = st.lists(st.sampled_from(["g-zhou", "g-wu", "g-zheng"]), min_size=2, max_size=2, unique=True)
_days_in_term = st.dates(TERM[0], TERM[1])


@settings(max_examples=150, deadline=None)
@given(
    week=st.fixed_dictionaries(
        {n: st.builds(lambda ls, gs: DayPattern(tuple(ls), tuple(gs)), _leaders, _guards) for n in range(5)}
    ),
    first=_days_in_term,
    span=st.integers(0, 40),
    holidays=st.frozensets(_days_in_term, max_size=6),
    makeups=st.dictionaries(_days_in_term.filter(lambda d: d.weekday() >= 5), st.integers(0, 4), max_size=3),
)
def test_a_rota_from_a_pattern_has_two_leaders_and_two_guards_every_school_day(
    week: dict[int, DayPattern], first: date, span: int, holidays: frozenset[date], makeups: dict[date, int]
) -> None:
    calendar = Calendar(holidays, makeups, (TERM,))
    last = first + timedelta(days=span)
    rota = build(week, SERVICES, calendar, PEOPLE, first, last)
    assert list(rota.days) == _school_days(calendar, first, last)
    assert rota.days == duty_days(SERVICES.values(), calendar, first, last)
    for day in rota.days:
        duties = rota.on(day)
        assert len({d.person_id for d in duties if d.role is Role.LEADER}) == 2
        assert len({d.person_id for d in duties if d.role is Role.GUARD}) == 2
        assert len(escalation(rota, day)) == 2
    assert not [p for p in check(rota) if p.code.startswith("rota.count.")]


def test_a_cover_passed_back_to_her_makes_the_post_hers_again() -> None:
    rota = cover(cover(worked_week(), TUESDAY, "t-chen", "t-he"), TUESDAY, "t-he", "t-chen")
    [duty] = [d for d in rota.on(TUESDAY) if d.room_id == "r1"]
    assert (duty.person_id, duty.covers) == ("t-chen", "")
    assert rota.duties == worked_week().duties


def test_the_rota_reaches_a_device_as_json_and_comes_back_whole() -> None:
    rota = swap(cover(worked_week(), TUESDAY, "t-chen", "t-he"), MONDAY, "l-zhao", TUESDAY, "l-sun")
    again = from_dataset(json.loads(json.dumps(to_dataset(rota), ensure_ascii=False)))
    assert again == rota
    # The device answers a staff card from the copy just as the server would.
    assert check_staff_card(again, "t-chen", TUESDAY, "evening", "r1") == check_staff_card(
        rota, "t-chen", TUESDAY, "evening", "r1"
    )
    assert escalation(again, MONDAY) == escalation(rota, MONDAY)


@pytest.mark.parametrize(
    ("damage", "part", "row"),
    [
        (lambda d: d["duties"][2].pop("day"), "duties", 3),
        (lambda d: d["duties"][0].update(role="janitor"), "duties", 1),
        (lambda d: d["days"].__setitem__(1, "2026-13-01"), "days", 2),
        (lambda d: d["people"][0].update(age=40), "people", 1),
        (lambda d: d["sessions"][0].pop(), "sessions", 1),
        (lambda d: d.pop("first"), "first/last", 0),
    ],
)
def test_a_damaged_rota_dataset_is_refused_naming_where(damage: object, part: str, row: int) -> None:
    data = json.loads(json.dumps(to_dataset(worked_week())))
    damage(data)  # type: ignore[operator]
    with pytest.raises(Refused) as refused:
        from_dataset(data)
    [problem] = refused.value.problems
    assert (problem.code, problem.params["part"], problem.params["row"]) == ("rota.dataset.bad", part, row)
    assert part in problem.text("en")
