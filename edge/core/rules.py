"""Provides the check-in rules: a card read or a manual action, the state and the time -> a decision.

Pure: no I/O, no clock (`now` is a parameter). The decision names an outcome, a reason code
and the data the projection needs; the recorder turns it into an event. Business-level
duplicates ("already checked in") are decided here; the hardware's repeat filter is elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from edge.core.model import (
    Card,
    CardKind,
    CardStatus,
    Outcome,
    Reader,
    ReaderRole,
    School,
    Session,
    StaffRole,
)
from edge.core.plan import DayPlan
from edge.core.projection import Attendance, State, Whereabouts
from hardware.reads import is_random_uid


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reason: str = ""
    subject: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a decision may look at besides the read itself."""

    school: School
    plan: DayPlan
    state: State
    now: datetime

    def attendance(self, session: Session, student_id: str) -> Attendance:
        return self.state.attendance.get((session.id, student_id)) or Attendance()

    def whereabouts(self, student_id: str) -> Whereabouts:
        return self.state.whereabouts.get((self.plan.day.isoformat(), student_id)) or Whereabouts()

    def excused(self, session: Session, student_id: str) -> bool:
        """On leave from the office's records, or excused at the console today."""
        return (session.id, student_id) in self.plan.leave or self.attendance(session, student_id).excused

    def card(self, uid: str) -> Card | None:
        if uid in self.state.cards:
            return Card(uid, CardKind.STUDENT, self.state.cards[uid])
        return self.school.cards.get(uid)


def decide_tap(uid: str, reader: Reader | None, ctx: Context) -> Decision:
    if reader is None:
        return Decision(Outcome.UNKNOWN_READER, "reader_not_configured")
    card = ctx.card(uid)
    if card is None:
        if is_random_uid(uid):
            return Decision(Outcome.RANDOM_UID, "random_uid")
        return Decision(Outcome.UNKNOWN_CARD, "card_not_registered")
    if card.status is CardStatus.LOST:
        return Decision(Outcome.LOST_CARD, "card_reported_lost", card.holder_id)
    holders = {
        CardKind.STUDENT: ctx.school.students,
        CardKind.GUARDIAN: ctx.school.guardians,
        CardKind.STAFF: ctx.school.staff,
    }[card.kind]
    if card.holder_id not in holders:
        # The datasets disagree (a card pushed before its holder): refuse clearly, never crash.
        return Decision(Outcome.UNKNOWN_CARD, "holder_not_in_roster", card.holder_id)
    if card.kind is CardKind.STAFF:
        return _staff_tap(card.holder_id, reader, ctx)
    if card.kind is CardKind.GUARDIAN:
        return _guardian_tap(card.holder_id, reader, ctx)
    student = card.holder_id
    if reader.role is ReaderRole.ROOM:
        return _room_tap(student, reader, ctx)
    arriving = reader.role is ReaderRole.GATE_IN or (
        reader.role is ReaderRole.GATE and not ctx.whereabouts(student).on_campus
    )
    return _gate_in(student, ctx) if arriving else _gate_out(student, ctx)


def _room_tap(student: str, reader: Reader, ctx: Context) -> Decision:
    session = ctx.plan.current_session(student, ctx.now)
    if session is None:
        return Decision(Outcome.NOT_ENROLLED_TODAY, "no_session_now", student)
    data: dict[str, Any] = {"session": session.id}
    if session.room_id != reader.room_id:
        return Decision(Outcome.WRONG_ROOM, "expected_in_room", student, data | {"room": session.room_id})
    if ctx.attendance(session, student).present_at:
        return Decision(Outcome.ALREADY_IN, "already_checked_in", student, data)
    if (session.id, student) in ctx.plan.leave:
        return Decision(Outcome.ON_LEAVE, "came_despite_leave", student, data)
    return _check_in(student, session, ctx, data)


def _check_in(student: str, session: Session, ctx: Context, data: dict[str, Any]) -> Decision:
    service = ctx.school.services[session.service_id]
    late_by = (ctx.now - session.start) / timedelta(minutes=1)
    if late_by > service.late_after_min:
        return Decision(Outcome.LATE, "late", student, data | {"minutes": int(late_by)})
    return Decision(Outcome.CHECKED_IN, "", student, data)


def _gate_in(student: str, ctx: Context) -> Decision:
    session = ctx.plan.current_session(student, ctx.now)
    data: dict[str, Any] = {"session": session.id} if session else {}
    if ctx.whereabouts(student).on_campus:
        return Decision(Outcome.ALREADY_IN, "already_on_campus", student, data)
    return Decision(Outcome.ON_CAMPUS, "", student, data)


def _gate_out(student: str, ctx: Context) -> Decision:
    session = ctx.plan.current_session(student, ctx.now)
    if session is None or ctx.attendance(session, student).left_at:
        return Decision(Outcome.LEFT_CAMPUS, "", student)
    data: dict[str, Any] = {"session": session.id}
    if ctx.now < session.end:
        excused = (session.id, student) in ctx.plan.leave
        return Decision(
            Outcome.LEFT_EARLY,
            "with_leave" if excused else "without_leave",
            student,
            data | {"excused": excused},
        )
    if ctx.school.students[student].may_walk_home:
        return Decision(Outcome.WALKED_HOME, "consent_on_file", student, data)
    return Decision(Outcome.MUST_BE_PICKED_UP, "no_walk_home_consent", student, data)


def _guardian_tap(guardian_id: str, reader: Reader, ctx: Context) -> Decision:
    guardian = ctx.school.guardians[guardian_id]
    if reader.role is ReaderRole.ROOM:
        return Decision(Outcome.WRONG_READER, "guardian_card_at_room", guardian_id)
    if not guardian.may_pick_up:
        return Decision(
            Outcome.UNAUTHORISED_PICKUP,
            "not_authorised",
            guardian_id,
            {"children": [{"student": c} for c in guardian.children]},
        )
    children = []
    for child in guardian.children:
        session = ctx.plan.current_session(child, ctx.now)
        if session is None:
            continue
        record = ctx.attendance(session, child)
        if (record.present_at or ctx.whereabouts(child).on_campus) and not record.left_at:
            children.append((child, session))
    if not children:
        return Decision(Outcome.NO_CHILD_WAITING, "no_child_on_campus", guardian_id)
    early = any(ctx.now < session.end for _, session in children)
    excused = all(ctx.excused(session, child) for child, session in children)
    return Decision(
        Outcome.PICKED_UP,
        "early_pickup" if early else "",
        guardian_id,
        {
            "children": [{"student": child, "session": session.id} for child, session in children],
            "early": early,
            "excused": excused,
        },
    )


def _staff_tap(staff_id: str, reader: Reader, ctx: Context) -> Decision:
    staff = ctx.school.staff[staff_id]
    if reader.role is not ReaderRole.ROOM or staff.role is StaffRole.GUARD:
        return Decision(Outcome.STAFF_ON_DUTY, "", staff_id)
    for session in ctx.plan.sessions_in_room(reader.room_id, ctx.now):
        service = ctx.school.services[session.service_id]
        headcount_due = session.start + timedelta(minutes=service.missing_after_min)
        if ctx.now >= headcount_due and session.id not in ctx.state.signoffs:
            return Decision(Outcome.REPORT_SIGNED, "staff_card", staff_id, {"session": session.id})
    return Decision(Outcome.STAFF_ON_DUTY, "", staff_id)


# -- manual actions from the console: each one is an event with its actor ---------------------


class ActionError(ValueError):
    """An action that cannot apply: the message names what was wrong."""


def decide_check_in(student: str, ctx: Context, note: str = "", found: bool = False) -> Decision:
    """A teacher or guard checks a student in by hand (forgotten card), or marks a missing one found."""
    session = _session_of(student, ctx)
    data: dict[str, Any] = {"session": session.id, "note": note}
    if found:
        return Decision(Outcome.FOUND, "found", student, data)
    if ctx.attendance(session, student).present_at:
        return Decision(Outcome.ALREADY_IN, "already_checked_in", student, data)
    return _check_in(student, session, ctx, data)


def decide_release(student: str, guardian_id: str, ctx: Context) -> Decision:
    """A guard releases a child to a named guardian; anyone not authorised is refused, and recorded."""
    session = _session_of(student, ctx)
    guardian = ctx.school.guardians.get(guardian_id)
    if guardian is None:
        raise ActionError(f"unknown guardian {guardian_id!r}")
    left_at = ctx.attendance(session, student).left_at
    if left_at:
        raise ActionError(f"student {student} already left at {left_at[11:16]}")
    child = [{"student": student, "session": session.id}]
    if not guardian.may_pick_up or student not in guardian.children:
        return Decision(Outcome.UNAUTHORISED_PICKUP, "not_authorised", guardian_id, {"children": child})
    early = ctx.now < session.end
    excused = (session.id, student) in ctx.plan.leave
    return Decision(
        Outcome.PICKED_UP,
        "released_by_guard",
        guardian_id,
        {"children": child, "early": early, "excused": excused},
    )


def decide_excuse(student: str, ctx: Context, note: str = "") -> Decision:
    session = _session_of(student, ctx)
    return Decision(Outcome.EXCUSED, "excused", student, {"session": session.id, "note": note})


def decide_call(student: str, ctx: Context, note: str = "") -> Decision:
    """A guard called a missing child's guardian: recorded with what they said; the child stays missing."""
    session = _session_of(student, ctx)
    return Decision(Outcome.CALLED, "note" if note else "", student, {"session": session.id, "note": note})


def decide_sign(session_id: str, staff_id: str, ctx: Context) -> Decision:
    if session_id not in ctx.plan.sessions:
        raise ActionError(f"no session {session_id!r} on {ctx.plan.day.isoformat()}")
    if staff_id not in ctx.school.staff:
        raise ActionError(f"unknown staff member {staff_id!r}")
    return Decision(Outcome.REPORT_SIGNED, "console", staff_id, {"session": session_id})


def decide_assign_card(uid: str, student: str, ctx: Context) -> Decision:
    if student not in ctx.school.students:
        raise ActionError(f"unknown student {student!r}")
    holder = ctx.card(uid)
    if holder is not None and holder.status is CardStatus.ACTIVE:
        raise ActionError(f"card {uid} already belongs to {holder.holder_id}")
    return Decision(Outcome.CARD_ASSIGNED, "console", student, {"uid": uid})


def _session_of(student: str, ctx: Context) -> Session:
    if student not in ctx.school.students:
        raise ActionError(f"unknown student {student!r}")
    session = ctx.plan.current_session(student, ctx.now)
    if session is None:
        raise ActionError(f"student {student} has no session now")
    return session
