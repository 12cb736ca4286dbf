"""Provides the sample school (480 pupils, guardians, cards, staff, rooms, services, calendar) from a seed."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import date, time
from functools import cache

from edge.core.model import (
    Calendar,
    Card,
    CardKind,
    CardStatus,
    Dismissal,
    Enrolment,
    Gender,
    Guardian,
    Room,
    School,
    Service,
    Staff,
    StaffRole,
    Student,
    TimeRule,
)
from edge.core.pins import hash_pin

FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2030, 12, 31)
GRADES = range(1, 7)
CLASSES_PER_GRADE = 2
CLASS_SIZE = 40
_NUMERALS = "一二三四五六"

# The most common surnames weigh most, roughly as in the population (王 李 张 about 7% each).
_SURNAMES = (
    ("王", 72), ("李", 70), ("张", 69), ("刘", 54), ("陈", 46), ("杨", 31), ("黄", 23), ("赵", 22),
    ("吴", 20), ("周", 19), ("徐", 15), ("孙", 15), ("马", 14), ("朱", 13), ("胡", 13), ("郭", 12),
    ("何", 11), ("林", 11), ("高", 11), ("罗", 10), ("郑", 10), ("梁", 9), ("谢", 8), ("宋", 8),
    ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7), ("曹", 7), ("彭", 6), ("曾", 6),
    ("肖", 6), ("田", 6), ("董", 5), ("潘", 5), ("袁", 5), ("蔡", 5), ("蒋", 5), ("余", 5),
    ("于", 5), ("杜", 5), ("叶", 5), ("程", 4), ("魏", 4), ("苏", 4), ("吕", 4), ("丁", 4),
    ("任", 4), ("卢", 4), ("姚", 4), ("沈", 4), ("钟", 4), ("姜", 4), ("崔", 3), ("谭", 3),
    ("陆", 3), ("范", 3), ("汪", 3), ("廖", 3), ("石", 3), ("金", 3), ("贾", 3), ("夏", 3),
)  # fmt: skip
_BOYS = "浩宇轩博文俊杰明辰睿泽晨阳磊鹏昊然伟强诚瑞恒凯逸航天宏毅翔铭哲锦皓峻豪勇刚建军志国华"
_GIRLS = "欣怡萱诗琪佳悦彤馨婷雅静妍梦晴媛瑶琳菲雪丽娜洁慧芸露蕊曦薇倩颖玲燕芳秀兰红霞敏"
_EITHER = "子涵雨梓可嘉思一乐安若心月语依晓小云清"
_RELATIONS = (("母亲", 45), ("父亲", 35), ("奶奶", 8), ("爷爷", 5), ("外婆", 5), ("外公", 2))
_FATHER_SIDE = {"父亲", "爷爷"}  # they share the child's surname
_MEN = {"父亲", "爷爷", "外公"}
_PREFIXES = [f"13{d}" for d in range(10)] + [f"15{d}" for d in "012356789"] + [f"18{d}" for d in range(10)]


class _Maker:
    """Draws names, phone numbers and card UIDs, none of them twice where that matters."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = set()
        self.uids: set[str] = set()
        self._surnames = [s for s, _ in _SURNAMES]
        self._weights = [w for _, w in _SURNAMES]

    def surname(self) -> str:
        return self.rng.choices(self._surnames, self._weights)[0]

    def given(self, gender: Gender) -> str:
        own = _BOYS if gender is Gender.MALE else _GIRLS
        if self.rng.random() < 0.25:
            return self.rng.choice(own)  # alone, 子 一 小 ... would not make a name
        return self.rng.choice(own + _EITHER) + self.rng.choice(own + _EITHER)

    def name(self, gender: Gender, surname: str = "") -> str:
        return (surname or self.surname()) + self.given(gender)

    def phone(self) -> str:
        while (phone := self.rng.choice(_PREFIXES) + f"{self.rng.randrange(10**8):08d}") in self.phones:
            pass
        self.phones.add(phone)
        return phone

    def uid(self) -> str:
        # 4-byte UIDs starting 08 are random per tap (phones), so no real card has one.
        while (uid := f"{self.rng.getrandbits(32):08X}") in self.uids or uid.startswith("08"):
            pass
        self.uids.add(uid)
        return uid


def _students(make: _Maker) -> list[Student]:
    students: list[Student] = []
    teachers: set[str] = set()
    for grade in GRADES:
        for number in range(1, CLASSES_PER_GRADE + 1):
            class_name = f"{_NUMERALS[grade - 1]}年级{number}班"
            while (teacher := make.name(make.rng.choice(list(Gender)))) in teachers:
                pass
            teachers.add(teacher)
            names: set[str] = set()
            for _ in range(CLASS_SIZE):
                gender = make.rng.choice(list(Gender))
                # Two pupils of one class with one name would confuse the guard; real classes avoid it too.
                while (name := make.name(gender)) in names:
                    pass
                names.add(name)
                walks = grade >= 4 and make.rng.random() < 0.2
                sid = f"s{len(students) + 1:04d}"
                students.append(Student(sid, name, gender, grade, class_name, teacher, walks))
    return students


def _guardians(make: _Maker, students: Sequence[Student]) -> dict[str, Guardian]:
    """One or two guardians per child; a few younger children share an older sibling's."""
    relations, weights = [r for r, _ in _RELATIONS], [w for _, w in _RELATIONS]
    # A younger pupil (grades 1-3) and an older one (4-6) with the same surname become siblings.
    elders = {s.name[0]: s.id for s in students if s.grade >= 4}
    siblings: dict[str, str] = {}
    for student in make.rng.sample([s for s in students if s.grade <= 3], 40):
        elder = elders.pop(student.name[0], None)
        if elder is not None and len(siblings) < 12:
            siblings[student.id] = elder
    families: dict[str, list[str]] = {}
    guardians: dict[str, Guardian] = {}
    for student in students:
        if student.id in siblings:
            continue
        first = make.rng.choices(relations, weights)[0]
        family = [first]
        if make.rng.random() < 0.5:
            family.append(make.rng.choice([r for r in relations if r != first]))
        for n, relation in enumerate(family):
            surname = student.name[0] if relation in _FATHER_SIDE else ""
            name = make.name(Gender.MALE if relation in _MEN else Gender.FEMALE, surname)
            phone = make.phone()
            # Some second guardians are contacts only: the office may call them, they may not pick up.
            may_pick_up = n == 0 or make.rng.random() >= 0.06
            guardian = Guardian(f"g-{phone}", name, phone, relation, (student.id,), may_pick_up)
            guardians[guardian.id] = guardian
            families.setdefault(student.id, []).append(guardian.id)
    for young, elder in siblings.items():
        for gid in families[elder]:
            g = guardians[gid]
            children = tuple(sorted({*g.children, young}))
            guardians[gid] = Guardian(g.id, g.name, g.phone, g.relation, children, g.may_pick_up)
    return guardians


SAMPLE_PIN = "2468"  # every sample teacher's signing PIN (a sample only: a school's office sets its own)


@cache
def _sample_pin_hash(staff_id: str) -> str:
    """The same hash on every run (a salt made from the id), so the sample's datasets and their hashes do not change."""
    return hash_pin(SAMPLE_PIN, hashlib.sha256(f"rollcall-sample-{staff_id}".encode()).digest()[:16])


def _staff(make: _Maker) -> list[Staff]:
    roles = [StaffRole.DUTY_TEACHER] * 4 + [StaffRole.DUTY_LEADER] * 2 + [StaffRole.GUARD] * 2
    genders = list(Gender)
    return [
        Staff(f"t{n:02d}", make.name(make.rng.choice(genders)), role, make.phone(),
              "" if role is StaffRole.GUARD else _sample_pin_hash(f"t{n:02d}"))  # fmt: skip
        for n, role in enumerate(roles, start=1)
    ]


def _cards(
    make: _Maker, students: Sequence[Student], guardians: Sequence[Guardian], staff: Sequence[Staff]
) -> dict[str, Card]:
    cards = [Card(make.uid(), CardKind.STUDENT, s.id) for s in students]
    # A few pupils lost a card: the old one stays on file as LOST so a tap with it is refused.
    losers = make.rng.sample(list(students), 3)
    cards += [Card(make.uid(), CardKind.STUDENT, s.id, CardStatus.LOST) for s in losers]
    cards += [Card(make.uid(), CardKind.GUARDIAN, g.id) for g in guardians if g.may_pick_up]
    cards += [Card(make.uid(), CardKind.STAFF, s.id) for s in staff]
    return {card.uid: card for card in cards}


def _seasonal(
    weekdays: frozenset[int], summer: tuple[time, time], winter: tuple[time, time]
) -> tuple[TimeRule, ...]:
    """Summer hours May to September, winter hours October to April, one rule per season and year."""
    rules = []
    for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
        rules.append(TimeRule(weekdays, *winter, date(year, 1, 1), date(year, 4, 30)))
        rules.append(TimeRule(weekdays, *summer, date(year, 5, 1), date(year, 9, 30)))
        rules.append(TimeRule(weekdays, *winter, date(year, 10, 1), date(year, 12, 31)))
    return tuple(rules)


def _services() -> dict[str, Service]:
    weekdays = frozenset(range(5))
    evening = TimeRule(weekdays, time(18, 15), time(19, 30), FIRST_DAY, LAST_DAY)
    # Summer day care runs in two periods (两期), with a weekend's break between them.
    summer = tuple(
        TimeRule(weekdays, time(8, 30), time(17, 30), start, end)
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1)
        for start, end in ((date(year, 7, 6), date(year, 7, 31)), (date(year, 8, 3), date(year, 8, 28)))
    )
    midday = _seasonal(weekdays, (time(12, 10), time(14, 0)), (time(12, 10), time(13, 30)))
    clubs = _seasonal(frozenset({2, 4}), (time(16, 15), time(17, 20)), (time(15, 45), time(16, 50)))
    services = (
        Service(
            "evening", "晚自习", (evening,),
            late_after_min=5, missing_after_min=10, report_due_min=30, pickup_grace_min=30,
        ),
        Service("midday", "午间看护", midday, dismissal=Dismissal.TO_LESSONS),
        Service("clubs", "社团", clubs),
        Service("summer", "暑期托管", summer, school_days_only=False),
    )  # fmt: skip
    return {s.id: s for s in services}


ROOMS = (
    Room("r301", "301教室"), Room("r302", "302教室"), Room("r303", "303教室"), Room("r304", "304教室"),
    Room("music", "音乐教室"), Room("art", "美术教室"),
)  # fmt: skip


def _enrolments(rng: random.Random, students: Sequence[Student]) -> tuple[Enrolment, ...]:
    def spread(service: str, chosen: Sequence[Student], rooms: Sequence[str]) -> list[Enrolment]:
        # Chosen pupils in grade order, cut into equal runs: each room holds neighbouring grades.
        ordered = sorted(chosen, key=lambda s: (s.grade, s.class_name, s.id))
        return [
            Enrolment(s.id, service, rooms[i * len(rooms) // len(ordered)], FIRST_DAY, LAST_DAY)
            for i, s in enumerate(ordered)
        ]

    evening = [s for grade in GRADES for s in rng.sample([s for s in students if s.grade == grade], 25)]
    midday = rng.sample(list(students), 60)
    clubs = rng.sample([s for s in students if s.grade >= 3], 40)
    return tuple(
        spread("evening", evening, ["r301", "r302", "r303", "r304"])
        + spread("midday", midday, ["r301", "r302"])
        + spread("clubs", clubs, ["music", "art"])
    )


def _calendar() -> Calendar:
    """The 2026 holidays as the State Council announced them (国办, 2025-11-04), and 2027's fixed ones.

    Only a sample: each school loads its own calendar, including which weekday's timetable a make-up
    day follows (here Sundays follow Monday and Saturdays Friday) and its own 2027 make-up days.
    """
    spans = [
        ((2026, 1, 1), (2026, 1, 3)), ((2026, 2, 15), (2026, 2, 23)), ((2026, 4, 4), (2026, 4, 6)),
        ((2026, 5, 1), (2026, 5, 5)), ((2026, 6, 19), (2026, 6, 21)), ((2026, 9, 25), (2026, 9, 27)),
        ((2026, 10, 1), (2026, 10, 7)),
        ((2027, 1, 1), (2027, 1, 1)), ((2027, 5, 1), (2027, 5, 5)), ((2027, 10, 1), (2027, 10, 7)),
    ]  # fmt: skip
    holidays = frozenset(
        date.fromordinal(n) for a, b in spans for n in range(date(*a).toordinal(), date(*b).toordinal() + 1)
    )
    # 2026-02-14 and 02-28 are make-up days too, but fall in the winter vacation.
    makeup = {date(2026, 1, 4): 0, date(2026, 5, 9): 4, date(2026, 9, 20): 0, date(2026, 10, 10): 4}
    # Terms: spring 20 Feb – 10 Jul, autumn 1 Sep – 20 Jan; evening study pauses in the breaks.
    terms = tuple(
        term
        for year in range(2024, 2031)
        for term in ((date(year, 2, 20), date(year, 7, 10)), (date(year, 9, 1), date(year + 1, 1, 20)))
    )
    return Calendar(holidays, makeup, terms)


def sample_school(seed: int = 1) -> School:
    """A realistic primary school: the same seed gives the same school, another seed other names and cards."""
    make = _Maker(random.Random(seed))
    students = _students(make)
    guardians = _guardians(make, students)
    staff = _staff(make)
    cards = _cards(make, students, list(guardians.values()), staff)
    return School(
        students={s.id: s for s in students},
        guardians=guardians,
        staff={s.id: s for s in staff},
        cards=cards,
        rooms={r.id: r for r in ROOMS},
        services=_services(),
        enrolments=_enrolments(make.rng, students),
        calendar=_calendar(),
    )
