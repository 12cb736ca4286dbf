"""Staff attendance per session: from staff-card taps, sign-offs and the rota; the office's corrections on top."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.office.attendance import Correction, Mark, SignOff, StaffTap, Status, attendance, problem
from sync.office.rota import Role, Rota, cover
from tests.office.money_school import CALENDAR, MONDAY, PEOPLE, SERVICES, TUESDAY, TZ, worked_week


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), tzinfo=TZ)


def marks_of(rota: Rota, taps: list[StaffTap], signoffs: list[SignOff], corrections: tuple[Correction, ...] = ()) -> dict[tuple[str, str], Mark]:  # fmt: skip
    """Tuesday's marks by (person, room or role)."""
    found = attendance(rota, taps, signoffs, SERVICES, CALENDAR, TZ, corrections)
    return {(m.person_id, m.room_id or m.role.value): m for m in found if m.day == TUESDAY}


def tuesday_covered() -> Rota:
    # 陈老师 (t-chen, r1) is ill on Tuesday; 何老师 (t-he) covers her room.
    return cover(worked_week(), TUESDAY, "t-chen", "t-he")


TAPS = [
    StaffTap("t-he", at(TUESDAY, "18:05"), "r1"),  # ten minutes early: on time
    StaffTap("t-lin", at(TUESDAY, "18:23"), "r2"),  # 18:15 + 5 min threshold = 18:20 -> 8 min late
    StaffTap("t-lin", at(TUESDAY, "18:30"), "r2"),  # a second tap changes nothing
    StaffTap("g-zhou", at(TUESDAY, "17:30")),  # at the gate, before the day's first start (18:15)
    StaffTap("l-sun", at(TUESDAY, "18:40"), "r2"),  # a leader's round of the rooms: late against 18:15
]
SIGNOFFS = [SignOff("l-li", at(TUESDAY, "18:12"), TUESDAY, "evening", "r1")]  # a leader signing counts


def test_the_evening_of_a_teacher_covering_a_colleague() -> None:
    marks = marks_of(tuesday_covered(), TAPS, SIGNOFFS)
    assert (marks[("t-chen", "r1")].status, marks[("t-chen", "r1")].covered_by) == (Status.COVERED, "t-he")
    assert (marks[("t-he", "r1")].status, marks[("t-he", "r1")].arrived) == (
        Status.ON_TIME,
        at(TUESDAY, "18:05"),
    )
    assert (marks[("t-lin", "r2")].status, marks[("t-lin", "r2")].minutes_late) == (Status.LATE, 8)
    assert marks[("g-zhou", "guard")].status is Status.ON_TIME
    assert marks[("g-wu", "guard")].status is Status.ABSENT  # no tap, no sign-off
    assert (marks[("l-sun", "leader")].status, marks[("l-sun", "leader")].minutes_late) == (Status.LATE, 25)
    assert marks[("l-li", "leader")].status is Status.ON_TIME
    # Seven rostered (person, post) on Tuesday: 2 leaders, 2 guards, 2 rooms' teachers and the one covered.
    assert len(marks) == 7


def test_a_tap_in_another_room_or_long_before_does_not_count() -> None:
    taps = [
        StaffTap("t-lin", at(TUESDAY, "18:10"), "r1"),  # the wrong room
        StaffTap("t-chen", at(TUESDAY, "16:40"), "r1"),  # 95 min before 18:15: outside the 90-minute window
    ]
    marks = marks_of(worked_week(), taps, [])
    assert marks[("t-lin", "r2")].status is Status.ABSENT
    assert marks[("t-chen", "r1")].status is Status.ABSENT


def test_signing_without_tapping_is_arriving_at_the_signing() -> None:
    signoffs = [SignOff("t-lin", at(TUESDAY, "18:27"), TUESDAY, "evening", "r2")]
    mark = marks_of(worked_week(), [], signoffs)[("t-lin", "r2")]
    assert (mark.status, mark.minutes_late) == (Status.LATE, 12)


def test_the_office_corrects_a_mark_and_the_last_correction_wins() -> None:
    # 吴师傅 forgot his card on Tuesday; the office marks him on time, then late by 10 min.
    first = Correction("g-wu", TUESDAY, Role.GUARD, Status.ON_TIME, "office-1", "忘带工作卡,门卫登记 17:40")
    second = Correction("g-wu", TUESDAY, Role.GUARD, Status.LATE, "office-2", "登记 18:25", minutes_late=10)
    only_first = marks_of(tuesday_covered(), TAPS, SIGNOFFS, (first,))[("g-wu", "guard")]
    assert (only_first.status, only_first.corrected_by) == (Status.ON_TIME, "office-1")
    both = marks_of(tuesday_covered(), TAPS, SIGNOFFS, (first, second))[("g-wu", "guard")]
    assert (both.status, both.minutes_late, both.corrected_by, both.reason) == (
        Status.LATE,
        10,
        "office-2",
        "登记 18:25",
    )


def test_a_correction_of_a_post_she_does_not_hold_is_refused() -> None:
    rota = tuesday_covered()
    wrong = Correction("t-lin", TUESDAY, Role.TEACHER, Status.ON_TIME, "office", "x", "evening", "r1")
    assert problem(rota, wrong).code == "rota.attendance.refused.not_rostered"  # type: ignore[union-attr]
    unnamed = Correction("t-lin", TUESDAY, Role.TEACHER, Status.COVERED, "office", "x", "evening", "r2")
    assert problem(rota, unnamed).code == "rota.attendance.refused.covered_by"  # type: ignore[union-attr]
    no_reason = Correction("t-chen", TUESDAY, Role.TEACHER, Status.ON_TIME, "office", " ", "evening", "r1")
    assert problem(rota, no_reason).code == "rota.attendance.refused.reason"  # type: ignore[union-attr]
    fine = Correction("t-chen", TUESDAY, Role.TEACHER, Status.ON_TIME, "office", "病假已销", "evening", "r1")
    assert problem(rota, fine) is None  # the covered person's own post can be corrected too
    # A correction no page took is not applied either: the marks stay one per rostered post.
    assert len(attendance(rota, [], [], SERVICES, CALENDAR, TZ, (wrong,))) == len(
        attendance(rota, [], [], SERVICES, CALENDAR, TZ)
    )


_people = st.sampled_from(sorted(PEOPLE))
_week_days = st.sampled_from([MONDAY + timedelta(days=n) for n in range(7)])


@settings(max_examples=150, deadline=None)
@given(
    covers=st.lists(st.tuples(_week_days, _people, _people), max_size=6),
    taps=st.lists(
        st.builds(
            StaffTap,
            _people,
            st.builds(lambda d, m: at(d, "16:00") + timedelta(minutes=m), _week_days, st.integers(0, 240)),
            st.sampled_from(["", "r1", "r2", "music"]),
        ),
        max_size=40,
    ),
)
def test_every_rostered_person_and_post_gets_exactly_one_status(
    covers: list[tuple[date, str, str]], taps: list[StaffTap]
) -> None:
    rota = worked_week()
    for day, absent, by in covers:
        if absent != by and any(d.person_id == absent for d in rota.on(day)):
            rota = cover(rota, day, absent, by)
    rostered = [
        (who, d.day, d.role, d.service_id, d.room_id)
        for d in rota.duties
        for who in (d.person_id, d.covers)
        if who
    ]
    marks = attendance(rota, taps, [], SERVICES, CALENDAR, TZ)
    keys = [m.key for m in marks]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(rostered)
    for m in marks:
        assert (m.status is Status.COVERED) == bool(m.covered_by)
        assert (m.arrived is not None) == (m.status in (Status.ON_TIME, Status.LATE))
