"""Tests the sample school: its size, people, cards, services, calendar, and that a seed fixes it."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, time, timedelta

import pytest

from edge.cli.sample import sample_school
from edge.core.model import CardKind, CardStatus, School, StaffRole

SEEDS = (1, 2, 99)


@pytest.fixture(scope="module", params=SEEDS)
def school(request: pytest.FixtureRequest) -> School:
    seed: int = request.param
    return sample_school(seed)


def test_480_students_in_12_classes_of_40(school: School) -> None:
    assert len(school.students) == 480
    classes = Counter(s.class_name for s in school.students.values())
    numerals = "一二三四五六"
    assert classes == {f"{numerals[g - 1]}年级{n}班": 40 for g in range(1, 7) for n in (1, 2)}
    for s in school.students.values():
        assert s.class_name.startswith(numerals[s.grade - 1] + "年级")
        assert 2 <= len(s.name) <= 3
        assert s.homeroom_teacher


def test_one_homeroom_teacher_per_class(school: School) -> None:
    teachers = {(s.class_name, s.homeroom_teacher) for s in school.students.values()}
    assert len(teachers) == 12
    assert len({t for _, t in teachers}) == 12


def test_no_two_pupils_of_a_class_share_a_name(school: School) -> None:
    names = Counter((s.class_name, s.name) for s in school.students.values())
    assert max(names.values()) == 1


def test_common_surnames_dominate(school: School) -> None:
    top = set("王李张刘陈杨黄赵吴周")
    share = sum(s.name[0] in top for s in school.students.values()) / len(school.students)
    assert 0.35 < share < 0.7
    assert len({s.name[0] for s in school.students.values()}) > 30


def test_walking_home_only_from_grade_4_and_about_one_in_ten(school: School) -> None:
    walkers = [s for s in school.students.values() if s.may_walk_home]
    assert all(s.grade >= 4 for s in walkers)
    assert 0.05 <= len(walkers) / len(school.students) <= 0.15


def test_guardians(school: School) -> None:
    phones = [g.phone for g in school.guardians.values()] + [s.phone for s in school.staff.values()]
    assert len(phones) == len(set(phones))
    for g in school.guardians.values():
        assert re.fullmatch(r"1[358][0-9]{9}", g.phone)
        assert g.id == f"g-{g.phone}"  # what a roster import derives, so the sample round-trips
        assert g.relation in {"父亲", "母亲", "爷爷", "奶奶", "外公", "外婆"}
        assert g.children and all(c in school.students for c in g.children)
        assert list(g.children) == sorted(g.children)
    per_child = Counter(c for g in school.guardians.values() for c in g.children)
    assert set(per_child) == set(school.students)
    assert set(per_child.values()) == {1, 2}
    assert any(len(g.children) > 1 for g in school.guardians.values())  # some siblings


def test_every_child_has_someone_who_may_pick_up(school: School) -> None:
    for sid in school.students:
        assert any(g.may_pick_up for g in school.guardians_of(sid))


def test_contacts_are_few_and_have_no_card(school: School) -> None:
    contacts = {g.id for g in school.guardians.values() if not g.may_pick_up}
    assert 0.005 <= len(contacts) / len(school.guardians) <= 0.04
    assert not any(c.holder_id in contacts for c in school.cards.values())


def test_card_uids_are_unique_valid_and_never_random(school: School) -> None:
    pickers = sum(g.may_pick_up for g in school.guardians.values())
    # The cards are keyed by UID: a collision would have dropped one, so count them all.
    assert len(school.cards) == 480 + 3 + pickers + 8
    for uid, card in school.cards.items():
        assert uid == card.uid
        assert re.fullmatch(r"[0-9A-F]{8}", uid)
        assert not uid.startswith("08")


def test_every_holder_has_exactly_one_active_card(school: School) -> None:
    active = Counter(c.holder_id for c in school.cards.values() if c.status is CardStatus.ACTIVE)
    holders = set(school.students) | set(school.staff)
    holders |= {g.id for g in school.guardians.values() if g.may_pick_up}
    assert active == dict.fromkeys(holders, 1)
    kinds = {c.holder_id: c.kind for c in school.cards.values()}
    assert all(kinds[s] is CardKind.STUDENT for s in school.students)
    assert all(kinds[s] is CardKind.STAFF for s in school.staff)


def test_lost_cards_have_an_active_replacement(school: School) -> None:
    lost = [c for c in school.cards.values() if c.status is CardStatus.LOST]
    assert len(lost) == 3
    for card in lost:
        assert card.kind is CardKind.STUDENT and card.holder_id in school.students
        replacement = [
            c
            for c in school.cards.values()
            if c.holder_id == card.holder_id and c.status is CardStatus.ACTIVE
        ]
        assert len(replacement) == 1 and replacement[0].uid != card.uid


def test_staff(school: School) -> None:
    roles = Counter(s.role for s in school.staff.values())
    assert roles == {StaffRole.DUTY_TEACHER: 4, StaffRole.DUTY_LEADER: 2, StaffRole.GUARD: 2}
    assert not set(school.staff) & (set(school.students) | set(school.guardians))


def test_enrolments(school: School) -> None:
    by_service = Counter(e.service_id for e in school.enrolments)
    assert by_service == {"evening": 150, "midday": 60, "clubs": 40}
    for e in school.enrolments:
        assert (
            e.student_id in school.students and e.room_id in school.rooms and e.service_id in school.services
        )
        assert (e.valid_from, e.valid_to) == (date(2024, 1, 1), date(2030, 12, 31))
    keys = [(e.student_id, e.service_id) for e in school.enrolments]
    assert len(keys) == len(set(keys))


def test_evening_rooms_hold_neighbouring_grades(school: School) -> None:
    evening = [e for e in school.enrolments if e.service_id == "evening"]
    rooms = Counter(e.room_id for e in evening)
    assert set(rooms) == {"r301", "r302", "r303", "r304"}
    assert all(30 <= n <= 45 for n in rooms.values())
    grades = {r: [school.students[e.student_id].grade for e in evening if e.room_id == r] for r in rooms}
    assert max(grades["r301"]) <= min(grades["r302"]) <= max(grades["r302"]) <= min(grades["r303"])
    assert max(grades["r303"]) <= min(grades["r304"])
    assert set(Counter(school.students[e.student_id].grade for e in evening).values()) == {25}


def hours(school: School, service: str, day: date) -> list[tuple[time, time]]:
    return [
        (r.start, r.end)
        for r in school.services[service].rules
        if r.valid_from <= day <= r.valid_to and day.weekday() in r.weekdays
    ]


def test_service_hours_by_season() -> None:
    school = sample_school()
    evening = school.services["evening"]
    assert (evening.name, evening.late_after_min, evening.missing_after_min) == ("晚自习", 5, 10)
    assert (evening.report_due_min, evening.pickup_grace_min) == (30, 30)
    monday_june, monday_dec, wednesday_may, wednesday_oct = (
        date(2026, 6, 1), date(2026, 12, 7), date(2027, 5, 5), date(2027, 10, 6),
    )  # fmt: skip
    assert hours(school, "evening", monday_june) == [(time(18, 15), time(19, 30))]
    assert hours(school, "midday", monday_june) == [(time(12, 10), time(14, 0))]
    assert hours(school, "midday", monday_dec) == [(time(12, 10), time(13, 30))]
    assert hours(school, "clubs", monday_june) == []
    assert hours(school, "clubs", wednesday_may) == [(time(16, 15), time(17, 20))]
    assert hours(school, "clubs", wednesday_oct) == [(time(15, 45), time(16, 50))]
    assert hours(school, "summer", date(2026, 7, 15)) == [(time(8, 30), time(17, 30))]
    assert hours(school, "summer", date(2026, 9, 15)) == []
    assert not school.services["summer"].school_days_only
    assert school.services["evening"].school_days_only


def test_rules_cover_every_weekday_2024_to_2030_once() -> None:
    school = sample_school()
    day = date(2024, 1, 1)
    while day <= date(2030, 12, 31):
        if day.weekday() < 5:
            assert len(hours(school, "evening", day)) == 1, day
            assert len(hours(school, "midday", day)) == 1, day
        assert len(hours(school, "clubs", day)) == (day.weekday() in (2, 4)), day
        day += timedelta(days=1)


def test_calendar() -> None:
    calendar = sample_school().calendar
    for d in (date(2026, 1, 1), date(2026, 5, 5), date(2026, 10, 1), date(2026, 10, 7), date(2027, 10, 7)):
        assert d in calendar.holidays
    assert date(2026, 10, 8) not in calendar.holidays
    assert calendar.makeup_days[date(2026, 10, 10)] == 4
    assert calendar.makeup_days[date(2026, 9, 20)] == 0
    for d, follows in calendar.makeup_days.items():
        assert d.weekday() >= 5 and d not in calendar.holidays and 0 <= follows <= 4


def test_rooms() -> None:
    rooms = sample_school().rooms
    assert {"r301", "r302", "r303", "r304"} <= set(rooms)
    assert rooms["r301"].name == "301教室"
    assert len(rooms) >= 6


def test_same_seed_same_school_other_seed_other_school() -> None:
    assert sample_school(5) == sample_school(5)
    one, two = sample_school(1), sample_school(2)
    assert one != two
    names_one = [s.name for s in one.students.values()]
    names_two = [s.name for s in two.students.values()]
    assert sum(a != b for a, b in zip(names_one, names_two, strict=True)) > 400
    assert len(set(one.cards) & set(two.cards)) < 5
    assert sample_school() == sample_school(1)
