"""Provides the zero report (零报告) of a session and the alerts, derived from the plan and the state.

Pure: both are functions of (school, day plan, projection state, now). A report is produced
for every session, also when nothing is wrong: that is the point of a *zero* report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from edge.core.model import Dismissal, School, Session
from edge.core.plan import ARRIVAL_WINDOW, DEPARTURE_WINDOW, DayPlan
from edge.core.projection import Attendance, State, Whereabouts


@dataclass(frozen=True, slots=True)
class StudentLine:
    """What a guard needs to act on one child: who, which class, whom to call, where last seen."""

    id: str
    name: str
    class_name: str
    guardian: str = ""
    phone: str = ""
    place: str = ""
    seen_at: str = ""
    note: str = ""

    @property
    def last_seen(self) -> str:
        """`gate-in 18:02`, or empty when the child has not tapped anywhere today."""
        return f"{self.place} {self.seen_at[11:16]}".strip() if self.place else ""


@dataclass(frozen=True, slots=True)
class ZeroReport:
    """One session's head count. Every expected child is in exactly one of present, on leave, missing,
    not yet arrived or gone before arriving (`left_before_start`, or picked up, walked home or left
    early from the gate); every present child who is no longer in the room in exactly one of picked
    up, walked home, left early, handed over, back to lessons or still waiting."""

    session: Session
    service: str
    room: str
    enrolled: int
    present: tuple[StudentLine, ...]
    late: tuple[StudentLine, ...]
    on_leave: tuple[StudentLine, ...]
    missing: tuple[StudentLine, ...]
    not_yet_arrived: tuple[StudentLine, ...]  # before the headcount is due, absence is not yet missing
    left_early: tuple[StudentLine, ...]
    picked_up: tuple[StudentLine, ...]
    walked_home: tuple[StudentLine, ...]
    still_waiting: tuple[StudentLine, ...]
    signed_by: str = ""  # staff id
    signer: str = ""  # staff name, for people reading the report
    signed_at: str = ""
    unexplained: tuple[StudentLine, ...] = field(default=())  # left early, or before it began, without leave
    handed_over: tuple[StudentLine, ...] = field(default=())  # present at the end, on to her next session
    back_to_lessons: tuple[StudentLine, ...] = field(default=())  # a `to_lessons` session's end
    left_before_start: tuple[StudentLine, ...] = field(default=())  # left campus earlier that day

    @property
    def clean(self) -> bool:
        """Nothing missing and nothing unexplained."""
        return not self.missing and not self.unexplained

    @property
    def signed(self) -> bool:
        return bool(self.signed_by)

    @property
    def in_room(self) -> tuple[StudentLine, ...]:
        """Present and not yet gone, handed over, back at lessons or waiting: the session is under way."""
        moved_on = {
            line.id
            for bucket in (self.picked_up, self.walked_home, self.left_early, self.handed_over,
                           self.back_to_lessons, self.still_waiting)
            for line in bucket
        }  # fmt: skip
        return tuple(line for line in self.present if line.id not in moved_on)


_NOT_SEEN, _NOWHERE = Attendance(), Whereabouts()  # read only: the state of a child with no events


def zero_report(school: School, plan: DayPlan, state: State, session: Session, now: datetime) -> ZeroReport:
    service = school.services[session.service_id]
    headcount_due = now >= session.start + timedelta(minutes=service.missing_after_min)
    ended = now >= session.end
    buckets: dict[str, list[StudentLine]] = {name: [] for name in _BUCKETS}
    day = plan.day.isoformat()
    for student_id in plan.expected.get(session.id, ()):
        record = state.attendance.get((session.id, student_id)) or _NOT_SEEN
        where = state.whereabouts.get((day, student_id)) or _NOWHERE
        line = student_line(school, student_id, where, record.note)
        # Checked in early, then gone before it began: she was never in this session.
        if not record.present_at or record.left_how == "before_start":
            if (session.id, student_id) in plan.leave or record.excused:
                buckets["on_leave"].append(line)
            elif record.left_how:
                # Taken home from the gate before reaching the room, or gone before it began.
                buckets[record.left_how].append(line)
                if record.left_how == "before_start" or (record.left_how == "left_early" and not record.left_excused):
                    buckets["unexplained"].append(line)
            else:
                buckets["missing" if headcount_due else "not_yet_arrived"].append(line)
            continue
        buckets["present"].append(line)
        if record.late:
            buckets["late"].append(line)
        if record.left_how:
            buckets[record.left_how].append(line)
            if record.left_how == "left_early" and not record.left_excused:
                buckets["unexplained"].append(line)
        elif ended:
            if session.dismissal is Dismissal.TO_LESSONS:
                buckets["back_to_lessons"].append(line)
            elif plan.later_sessions(student_id, session):
                buckets["handed_over"].append(line)
            else:
                buckets["still_waiting"].append(line)
    signoff = state.signoffs.get(session.id)
    # Already in pinyin order: the plan lists each session's students that way.
    in_order = {_FIELD.get(name, name): tuple(lines) for name, lines in buckets.items()}
    return ZeroReport(
        session=session,
        service=service.name,
        room=school.rooms[session.room_id].name if session.room_id in school.rooms else session.room_id,
        enrolled=len(plan.expected.get(session.id, ())),
        signed_by=signoff.by if signoff else "",
        signer=school.staff[signoff.by].name if signoff and signoff.by in school.staff else "",
        signed_at=signoff.at if signoff else "",
        **in_order,
    )


_BUCKETS = (
    "present",
    "late",
    "on_leave",
    "missing",
    "not_yet_arrived",
    "left_early",
    "picked_up",
    "walked_home",
    "still_waiting",
    "unexplained",
    "handed_over",
    "back_to_lessons",
    "before_start",
)
_FIELD = {"before_start": "left_before_start"}  # the projection's `left_how` -> the report's bucket


def day_closed(reports: Sequence[ZeroReport]) -> bool:
    """Every report signed, nobody still in a room and no child waiting: the day is closed.

    A missing child keeps her report not clean, but does not hold the gate open all night.
    """
    return all(r.signed and not r.in_room and not r.still_waiting for r in reports)


def student_line(school: School, student_id: str, where: Whereabouts, note: str = "") -> StudentLine:
    student = school.students.get(student_id)
    if student is None:
        return StudentLine(student_id, student_id, "")
    first = school.contact_of(student_id)
    return StudentLine(
        id=student_id,
        name=student.name,
        class_name=student.class_name,
        guardian=f"{first.name}({first.relation})" if first else "",
        phone=first.phone if first else "",
        place=where.place,
        seen_at=where.seen_at,
        note=note,
    )


# -- alerts -------------------------------------------------------------------------------------


class AlertKind(StrEnum):
    """Ordered most urgent first: a child who came through the gate but never reached the room."""

    NOT_IN_ROOM = "not_in_room"
    MISSING = "missing"
    READER_DOWN = "reader_down"
    LEFT_WITHOUT_LEAVE = "left_without_leave"
    NOT_PICKED_UP = "not_picked_up"
    REPORT_UNSIGNED = "report_unsigned"


_URGENCY = {kind: rank for rank, kind in enumerate(AlertKind)}


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    session_id: str
    student_id: str = ""
    since: datetime | None = None
    reader_id: str = ""

    @property
    def key(self) -> str:
        if self.reader_id:  # each outage is its own alert: down, up and down again raises twice
            return f"{self.kind}:{self.reader_id}:{self.since.isoformat() if self.since else ''}"
        return f"{self.kind}:{self.session_id}:{self.student_id}"


def alerts(school: School, plan: DayPlan, state: State, now: datetime) -> list[Alert]:
    """Every alert that holds at `now`, most urgent first: only while someone can act on it.

    Missing and not-in-room hold from the head count until the session's end (the report keeps the
    fact afterwards); a child on campus is not-in-room only once the walk from the gate is over;
    not-picked-up only for `pickup` sessions, from end + grace; an unsigned report from its due time,
    and after the end only if it was raised before (a device started late raises nothing past).
    """
    found = [
        Alert(AlertKind.READER_DOWN, "", since=datetime.fromisoformat(status.since), reader_id=reader_id)
        for reader_id, status in state.readers.items()
        if not status.up
    ]
    for session in plan.sessions.values():
        if not session.start <= now < session.end + DEPARTURE_WINDOW:
            continue
        service = school.services[session.service_id]
        report = zero_report(school, plan, state, session, now)
        under_way = now < session.end
        if under_way:
            headcount = session.start + timedelta(minutes=service.missing_after_min)
            walk = timedelta(minutes=service.walk_grace_min)
            for line in report.missing:
                if not _on_campus(state, plan, line.id, session):
                    found.append(Alert(AlertKind.MISSING, session.id, line.id, headcount))
                elif now >= datetime.fromisoformat(line.seen_at) + walk:
                    since = max(headcount, datetime.fromisoformat(line.seen_at) + walk)
                    found.append(Alert(AlertKind.NOT_IN_ROOM, session.id, line.id, since))
            found.extend(
                Alert(AlertKind.LEFT_WITHOUT_LEAVE, session.id, line.id)
                for line in report.unexplained
                if line in report.left_early
            )
        escalate_at = session.end + timedelta(minutes=service.pickup_grace_min)
        if session.dismissal is Dismissal.PICKUP and now >= escalate_at:
            found.extend(
                Alert(AlertKind.NOT_PICKED_UP, session.id, line.id, escalate_at)
                for line in report.still_waiting
            )
        report_due = session.start + timedelta(minutes=service.report_due_min)
        if now >= report_due and not report.signed:
            unsigned = Alert(AlertKind.REPORT_UNSIGNED, session.id, "", report_due)
            if under_way or unsigned.key in state.alerts:
                found.append(unsigned)
    return sorted(found, key=lambda a: (_URGENCY[a.kind], a.session_id, a.student_id, a.reader_id))


def _on_campus(state: State, plan: DayPlan, student_id: str, session: Session) -> bool:
    where = state.whereabouts.get((plan.day.isoformat(), student_id))
    return bool(where and where.on_campus_since(session.start - ARRIVAL_WINDOW))
