"""Tests the timetable: service hours by season, weekday, holiday and make-up day; sessions; leave."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from edge.core.model import Calendar, Enrolment, Leave, Room, School, Service, Session, TimeRule
from edge.core.timetable import (
    expected_students,
    on_leave,
    parse_hhmm,
    service_hours,
    session_by_id,
    sessions_on,
)

TZ = ZoneInfo("Asia/Shanghai")
WEEKDAYS = frozenset(range(5))
D = date.fromisoformat


def rule(days: frozenset[int], start: str, end: str, valid_from: str, valid_to: str) -> TimeRule:
    return TimeRule(days, parse_hhmm(start), parse_hhmm(end), D(valid_from), D(valid_to))


# The school's own plans, school year 2026-27.
EVENING = Service("evening", "晚自习", (rule(WEEKDAYS, "18:15", "19:30", "2026-09-01", "2027-07-15"),))
MIDDAY = Service(
    "midday",
    "午间看护",
    (
        rule(WEEKDAYS, "12:10", "14:00", "2026-05-01", "2026-09-30"),
        rule(WEEKDAYS, "12:10", "13:30", "2026-10-01", "2027-04-30"),
        rule(WEEKDAYS, "12:10", "14:00", "2027-05-01", "2027-09-30"),
    ),
)
CLUBS = Service(
    "clubs",
    "社团",
    (
        rule(frozenset({2, 4}), "16:15", "17:20", "2026-05-01", "2026-09-30"),
        rule(frozenset({2, 4}), "15:45", "16:50", "2026-10-01", "2027-04-30"),
        rule(frozenset({2, 4}), "16:15", "17:20", "2027-05-01", "2027-09-30"),
    ),
)
SUMMER = Service(
    "summer",
    "暑期托管",
    (
        rule(WEEKDAYS, "8:30", "17:30", "2027-07-12", "2027-07-30"),
        rule(WEEKDAYS, "8:30", "17:30", "2027-08-09", "2027-08-27"),
    ),
    school_days_only=False,
)
SERVICES = {s.id: s for s in (EVENING, MIDDAY, CLUBS, SUMMER)}

# National Day 2026: Oct 1-7 off; Sun Sep 27 follows Monday, Sat Oct 10 follows Friday.
NATIONAL_DAY = Calendar(
    holidays=frozenset(D("2026-10-01") + timedelta(days=i) for i in range(7)),
    makeup_days={D("2026-09-27"): 0, D("2026-10-10"): 4},
)
NO_HOLIDAYS = Calendar()
# Labour Day make-up: Sat 2027-05-01 follows Wednesday (to hit the summer season's first day).
MAY_MAKEUP = Calendar(makeup_days={D("2027-05-01"): 2})

CALENDARS = {"national": NATIONAL_DAY, "none": NO_HOLIDAYS, "may": MAY_MAKEUP}


@pytest.mark.parametrize(
    ("service_id", "calendar", "day", "expected"),
    [
        # Evening study: school year ends, weekends, holidays, make-up days.
        ("evening", "national", "2026-08-31", None),  # Monday before the year's first day
        ("evening", "national", "2026-09-01", ("18:15", "19:30")),  # first day
        ("evening", "national", "2027-07-15", ("18:15", "19:30")),  # last day
        ("evening", "national", "2027-07-16", None),  # Friday after the last day
        ("evening", "national", "2026-09-25", ("18:15", "19:30")),  # Friday
        ("evening", "national", "2026-09-26", None),  # Saturday, not a make-up day
        ("evening", "national", "2026-09-27", ("18:15", "19:30")),  # Sunday make-up (Monday)
        ("evening", "national", "2026-10-01", None),  # Thursday, National Day
        ("evening", "national", "2026-10-05", None),  # Monday inside the holiday
        ("evening", "national", "2026-10-07", None),  # holiday's last day
        ("evening", "national", "2026-10-08", ("18:15", "19:30")),  # first day back
        ("evening", "national", "2026-10-10", ("18:15", "19:30")),  # Saturday make-up (Friday)
        ("evening", "national", "2026-10-11", None),  # Sunday, not a make-up day
        ("evening", "national", "2026-10-17", None),  # Saturday, not a make-up day
        # Midday care: season boundaries.
        ("midday", "national", "2026-09-30", ("12:10", "14:00")),  # summer season's last day
        ("midday", "national", "2026-10-01", None),  # winter's first day is a holiday here
        ("midday", "none", "2026-10-01", ("12:10", "13:30")),  # winter's first day
        ("midday", "national", "2026-10-08", ("12:10", "13:30")),
        ("midday", "national", "2026-10-10", ("12:10", "13:30")),  # make-up Saturday, winter hours
        ("midday", "national", "2026-09-27", ("12:10", "14:00")),  # make-up Sunday, summer hours
        ("midday", "none", "2027-04-30", ("12:10", "13:30")),  # winter's last day (Friday)
        ("midday", "none", "2027-05-01", None),  # Saturday
        ("midday", "may", "2027-05-01", ("12:10", "14:00")),  # summer's first day, as a make-up day
        ("midday", "none", "2027-05-03", ("12:10", "14:00")),  # Monday
        # Clubs: Wednesday and Friday only, by the weekday a make-up day follows.
        ("clubs", "national", "2026-09-29", None),  # Tuesday
        ("clubs", "national", "2026-09-30", ("16:15", "17:20")),  # Wednesday, summer's last day
        ("clubs", "national", "2026-10-02", None),  # Friday, holiday
        ("clubs", "national", "2026-10-08", None),  # Thursday
        ("clubs", "national", "2026-10-09", ("15:45", "16:50")),  # Friday, winter
        ("clubs", "national", "2026-10-10", ("15:45", "16:50")),  # Saturday following Friday
        ("clubs", "national", "2026-09-27", None),  # Sunday following Monday
        ("clubs", "national", "2026-10-14", ("15:45", "16:50")),  # Wednesday, winter
        ("clubs", "none", "2027-04-30", ("15:45", "16:50")),  # Friday, winter's last day
        ("clubs", "may", "2027-05-01", ("16:15", "17:20")),  # Saturday following Wednesday, summer
        ("clubs", "none", "2027-05-05", ("16:15", "17:20")),  # Wednesday, summer
        # Summer day care: two periods, weekdays only.
        ("summer", "national", "2027-07-09", None),  # Friday before
        ("summer", "national", "2027-07-12", ("8:30", "17:30")),  # first period's first day
        ("summer", "national", "2027-07-17", None),  # Saturday
        ("summer", "national", "2027-07-18", None),  # Sunday
        ("summer", "national", "2027-07-30", ("8:30", "17:30")),  # first period's last day
        ("summer", "national", "2027-08-02", None),  # gap: Monday
        ("summer", "national", "2027-08-06", None),  # gap: Friday
        ("summer", "national", "2027-08-09", ("8:30", "17:30")),  # second period's first day
        ("summer", "national", "2027-08-27", ("8:30", "17:30")),  # second period's last day
        ("summer", "national", "2027-08-30", None),  # Monday after
        # Term services don't run in summer, summer care doesn't run in term.
        ("evening", "national", "2027-07-19", None),
        ("summer", "national", "2026-10-09", None),
    ],
)
def test_service_hours(service_id: str, calendar: str, day: str, expected: tuple[str, str] | None) -> None:
    want = None if expected is None else (parse_hhmm(expected[0]), parse_hhmm(expected[1]))
    assert service_hours(SERVICES[service_id], CALENDARS[calendar], D(day)) == want


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        (Calendar(holidays=frozenset({D("2027-07-20")})), "2027-07-20", None),  # holiday beats the rule
        (Calendar(makeup_days={D("2027-07-17"): 0}), "2027-07-17", ("8:30", "17:30")),  # make-up Saturday
        (Calendar(makeup_days={D("2027-07-19"): 5}), "2027-07-19", None),  # Monday following a Saturday
        (NO_HOLIDAYS, "2027-07-19", ("8:30", "17:30")),  # the same Monday, ordinary
    ],
)
def test_summer_care_calendar(calendar: Calendar, day: str, expected: tuple[str, str] | None) -> None:
    want = None if expected is None else (parse_hhmm(expected[0]), parse_hhmm(expected[1]))
    assert service_hours(SUMMER, calendar, D(day)) == want


@pytest.mark.parametrize(
    ("school_days_only", "day", "expected"),
    [
        (True, "2026-10-17", None),  # Saturday: a school-days service skips it even if a rule lists it
        (False, "2026-10-17", (time(9), time(11))),  # a day-care service runs on its rules' weekdays
        (True, "2026-10-10", (time(16), time(17))),  # make-up Saturday following Friday
        (False, "2026-10-03", None),  # holiday Saturday: nobody runs
    ],
)
def test_weekend_rules(school_days_only: bool, day: str, expected: tuple[time, time] | None) -> None:
    service = Service(
        "weekend",
        "周末",
        (
            TimeRule(WEEKDAYS, time(16), time(17), D("2026-09-01"), D("2027-07-15")),
            TimeRule(frozenset({5}), time(9), time(11), D("2026-09-01"), D("2027-07-15")),
        ),
        school_days_only=school_days_only,
    )
    assert service_hours(service, NATIONAL_DAY, D(day)) == expected


BASE = TimeRule(WEEKDAYS, time(16), time(17), D("2026-09-01"), D("2027-07-15"))
EXAM = TimeRule(WEEKDAYS, time(15), time(16), D("2026-12-01"), D("2026-12-31"))
EXAM_WEDNESDAY = TimeRule(frozenset({2}), time(14), time(15), D("2026-12-16"), D("2026-12-16"))


@pytest.mark.parametrize("rules", [(BASE, EXAM, EXAM_WEDNESDAY), (EXAM_WEDNESDAY, EXAM, BASE)])
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-11-30", (time(16), time(17))),
        ("2026-12-01", (time(15), time(16))),  # the later season overrides from its first day
        ("2026-12-15", (time(15), time(16))),
        ("2026-12-16", (time(14), time(15))),  # the latest valid_from wins again
        ("2026-12-31", (time(15), time(16))),
        ("2027-01-04", (time(16), time(17))),  # back to the base rule
    ],
)
def test_latest_valid_from_wins(rules: tuple[TimeRule, ...], day: str, expected: tuple[time, time]) -> None:
    assert service_hours(Service("study", "自习", rules), NO_HOLIDAYS, D(day)) == expected


def test_override_only_where_its_weekdays_match() -> None:
    friday_only = TimeRule(frozenset({4}), time(15), time(16), D("2026-12-01"), D("2026-12-31"))
    service = Service("study", "自习", (BASE, friday_only))
    assert service_hours(service, NO_HOLIDAYS, D("2026-12-03")) == (time(16), time(17))  # Thursday
    assert service_hours(service, NO_HOLIDAYS, D("2026-12-04")) == (time(15), time(16))  # Friday


def enrol(
    student: str, service: str, room: str, valid_from: str = "2026-09-01", valid_to: str = "2027-07-15"
) -> Enrolment:
    return Enrolment(student, service, room, D(valid_from), D(valid_to))


ENROLMENTS = (
    enrol("s09", "evening", "R101", valid_from="2026-10-09"),  # starts on the day
    enrol("s02", "evening", "R101"),
    enrol("s01", "evening", "R101"),
    enrol("s01", "evening", "R101", valid_from="2026-10-01"),  # renewed, overlapping: still once
    enrol("s10", "evening", "R101", valid_to="2026-10-08"),  # ended the day before
    enrol("s03", "evening", "R102"),
    enrol("s04", "evening", "R103", valid_to="2026-10-08"),  # the room's only pupil left
    enrol("s05", "midday", "R201"),
    enrol("s06", "clubs", "R302", valid_from="2026-10-09"),
    enrol("s06", "clubs", "R301"),
    enrol("s08", "summer", "R101", "2027-07-12", "2027-08-27"),
    enrol("s11", "chess", "R999"),  # a service the school doesn't have
)
SCHOOL = School(
    rooms={r: Room(r, r) for r in ("R101", "R102", "R103", "R201", "R301", "R302")},
    services=SERVICES,
    enrolments=ENROLMENTS,
    calendar=NATIONAL_DAY,
)


@pytest.mark.parametrize(
    ("day", "ids"),
    [
        (
            "2026-10-09",  # Friday
            [
                "2026-10-09.midday.R201",
                "2026-10-09.clubs.R301",
                "2026-10-09.clubs.R302",
                "2026-10-09.evening.R101",
                "2026-10-09.evening.R102",
            ],
        ),
        (
            "2026-10-08",  # Thursday: no clubs; R103 still has its pupil; R302 not yet
            [
                "2026-10-08.midday.R201",
                "2026-10-08.evening.R101",
                "2026-10-08.evening.R102",
                "2026-10-08.evening.R103",
            ],
        ),
        ("2026-10-02", []),  # holiday
        ("2026-10-11", []),  # ordinary Sunday
        (
            "2026-09-27",
            [
                "2026-09-27.midday.R201",
                "2026-09-27.evening.R101",
                "2026-09-27.evening.R102",
                "2026-09-27.evening.R103",
            ],
        ),  # make-up Sunday following Monday: no clubs
        (
            "2027-07-12",  # summer care starts while term services run to Jul 15
            [
                "2027-07-12.summer.R101",
                "2027-07-12.midday.R201",
                "2027-07-12.evening.R101",
                "2027-07-12.evening.R102",
            ],
        ),
        ("2027-07-19", ["2027-07-19.summer.R101"]),  # school year over
        ("2027-08-02", []),  # summer gap; midday has hours but its enrolment ended
    ],
)
def test_sessions_on(day: str, ids: list[str]) -> None:
    assert [s.id for s in sessions_on(SCHOOL, D(day), TZ)] == ids


def test_sessions_fields_and_timezone() -> None:
    sessions = {s.id: s for s in sessions_on(SCHOOL, D("2026-10-09"), TZ)}
    evening = sessions["2026-10-09.evening.R101"]
    assert evening == Session(
        id="2026-10-09.evening.R101",
        service_id="evening",
        room_id="R101",
        date=D("2026-10-09"),
        start=datetime(2026, 10, 9, 18, 15, tzinfo=TZ),
        end=datetime(2026, 10, 9, 19, 30, tzinfo=TZ),
    )
    for session in sessions.values():
        assert session.start.tzinfo is TZ and session.end.tzinfo is TZ
        assert session.start < session.end
    # 18:15 in Shanghai is 10:15 UTC: the datetimes are aware, not naive local times.
    assert evening.start.astimezone(UTC) == datetime(2026, 10, 9, 10, 15, tzinfo=UTC)
    assert sessions["2026-10-09.clubs.R302"].start == datetime(2026, 10, 9, 15, 45, tzinfo=TZ)


def test_sessions_sort_by_service_id_when_starts_tie() -> None:
    art = Service("art", "美术", EVENING.rules)
    school = School(
        services={**SERVICES, "art": art},
        enrolments=(
            enrol("a1", "evening", "R102"),
            enrol("a2", "art", "R900"),
            enrol("a3", "evening", "R101"),
        ),
        calendar=NATIONAL_DAY,
    )
    ids = [s.id for s in sessions_on(school, D("2026-10-09"), TZ)]
    assert ids == ["2026-10-09.art.R900", "2026-10-09.evening.R101", "2026-10-09.evening.R102"]


@pytest.mark.parametrize("day", ["2026-10-08", "2026-10-09", "2026-10-10", "2026-09-27", "2027-07-12"])
def test_session_by_id_round_trips(day: str) -> None:
    sessions = sessions_on(SCHOOL, D(day), TZ)
    assert sessions
    for session in sessions:
        assert session_by_id(SCHOOL, session.id, TZ) == session


@pytest.mark.parametrize(
    "session_id",
    [
        "2026-10-09.evening.R103",  # the room's enrolment ended the day before
        "2026-10-08.clubs.R301",  # clubs don't run on Thursday
        "2026-10-02.evening.R101",  # holiday
        "2026-10-09.chess.R999",  # unknown service
        "2026-10-09.evening.R404",  # nobody enrolled in that room
        "2026-10-09.evening",  # no room
        "2026-10-09.evening.",  # empty room
        "2026-10-09",
        "",
        "garbage",
        "2026-13-01.evening.R101",
        "20261009.evening.R101",  # only the extended date form names a session
    ],
)
def test_session_by_id_none(session_id: str) -> None:
    assert session_by_id(SCHOOL, session_id, TZ) is None


def test_session_by_id_with_dotted_service_id() -> None:
    school = School(
        services={"a": Service("a", "A", EVENING.rules), "a.b": Service("a.b", "AB", MIDDAY.rules)},
        enrolments=(enrol("x", "a", "R1"), enrol("y", "a.b", "R2")),
    )
    for session_id, service_id, room_id in [
        ("2026-10-09.a.b.R2", "a.b", "R2"),
        ("2026-10-09.a.R1", "a", "R1"),
    ]:
        found = session_by_id(school, session_id, TZ)
        assert found is not None
        assert (found.id, found.service_id, found.room_id) == (session_id, service_id, room_id)
        assert found in sessions_on(school, D("2026-10-09"), TZ)


@pytest.mark.parametrize(
    ("session_id", "students"),
    [
        ("2026-10-09.evening.R101", ["s01", "s02", "s09"]),  # s09 from its first day; s10 gone; s01 once
        ("2026-10-08.evening.R101", ["s01", "s02", "s10"]),  # s10 on its last day; s09 not yet
        ("2026-10-09.evening.R102", ["s03"]),
        ("2026-10-08.evening.R103", ["s04"]),
        ("2026-10-09.clubs.R301", ["s06"]),
        ("2026-10-09.clubs.R302", ["s06"]),
        ("2027-07-12.summer.R101", ["s08"]),  # same room, other service: evening pupils not expected
    ],
)
def test_expected_students(session_id: str, students: list[str]) -> None:
    session = session_by_id(SCHOOL, session_id, TZ)
    assert session is not None
    assert expected_students(SCHOOL, session) == students


ALL_DAYS = Leave("s01", D("2026-10-08"), D("2026-10-09"), reason="sick")
EVENING_ONLY = Leave("s02", D("2026-10-09"), D("2026-10-09"), service_id="evening", reason="dentist")
MIDDAY_ONLY = Leave("s03", D("2026-10-12"), D("2026-10-14"), service_id="midday", reason="lunch at home")
LEAVE_SCHOOL = School(services=SERVICES, enrolments=ENROLMENTS, leave=(ALL_DAYS, EVENING_ONLY, MIDDAY_ONLY))


def session(day: str, service_id: str, room_id: str = "R101") -> Session:
    d = D(day)
    return Session(
        f"{day}.{service_id}.{room_id}",
        service_id,
        room_id,
        d,
        datetime.combine(d, time(12), tzinfo=TZ),
        datetime.combine(d, time(13), tzinfo=TZ),
    )


@pytest.mark.parametrize(
    ("student", "day", "service_id", "expected"),
    [
        ("s01", "2026-10-07", "evening", None),  # the day before
        ("s01", "2026-10-08", "evening", ALL_DAYS),  # first day, inclusive
        ("s01", "2026-10-09", "evening", ALL_DAYS),  # last day, inclusive
        ("s01", "2026-10-09", "midday", ALL_DAYS),  # an all-service leave covers every service
        ("s01", "2026-10-09", "clubs", ALL_DAYS),
        ("s01", "2026-10-10", "evening", None),  # the day after
        ("s02", "2026-10-09", "evening", EVENING_ONLY),
        ("s02", "2026-10-09", "clubs", None),  # a service-specific leave doesn't excuse other services
        ("s02", "2026-10-08", "evening", None),
        ("s03", "2026-10-11", "midday", None),
        ("s03", "2026-10-12", "midday", MIDDAY_ONLY),
        ("s03", "2026-10-14", "midday", MIDDAY_ONLY),
        ("s03", "2026-10-15", "midday", None),
        ("s03", "2026-10-13", "evening", None),
        ("s04", "2026-10-09", "evening", None),  # other students' leave doesn't count
    ],
)
def test_on_leave(student: str, day: str, service_id: str, expected: Leave | None) -> None:
    assert on_leave(LEAVE_SCHOOL, student, session(day, service_id)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:15", time(18, 15)),
        ("8:30", time(8, 30)),
        ("08:30", time(8, 30)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
        (" 7:05 ", time(7, 5)),
    ],
)
def test_parse_hhmm(text: str, expected: time) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "25:00",
        "24:00",
        "12:60",
        "1830",
        "18:5",
        "18:155",
        "",
        ":30",
        "ab:cd",
        "-1:00",
        "18.15",
        "18:15:00",
        "１８:１５",
        "18：15",
        "+8:30",
    ],
)
def test_parse_hhmm_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a time of day") as caught:
        parse_hhmm(text)
    assert repr(text) in str(caught.value)


def test_parse_hhmm_message() -> None:
    with pytest.raises(ValueError) as caught:
        parse_hhmm("25:00")
    assert str(caught.value) == "not a time of day (HH:MM): '25:00'"


@pytest.mark.parametrize(
    ("day", "runs"),
    [
        (date(2027, 1, 20), True),  # last day of the autumn term
        (date(2027, 1, 21), False),  # winter break
        (date(2027, 2, 22), True),  # spring term started on the 20th (a Saturday)
        (date(2027, 7, 12), False),  # summer break
    ],
)
def test_term_time_services_pause_outside_terms_but_day_care_does_not(day: date, runs: bool) -> None:
    calendar = Calendar(terms=((date(2026, 9, 1), date(2027, 1, 20)), (date(2027, 2, 20), date(2027, 7, 10))))
    evening = Service(
        "evening",
        "晚自习",
        (TimeRule(frozenset(range(5)), time(18, 15), time(19, 30), date(2026, 1, 1), date(2027, 12, 31)),),
    )
    day_care = Service(
        "summer",
        "暑期托管",
        (TimeRule(frozenset(range(5)), time(8, 30), time(17, 30), date(2027, 7, 12), date(2027, 7, 30)),),
        school_days_only=False,
    )
    assert (service_hours(evening, calendar, day) is not None) is runs
    assert (service_hours(day_care, calendar, day) is not None) is (day == date(2027, 7, 12))
