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

from edge.core.model import Dismissal, Leave, School, Session
from edge.core.pinyin import sort_key
from edge.core.timetable import sessions_on

# An arrival attaches to a session from this long before its start (arrivals from 17:55 for 18:15;
# a child staying on after clubs at 16:50 is on her way to evening study at 18:15).
ARRIVAL_WINDOW = timedelta(minutes=90)
# A child still on campus after a `pickup` session's end is in it this long (escalation at +30 min,
# the guard's last releases); after that the session is over for every purpose but its report.
DEPARTURE_WINDOW = timedelta(hours=3)


@dataclass(frozen=True, slots=True)
class DayPlan:
    """One date's sessions and each child's timeline through them.

    A child's sessions that day, by start, are her one timeline: she arrives for the one under way
    or about to start (never one that has ended), is handed over from one to the next, and leaving
    campus closes the session she leaves from and every later one.
    """

    day: date
    sessions: dict[str, Session]
    expected: dict[str, tuple[str, ...]]  # session id -> student ids, in pinyin order of their names
    sessions_of: dict[str, tuple[Session, ...]]  # student id -> that day's sessions, by start
    leave: dict[tuple[str, str], Leave] = field(default_factory=dict)  # (session, student)

    def arrival_session(self, student_id: str, now: datetime, room_id: str = "") -> Session | None:
        """The session an arrival at `now` attaches to: under way, else the first about to start.

        With `room_id`, only the child's sessions in that room (a room tap); never one that has ended.
        """
        under_way, upcoming = None, None
        for session in self.sessions_of.get(student_id, ()):
            if room_id and session.room_id != room_id:
                continue
            if session.start <= now < session.end:
                under_way = session  # the latest started, when two overlap
            elif upcoming is None and session.start - ARRIVAL_WINDOW <= now < session.start:
                upcoming = session
        return under_way or upcoming

    def leaving_session(self, student_id: str, now: datetime) -> Session | None:
        """The session a child leaving campus at `now` leaves from.

        The latest one that has started, unless she is done with it (a `to_lessons` session that
        ended sent her back to lessons; a `pickup` one is over `DEPARTURE_WINDOW` after its end);
        else the one she arrived early for. None between sessions: she may come back later.
        """
        started = [s for s in self.sessions_of.get(student_id, ()) if s.start <= now]
        if started:
            last = started[-1]
            done = now >= last.end and (
                last.dismissal is Dismissal.TO_LESSONS or now >= last.end + DEPARTURE_WINDOW
            )
            if not done:
                return last
        return self.arrival_session(student_id, now)

    def later_sessions(self, student_id: str, session: Session) -> tuple[Session, ...]:
        """The child's sessions that day after `session`: leaving campus closes them too."""
        return tuple(s for s in self.sessions_of.get(student_id, ()) if s.start > session.start)

    def sessions_in_room(self, room_id: str) -> list[Session]:
        return [s for s in self.sessions.values() if s.room_id == room_id]


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
