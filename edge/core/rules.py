"""Provides the check-in rules: a card read or a manual action, the state and the time -> a decision.

Pure: no I/O, no clock (`now` is a parameter). The decision names an outcome, a reason code
and the data the projection needs; the recorder turns it into an event. Business-level
duplicates ("already checked in") are decided here; the hardware's repeat filter is elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from edge.core.duty import at_door
from edge.core.model import (
    Card,
    CardKind,
    CardStatus,
    Event,
    EventKind,
    Outcome,
    Reader,
    ReaderRole,
    School,
    Session,
    Staff,
    StaffRole,
)
from edge.core.pins import pin_matches
from edge.core.plan import ARRIVAL_WINDOW, DayPlan
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

    def on_campus(self, student_id: str, session: Session | None) -> bool:
        """Through the gate (or seen in a room) for this session: since its arrival window opened."""
        where = self.whereabouts(student_id)
        return where.on_campus_since(session.start - ARRIVAL_WINDOW) if session else where.on_campus

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
        reader.role is ReaderRole.GATE
        and not ctx.on_campus(student, ctx.plan.leaving_session(student, ctx.now))
    )
    return _gate_in(student, ctx) if arriving else _gate_out(student, ctx)


def _room_tap(student: str, reader: Reader, ctx: Context) -> Decision:
    session = ctx.plan.arrival_session(student, ctx.now, reader.room_id)
    if session is None:
        elsewhere = ctx.plan.arrival_session(student, ctx.now)
        if elsewhere is None:
            return Decision(Outcome.NOT_ENROLLED_TODAY, "no_session_now", student)
        wrong = {"session": elsewhere.id, "room": elsewhere.room_id}
        return Decision(Outcome.WRONG_ROOM, "expected_in_room", student, wrong)
    data: dict[str, Any] = {"session": session.id}
    record = ctx.attendance(session, student)
    if record.present_at and not record.left_at:
        return Decision(Outcome.ALREADY_IN, "already_checked_in", student, data)
    if (session.id, student) in ctx.plan.leave:
        return Decision(Outcome.ON_LEAVE, "came_despite_leave", student, data)
    return _check_in(student, session, ctx, data)


def _check_in(student: str, session: Session, ctx: Context, data: dict[str, Any]) -> Decision:
    data = data | _reopens(student, ctx)
    service = ctx.school.services[session.service_id]
    late_by = (ctx.now - session.start) / timedelta(minutes=1)
    if late_by > service.late_after_min:
        return Decision(Outcome.LATE, "late", student, data | {"minutes": int(late_by)})
    return Decision(Outcome.CHECKED_IN, "", student, data)


def _gate_in(student: str, ctx: Context) -> Decision:
    session = ctx.plan.arrival_session(student, ctx.now)
    data: dict[str, Any] = ({"session": session.id} if session else {}) | _reopens(student, ctx)
    if ctx.on_campus(student, session):
        return Decision(Outcome.ALREADY_IN, "already_on_campus", student, data)
    return Decision(Outcome.ON_CAMPUS, "", student, data)


def _reopens(student: str, ctx: Context) -> dict[str, Any]:
    """Back on campus: the sessions her leaving had closed before they began are hers again."""
    closed = [
        s.id
        for s in ctx.plan.sessions_of.get(student, ())
        if ctx.attendance(s, student).left_how == "before_start"
    ]
    return {"reopens": closed} if closed else {}


def leaving(student: str, ctx: Context) -> tuple[Session, dict[str, Any]] | None:
    """The session a child leaving campus now leaves from, and the event data that closes it and every
    later one that day; None when she is in no session now, or has already left it."""
    session = ctx.plan.leaving_session(student, ctx.now)
    if session is None or ctx.attendance(session, student).left_at:
        return None
    return session, _closing(student, session, ctx)


def _closing(student: str, session: Session, ctx: Context) -> dict[str, Any]:
    later = [s.id for s in ctx.plan.later_sessions(student, session)]
    return {"student": student, "session": session.id, "closes": later}


def _gate_out(student: str, ctx: Context) -> Decision:
    found = leaving(student, ctx)
    if found is None:
        return Decision(Outcome.LEFT_CAMPUS, "", student)
    session, child = found
    data: dict[str, Any] = {"session": session.id, "children": [child]}
    if ctx.now < session.end:
        excused = ctx.excused(session, student)
        reason = "before_start" if ctx.now < session.start else "with_leave" if excused else "without_leave"
        return Decision(Outcome.LEFT_EARLY, reason, student, data | {"excused": excused})
    if ctx.school.students[student].may_walk_home:
        return Decision(Outcome.WALKED_HOME, "consent_on_file", student, data)
    return Decision(Outcome.MUST_BE_PICKED_UP, "no_walk_home_consent", student, {"session": session.id})


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
        found = leaving(child, ctx)
        if found is not None and _here(child, found[0], ctx):
            children.append(found)
    if not children:
        return Decision(Outcome.NO_CHILD_WAITING, "no_child_on_campus", guardian_id)
    early = any(ctx.now < session.end for session, _ in children)
    excused = all(ctx.excused(session, data["student"]) for session, data in children)
    return Decision(
        Outcome.PICKED_UP,
        "early_pickup" if early else "",
        guardian_id,
        {"children": [data for _, data in children], "early": early, "excused": excused},
    )


def _here(student: str, session: Session, ctx: Context) -> bool:
    """In the session's room, or at least through the gate today: someone a guardian can take."""
    return bool(ctx.attendance(session, student).present_at) or ctx.on_campus(student, session)


def _staff_tap(staff_id: str, reader: Reader, ctx: Context) -> Decision:
    """A duty teacher's card at a room signs the report whose head count is due, in a session not over."""
    staff = ctx.school.staff[staff_id]
    if reader.role is ReaderRole.ROOM and ctx.school.rota is not None:  # the duty rota: is she posted here?
        refused = at_door(ctx.school.rota, staff_id, staff.name, ctx.plan.sessions_in_room(reader.room_id), ctx.now)
        if refused is not None:
            return Decision(Outcome.STAFF_NOT_ON_DUTY, refused.reason, staff_id, dict(refused.data))
    if reader.role is not ReaderRole.ROOM or staff.role is StaffRole.GUARD:
        return Decision(Outcome.STAFF_ON_DUTY, "", staff_id)
    reason = ""
    for session in sorted(ctx.plan.sessions_in_room(reader.room_id), key=lambda s: s.start, reverse=True):
        service = ctx.school.services[session.service_id]
        if session.id in ctx.state.signoffs:
            continue
        if ctx.now >= session.end:
            # A report left unsigned by the last session's teacher is signed only by name, at the console.
            reason = reason or "earlier_report_unsigned"
        elif ctx.now >= session.start + timedelta(minutes=service.missing_after_min):
            return Decision(Outcome.REPORT_SIGNED, "staff_card", staff_id, {"session": session.id})
        else:
            reason = "headcount_not_due"
    data = {"session": _unsigned_past(reader.room_id, ctx)} if reason == "earlier_report_unsigned" else {}
    return Decision(Outcome.STAFF_ON_DUTY, reason, staff_id, data)


def _unsigned_past(room_id: str, ctx: Context) -> str:
    past = [s for s in ctx.plan.sessions_in_room(room_id) if s.end <= ctx.now and s.id not in ctx.state.signoffs]
    return max(past, key=lambda s: s.start).id if past else ""


# -- manual actions from the console: each one is an event with its actor ---------------------


class ActionError(ValueError):
    """An action that cannot apply: the message names what was wrong, `code` says it for a program."""

    def __init__(self, message: str, code: str = "action_refused", **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params  # what a console needs to say it in its own words (`refusal.<code>`)


def decide_check_in(student: str, ctx: Context, note: str = "", found: bool = False) -> Decision:
    """A teacher or guard checks a student in by hand (forgotten card), or marks a missing one found."""
    session = _session_of(student, ctx)
    data: dict[str, Any] = {"session": session.id, "note": note}
    record = ctx.attendance(session, student)
    if record.left_at:
        raise ActionError(f"student {student} already left at {record.left_at[11:16]}", "already_left",
                          at=record.left_at[11:16])  # fmt: skip
    if found:
        if record.present_at:
            raise ActionError(f"student {student} is not missing: present since {record.present_at[11:16]}",
                              "not_missing", at=record.present_at[11:16])  # fmt: skip
        # Where she was last seen before, so that taking the found back leaves her as she was.
        where = ctx.whereabouts(student)
        data["seen_before"] = {"on_campus": where.on_campus, "place": where.place, "seen_at": where.seen_at}
        return Decision(Outcome.FOUND, "found", student, data | _reopens(student, ctx))
    if record.present_at:
        return Decision(Outcome.ALREADY_IN, "already_checked_in", student, data)
    return _check_in(student, session, ctx, data)


def decide_release(student: str, guardian_id: str, ctx: Context) -> Decision:
    """A guard releases a child to a named guardian; she must be here, and the guardian authorised."""
    if student not in ctx.school.students:
        raise ActionError(f"unknown student {student!r}", "unknown_student")
    guardian = ctx.school.guardians.get(guardian_id)
    if guardian is None:
        raise ActionError(f"unknown guardian {guardian_id!r}", "unknown_guardian")
    session = ctx.plan.leaving_session(student, ctx.now)
    if session is None:
        raise ActionError(f"student {student} has no session now", "no_session_now")
    record = ctx.attendance(session, student)
    if record.left_at:
        raise ActionError(f"student {student} already left at {record.left_at[11:16]}", "already_left",
                          at=record.left_at[11:16])  # fmt: skip
    if not _here(student, session, ctx):
        state = "is on leave" if ctx.excused(session, student) else "has not arrived (not in the room, not through the gate)"
        raise ActionError(f"student {student} {state}: nobody can be released who is not here",
                          "on_leave" if ctx.excused(session, student) else "not_here")  # fmt: skip
    child = [_closing(student, session, ctx)]
    if not guardian.may_pick_up or student not in guardian.children:
        return Decision(Outcome.UNAUTHORISED_PICKUP, "not_authorised", guardian_id, {"children": child})
    return Decision(
        Outcome.PICKED_UP,
        "released_by_guard",
        guardian_id,
        {"children": child, "early": ctx.now < session.end, "excused": ctx.excused(session, student)},
    )


def decide_excuse(student: str, ctx: Context, note: str = "") -> Decision:
    session = _session_of(student, ctx)
    return Decision(Outcome.EXCUSED, "excused", student, {"session": session.id, "note": note})


def decide_call(student: str, ctx: Context, note: str = "") -> Decision:
    """A guard called a missing child's guardian: recorded with what they said; the child stays missing."""
    session = _session_of(student, ctx)
    return Decision(Outcome.CALLED, "note" if note else "", student, {"session": session.id, "note": note})


# A staff card tapped this recently shows its holder is at the console.
CARD_PROOF_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Proof:
    """How a signer at a console shows who they are: their staff card just tapped at a reader (its
    event), or the PIN the office set for them. Never stored: the event records only which it was."""

    pin: str = ""
    card_tap: Event | None = None
    locked_until: datetime | None = None  # too many wrong PINs lately (edge.core.pins.PinThrottle)


def decide_sign(session_id: str, staff_id: str, ctx: Context, proof: Proof | None = None) -> Decision:
    """Sign a session's report as `staff_id`. `proof` is None only where the caller has shown who signs
    some other way (the office's page, behind its own sign-in); a console must bring a `Proof`."""
    if session_id not in ctx.plan.sessions:
        raise ActionError(f"no session {session_id!r} on {ctx.plan.day.isoformat()}", "no_session")
    staff = ctx.school.staff.get(staff_id)
    if staff is None:
        raise ActionError(f"unknown staff member {staff_id!r}", "unknown_staff")
    data = {"session": session_id}
    if proof is None:
        return Decision(Outcome.REPORT_SIGNED, "console", staff_id, data)
    if _card_shows(proof.card_tap, staff_id, ctx.now):
        return Decision(Outcome.REPORT_SIGNED, "console_staff_card", staff_id, data)
    _check_pin(staff, proof, ctx.now)
    return Decision(Outcome.REPORT_SIGNED, "console_pin", staff_id, data)


def _card_shows(tap: Event | None, staff_id: str, now: datetime) -> bool:
    return (
        tap is not None
        and tap.kind is EventKind.TAP
        and tap.outcome in (Outcome.STAFF_ON_DUTY, Outcome.REPORT_SIGNED)
        and tap.subject == staff_id
        and timedelta(0) <= now - tap.at <= CARD_PROOF_WINDOW
    )


def _check_pin(staff: Staff, proof: Proof, now: datetime) -> None:
    """Refuse unless `proof.pin` is the PIN the office set for `staff` (the PIN itself is never in a message)."""
    if not staff.pin_hash:
        raise ActionError(f"staff member {staff.id} has no signing PIN: the office sets one, or sign with the staff card",
                          "pin_not_set")  # fmt: skip
    if proof.locked_until is not None and now < proof.locked_until:
        until = proof.locked_until.strftime("%H:%M")
        raise ActionError(f"too many wrong PINs for staff member {staff.id}: PIN signing is locked until {until}",
                          "pin_locked", until=until)  # fmt: skip
    if not proof.pin:
        raise ActionError(
            f"signing as staff member {staff.id} needs their PIN or their staff card", "pin_required"
        )
    if not pin_matches(proof.pin, staff.pin_hash):
        raise ActionError(f"wrong PIN for staff member {staff.id}", "pin_wrong")


def decide_assign_card(uid: str, student: str, ctx: Context) -> Decision:
    if student not in ctx.school.students:
        raise ActionError(f"unknown student {student!r}", "unknown_student")
    holder = ctx.card(uid)
    if holder is not None and holder.status is CardStatus.ACTIVE:
        raise ActionError(f"card {uid} already belongs to {holder.holder_id}", "card_taken")
    return Decision(Outcome.CARD_ASSIGNED, "console", student, {"uid": uid})


def decide_dismiss_card(uid: str, reason: str, ctx: Context) -> Decision:
    """A guard sets aside an unknown or lost card's taps (a visitor's bus card, a card handed in), with why.

    An event of the device's, not a console's memory: every console and the school server see the
    card as dealt with. It changes nothing about any child; a later tap of the card is a new problem.
    """
    if not reason.strip():
        raise ActionError("dismissing a card needs its reason", "dismiss_reason_required")
    holder = ctx.card(uid)
    if holder is not None and holder.status is CardStatus.ACTIVE:
        raise ActionError(f"card {uid} belongs to {holder.holder_id}: only an unknown or lost card is dismissed",
                          "card_not_unresolved")  # fmt: skip
    return Decision(Outcome.CARD_DISMISSED, "note", holder.holder_id if holder else "", {"uid": uid, "note": reason})


CORRECTABLE = (Outcome.PICKED_UP, Outcome.FOUND, Outcome.EXCUSED, Outcome.CARD_ASSIGNED, Outcome.CARD_DISMISSED)


def decide_correct(target: Event | None, reason: str, ctx: Context) -> Decision:
    """Take back a release (the child is here after all), a "found" (she is missing again), an excuse
    (she is expected again), a card given to the wrong child (it is nobody's again) or a card
    dismissed by mistake (it is unresolved again), with why.

    The correcting event carries what it undoes, so the projection reverses it from the log alone.
    """
    if target is None:
        raise ActionError("no such event to correct", "no_such_event")
    if not reason.strip():
        raise ActionError("a correction needs its reason", "reason_required")
    if target.outcome not in CORRECTABLE:
        raise ActionError(f"event {target.seq} ({target.outcome.value}) cannot be corrected: only a release "
                          "or a found (or an excuse, a card assignment or dismissal) can", "not_correctable")  # fmt: skip
    if target.uuid in ctx.state.corrections:
        raise ActionError(f"event {target.seq} was already corrected", "already_corrected")
    data: dict[str, Any] = {"target": target.uuid, "undo": target.outcome.value, "note": reason}
    if target.outcome is Outcome.FOUND:
        session_id = str(target.data.get("session", ""))
        present_at = target.at.isoformat()
        held = ctx.state.attendance.get((session_id, target.subject))
        if held and held.present_at and datetime.fromisoformat(held.present_at) == target.at:
            present_at = held.present_at  # as the projection wrote it (the log may give the instant in UTC)
        data |= {"session": session_id, "present_at": present_at}
        if "seen_before" in target.data:
            data["seen_before"] = target.data["seen_before"]
    elif target.outcome is Outcome.EXCUSED:
        data |= {"session": target.data.get("session", "")}
    elif target.outcome is Outcome.CARD_ASSIGNED or target.outcome is Outcome.CARD_DISMISSED:
        data |= {"uid": target.data.get("uid", "")}
    else:
        data |= {"children": list(target.data.get("children", []))}
    # The reason names what was taken back ("excused" alone is the excuse's own reason, so not that).
    reason_code = {Outcome.EXCUSED: "excuse_taken_back", Outcome.CARD_ASSIGNED: "card_taken_back",
                   Outcome.CARD_DISMISSED: "dismissal_taken_back"}.get(target.outcome, target.outcome.value)  # fmt: skip
    return Decision(Outcome.CORRECTED, reason_code, target.subject, data)


def _session_of(student: str, ctx: Context) -> Session:
    """The session a console action about a child applies to: the one she arrives for, else the one she is in."""
    if student not in ctx.school.students:
        raise ActionError(f"unknown student {student!r}", "unknown_student")
    session = ctx.plan.arrival_session(student, ctx.now) or ctx.plan.leaving_session(student, ctx.now)
    if session is None:
        raise ActionError(f"student {student} has no session now", "no_session_now")
    return session
