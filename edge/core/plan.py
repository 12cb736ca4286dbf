"""Provides `DayPlan`: one date's sessions, who is expected in each and who is on leave, indexed once.

The rules, the alerts and the zero report all ask "which session is this student in now?" and
"who is expected in this room?"; answering from an index built once per date keeps a tap and a
5,000-student report cheap (one pass over enrolments and leave, not one per question).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from edge.core.model import Leave, School, Session
from edge.core.pinyin import sort_key
from edge.core.timetable import sessions_on

# A student's session is "current" from this long before its start (arrivals from 17:55 for
# 18:15) until this long after its end (the pickup escalation and the guard's last releases).
ARRIVAL_WINDOW = timedelta(minutes=90)
DEPARTURE_WINDOW = timedelta(hours=3)


@dataclass(frozen=True, slots=True)
class DayPlan:
    day: date
    sessions: dict[str, Session]
    expected: dict[str, tuple[str, ...]]  # session id -> student ids, in pinyin order of their names
    sessions_of: dict[str, tuple[Session, ...]]  # student id -> that day's sessions, by start
    leave: dict[tuple[str, str], Leave] = field(default_factory=dict)  # (session, student)

    def current_session(self, student_id: str, now: datetime) -> Session | None:
        """The student's session around `now`: the nearest one whose window contains it."""
        around = [
            s
            for s in self.sessions_of.get(student_id, ())
            if s.start - ARRIVAL_WINDOW <= now <= s.end + DEPARTURE_WINDOW
        ]
        return min(around, key=lambda s: abs((s.start - now).total_seconds()), default=None)

    def sessions_in_room(self, room_id: str, now: datetime) -> list[Session]:
        return [
            s
            for s in self.sessions.values()
            if s.room_id == room_id and s.start - ARRIVAL_WINDOW <= now <= s.end + DEPARTURE_WINDOW
        ]


def plan_day(school: School, day: date, tz: ZoneInfo) -> DayPlan:
    sessions = {s.id: s for s in sessions_on(school, day, tz)}
    by_service_room = {(s.service_id, s.room_id): s for s in sessions.values()}
    expected: dict[str, list[str]] = defaultdict(list)
    sessions_of: dict[str, list[Session]] = defaultdict(list)
    for enrolment in school.enrolments:
        session = by_service_room.get((enrolment.service_id, enrolment.room_id))
        if session and enrolment.valid_from <= day <= enrolment.valid_to:
            expected[session.id].append(enrolment.student_id)
            sessions_of[enrolment.student_id].append(session)
    leave: dict[tuple[str, str], Leave] = {}
    for excused in school.leave:
        if excused.valid_from <= day <= excused.valid_to:
            for session in sessions_of.get(excused.student_id, ()):
                if excused.service_id in ("", session.service_id):
                    leave[(session.id, excused.student_id)] = excused
    return DayPlan(
        day=day,
        sessions=sessions,
        expected={sid: tuple(sorted(set(ids), key=_by_name(school))) for sid, ids in expected.items()},
        sessions_of={sid: tuple(sorted(set(ss), key=lambda s: s.start)) for sid, ss in sessions_of.items()},
        leave=leave,
    )


def _by_name(school: School) -> Callable[[str], tuple[str, str]]:
    """Sort students as a Chinese list is read: by the pinyin of the name, then by id."""

    def key(student_id: str) -> tuple[str, str]:
        student = school.students.get(student_id)
        return (sort_key(student.name) if student else student_id), student_id

    return key
