"""Provides the zero report (零报告) of a session and the alerts, derived from the plan and the state.

Pure: both are functions of (school, day plan, projection state, now). A report is produced
for every session, also when nothing is wrong: that is the point of a *zero* report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from edge.core.model import School, Session
from edge.core.plan import DEPARTURE_WINDOW, DayPlan
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
    unexplained: tuple[StudentLine, ...] = field(default=())  # left early without leave

    @property
    def clean(self) -> bool:
        """Nothing missing and nothing unexplained."""
        return not self.missing and not self.unexplained

    @property
    def signed(self) -> bool:
        return bool(self.signed_by)


_NOT_SEEN, _NOWHERE = Attendance(), Whereabouts()  # read only: the state of a child with no events


def zero_report(school: School, plan: DayPlan, state: State, session: Session, now: datetime) -> ZeroReport:
    service = school.services[session.service_id]
    headcount_due = now >= session.start + timedelta(minutes=service.missing_after_min)
    buckets: dict[str, list[StudentLine]] = {name: [] for name in _BUCKETS}
    day = plan.day.isoformat()
    for student_id in plan.expected.get(session.id, ()):
        record = state.attendance.get((session.id, student_id)) or _NOT_SEEN
        where = state.whereabouts.get((day, student_id)) or _NOWHERE
        line = student_line(school, student_id, where, record.note)
        if (session.id, student_id) in plan.leave and not record.present_at and not record.left_how:
            buckets["on_leave"].append(line)
            continue
        if not record.present_at and record.left_how:
            # Taken home from the gate before reaching the room: accounted for, not missing.
            buckets[record.left_how].append(line)
            if record.left_how == "left_early" and not record.left_excused:
                buckets["unexplained"].append(line)
            continue
        if not record.present_at:
            if record.excused:
                buckets["on_leave"].append(line)
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
        elif now >= session.end:
            buckets["still_waiting"].append(line)
    signoff = state.signoffs.get(session.id)
    # Already in pinyin order: the plan lists each session's students that way.
    in_order = {name: tuple(lines) for name, lines in buckets.items()}
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
)


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
    """Every alert that holds at `now`, most urgent first."""
    found = [
        Alert(AlertKind.READER_DOWN, "", since=datetime.fromisoformat(status.since), reader_id=reader_id)
        for reader_id, status in state.readers.items()
        if not status.up
    ]
    for session in plan.sessions.values():
        if not session.start <= now <= session.end + DEPARTURE_WINDOW:
            continue  # an alert about this morning's midday care at 20:00 would be stale noise
        service = school.services[session.service_id]
        report = zero_report(school, plan, state, session, now)
        headcount = session.start + timedelta(minutes=service.missing_after_min)
        for line in report.missing:
            kind = AlertKind.NOT_IN_ROOM if _on_campus(state, plan, line.id) else AlertKind.MISSING
            found.append(Alert(kind, session.id, line.id, headcount))
        found.extend(Alert(AlertKind.LEFT_WITHOUT_LEAVE, session.id, line.id) for line in report.unexplained)
        escalate_at = session.end + timedelta(minutes=service.pickup_grace_min)
        if now >= escalate_at:
            found.extend(
                Alert(AlertKind.NOT_PICKED_UP, session.id, line.id, escalate_at)
                for line in report.still_waiting
            )
        report_due = session.start + timedelta(minutes=service.report_due_min)
        if now >= report_due and not report.signed:
            found.append(Alert(AlertKind.REPORT_UNSIGNED, session.id, "", report_due))
    return sorted(found, key=lambda a: (_URGENCY[a.kind], a.session_id, a.student_id, a.reader_id))


def _on_campus(state: State, plan: DayPlan, student_id: str) -> bool:
    where = state.whereabouts.get((plan.day.isoformat(), student_id))
    return bool(where and where.on_campus)
