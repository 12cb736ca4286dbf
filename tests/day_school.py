"""Provides a small school with a whole day of services, on the seed plans' own timetables.

Not a test module. Midday care 12:10–14:00 (May–September) / 12:10–13:30 (October–April), back to
lessons at its end; clubs on Wednesday and Friday 16:15–17:20 / 15:45–16:50; evening study
18:15–19:30; summer day care 8:30–17:30 in July and August. The test dates are Wednesday
2026-12-02 (winter hours) and Wednesday 2026-09-16 (summer hours).

Who is who:
- s-mia: midday (r1), clubs (r2: the art club meets in 302) and evening (r1); her father p-mia.
- s-leo: clubs (music) and evening (r2); on leave from evening study on WINTER_DAY; p-leo.
- s-ivy: midday (r1) only.
- s-max: evening (r1) only; p-max.
- s-zoe: clubs (r2) and evening (r2); p-zoe, also authorised for s-max (a neighbour who shares).
- s-kai: midday (r2) and evening (r2), may walk home.
- t-a, t-b: duty teachers; g-c: guard.
"""

from __future__ import annotations

from datetime import date, time

from edge.core.model import (
    Card,
    CardKind,
    Dismissal,
    Enrolment,
    Gender,
    Guardian,
    Leave,
    Reader,
    ReaderRole,
    Room,
    School,
    Service,
    Staff,
    StaffRole,
    Student,
    TimeRule,
)

WINTER_DAY = date(2026, 12, 2)  # a Wednesday
SUMMER_DAY = date(2026, 9, 16)  # a Wednesday
JULY_DAY = date(2026, 7, 15)  # summer day care
TERM = (date(2026, 9, 1), date(2027, 1, 20))
WEEKDAYS = frozenset(range(5))


def _seasons(weekdays: frozenset[int], summer: tuple[time, time], winter: tuple[time, time]) -> tuple[TimeRule, ...]:
    return (
        TimeRule(weekdays, *winter, date(2026, 1, 1), date(2026, 4, 30)),
        TimeRule(weekdays, *summer, date(2026, 5, 1), date(2026, 9, 30)),
        TimeRule(weekdays, *winter, date(2026, 10, 1), date(2027, 4, 30)),
    )


SERVICES = (
    Service("midday", "午间看护", _seasons(WEEKDAYS, (time(12, 10), time(14, 0)), (time(12, 10), time(13, 30))),
            dismissal=Dismissal.TO_LESSONS),
    Service("clubs", "社团", _seasons(frozenset({2, 4}), (time(16, 15), time(17, 20)), (time(15, 45), time(16, 50)))),
    Service("evening", "晚自习", (TimeRule(WEEKDAYS, time(18, 15), time(19, 30), date(2026, 1, 1), date(2027, 12, 31)),)),
    Service("summer", "暑期托管", (TimeRule(WEEKDAYS, time(8, 30), time(17, 30), date(2026, 7, 6), date(2026, 8, 28)),),
            school_days_only=False),
)  # fmt: skip

ENROLLED = {
    "s-mia": (("midday", "r1"), ("clubs", "r2"), ("evening", "r1")),
    "s-leo": (("clubs", "music"), ("evening", "r2")),
    "s-ivy": (("midday", "r1"),),
    "s-max": (("evening", "r1"),),
    "s-zoe": (("clubs", "r2"), ("evening", "r2")),
    "s-kai": (("midday", "r2"), ("evening", "r2")),
}
STUDENTS = tuple(
    Student(sid, name, Gender.FEMALE, 4, "四(1)班", may_walk_home=sid == "s-kai")
    for sid, name in (("s-mia", "米娅"), ("s-leo", "李奥"), ("s-ivy", "艾薇"), ("s-max", "马克"),
                      ("s-zoe", "周伊"), ("s-kai", "凯凯"))
)  # fmt: skip
GUARDIANS = (
    Guardian("p-mia", "米爸爸", "13700000001", "父亲", ("s-mia",)),
    Guardian("p-leo", "李妈妈", "13700000002", "母亲", ("s-leo",)),
    Guardian("p-max", "马奶奶", "13700000003", "奶奶", ("s-max",)),
    Guardian("p-zoe", "周妈妈", "13700000004", "母亲", ("s-zoe", "s-max")),
    Guardian("p-ivy", "艾爸爸", "13700000005", "父亲", ("s-ivy",)),
    Guardian("p-kai", "凯妈妈", "13700000006", "母亲", ("s-kai",)),
)
STAFF = (
    Staff("t-a", "安老师", StaffRole.DUTY_TEACHER),
    Staff("t-b", "白老师", StaffRole.DUTY_TEACHER),
    Staff("g-c", "陈师傅", StaffRole.GUARD),
)
CARD = {holder: f"D{n:07X}" for n, holder in enumerate(
    [*ENROLLED, *(g.id for g in GUARDIANS), *(s.id for s in STAFF)], start=1)}  # fmt: skip
_KIND = {**dict.fromkeys(ENROLLED, CardKind.STUDENT), **{g.id: CardKind.GUARDIAN for g in GUARDIANS},
         **{s.id: CardKind.STAFF for s in STAFF}}  # fmt: skip

DAY_SCHOOL = School(
    students={s.id: s for s in STUDENTS},
    guardians={g.id: g for g in GUARDIANS},
    staff={s.id: s for s in STAFF},
    cards={uid: Card(uid, _KIND[holder], holder) for holder, uid in CARD.items()},
    rooms={room: Room(room, name) for room, name in (("r1", "301教室"), ("r2", "302教室"), ("music", "音乐教室"))},
    services={s.id: s for s in SERVICES},
    enrolments=tuple(
        Enrolment(sid, service, room, *TERM) for sid, pairs in ENROLLED.items() for service, room in pairs
    ) + (Enrolment("s-ivy", "summer", "r1", date(2026, 7, 6), date(2026, 8, 28)),),
    leave=(Leave("s-leo", WINTER_DAY, WINTER_DAY, "evening", "家中有事"),),
)

DAY_READERS = {
    "gate-in": Reader("gate-in", ReaderRole.GATE_IN),
    "gate-out": Reader("gate-out", ReaderRole.GATE_OUT),
    "gate": Reader("gate", ReaderRole.GATE),
    **{f"room-{room}": Reader(f"room-{room}", ReaderRole.ROOM, room) for room in ("r1", "r2", "music")},
}


def session_id(service: str, room: str, day: date = WINTER_DAY) -> str:
    return f"{day.isoformat()}.{service}.{room}"
