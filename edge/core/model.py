"""Provides the school model: people, cards, rooms, services, enrolments, leave, sessions and events.

Plain frozen dataclasses and enums, no I/O. Every other module speaks in these types; the
guard console may import them too (they are the API's vocabulary).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from edge.core.duty import DutyRota


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class CardKind(StrEnum):
    STUDENT = "student"
    GUARDIAN = "guardian"
    STAFF = "staff"


class CardStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"


class StaffRole(StrEnum):
    DUTY_TEACHER = "duty_teacher"
    DUTY_LEADER = "duty_leader"
    GUARD = "guard"


class Dismissal(StrEnum):
    """How a service's children leave at its end."""

    PICKUP = "pickup"  # evening study, clubs, summer day care: a guardian takes them, or they walk with consent
    TO_LESSONS = "to_lessons"  # midday care: back to afternoon lessons; nobody waits, nothing escalates


class ReaderRole(StrEnum):
    GATE_IN = "gate-in"
    GATE_OUT = "gate-out"
    GATE = "gate"
    ROOM = "room"


@dataclass(frozen=True, slots=True)
class Student:
    id: str
    name: str
    gender: Gender
    grade: int
    class_name: str
    homeroom_teacher: str = ""
    may_walk_home: bool = False


@dataclass(frozen=True, slots=True)
class Guardian:
    """An adult linked to children; `may_pick_up` is False for a contact who may not take them."""

    id: str
    name: str
    phone: str
    relation: str
    children: tuple[str, ...]
    may_pick_up: bool = True


@dataclass(frozen=True, slots=True)
class Staff:
    id: str
    name: str
    role: StaffRole
    phone: str = ""
    pin_hash: str = ""  # the office's salted hash of their signing PIN (edge.core.pins); "" = none set


@dataclass(frozen=True, slots=True)
class Card:
    """A card is its raw UID (upper-case hex, in the order the card sends it)."""

    uid: str
    kind: CardKind
    holder_id: str
    status: CardStatus = CardStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class TimeRule:
    """A service's hours on some weekdays (0 = Monday) from `valid_from` to `valid_to` inclusive."""

    weekdays: frozenset[int]
    start: time
    end: time
    valid_from: date
    valid_to: date


@dataclass(frozen=True, slots=True)
class Service:
    """A named after-school service and its timetable.

    Minutes are counted from the session's start (late, missing, report due), from a gate tap
    (the walk to the room before "on campus but not in room") or from the end (pickup).
    `school_days_only` services skip weekends and holidays and run on make-up days; the others
    (summer day care) run on their rules' weekdays, holidays excepted.
    """

    id: str
    name: str
    rules: tuple[TimeRule, ...]
    school_days_only: bool = True
    late_after_min: int = 5
    missing_after_min: int = 10
    report_due_min: int = 30
    pickup_grace_min: int = 30
    walk_grace_min: int = 5
    dismissal: Dismissal = Dismissal.PICKUP


@dataclass(frozen=True, slots=True)
class Calendar:
    """Holidays (no service at all), make-up days (调休: the date follows another weekday) and terms.

    `terms` are (first day, last day) ranges; when given, term-time services (evening study,
    midday care, clubs) pause in the winter and summer breaks. Empty means "always in term".
    """

    holidays: frozenset[date] = frozenset()
    makeup_days: Mapping[date, int] = field(default_factory=dict)
    terms: tuple[tuple[date, date], ...] = ()

    def in_term(self, day: date) -> bool:
        return not self.terms or any(first <= day <= last for first, last in self.terms)


@dataclass(frozen=True, slots=True)
class Enrolment:
    student_id: str
    service_id: str
    room_id: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True, slots=True)
class Leave:
    """Excused from `valid_from` to `valid_to` inclusive; for one service, or all when `service_id` is empty."""

    student_id: str
    valid_from: date
    valid_to: date
    service_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class School:
    """Every dataset a device decides with, indexed for the rules."""

    students: Mapping[str, Student] = field(default_factory=dict)
    guardians: Mapping[str, Guardian] = field(default_factory=dict)
    staff: Mapping[str, Staff] = field(default_factory=dict)
    cards: Mapping[str, Card] = field(default_factory=dict)
    rooms: Mapping[str, Room] = field(default_factory=dict)
    services: Mapping[str, Service] = field(default_factory=dict)
    enrolments: tuple[Enrolment, ...] = ()
    leave: tuple[Leave, ...] = ()
    calendar: Calendar = field(default_factory=Calendar)
    rota: DutyRota | None = None  # the duty rota (edge.core.duty); None: none installed, staff cards as before

    # child id -> guardians, built once: a report asks for every child's guardians, and a scan of
    # 8,000 guardians per child made a 5,000-student school's reports take seconds.
    _guardians_by_child: Mapping[str, tuple[Guardian, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_child: dict[str, list[Guardian]] = {}
        for guardian in self.guardians.values():
            for child in guardian.children:
                by_child.setdefault(child, []).append(guardian)
        object.__setattr__(self, "_guardians_by_child", {k: tuple(v) for k, v in by_child.items()})

    def guardians_of(self, student_id: str) -> list[Guardian]:
        return list(self._guardians_by_child.get(student_id, ()))

    def contact_of(self, student_id: str) -> Guardian | None:
        """Whom a guard calls for this child: the first guardian who may pick up, else the first one."""
        guardians = self._guardians_by_child.get(student_id, ())
        return next((g for g in guardians if g.may_pick_up), guardians[0] if guardians else None)


@dataclass(frozen=True, slots=True)
class Session:
    """One service on one date in one room, with its start and end as aware datetimes."""

    id: str
    service_id: str
    room_id: str
    date: date
    start: datetime
    end: datetime
    dismissal: Dismissal = Dismissal.PICKUP  # the service's: whether anyone waits after the end


@dataclass(frozen=True, slots=True)
class Reader:
    """A reader as the rules see it: where it stands."""

    id: str
    role: ReaderRole
    room_id: str = ""


class EventKind(StrEnum):
    TAP = "tap"
    CHECK_IN = "check_in"  # a teacher or guard checks a student in by hand (forgotten card)
    RELEASE = "release"  # a guard releases a child to a named guardian
    EXCUSE = "excuse"
    FOUND = "found"
    CALL = "call"  # a guard called a missing child's guardian, with a note of what they said
    CORRECT = "correct"  # a release or a "found" taken back, with the reason: never an edit
    ASSIGN_CARD = "assign_card"
    DISMISS_CARD = "dismiss_card"  # a guard set aside an unknown or lost card's taps, with why (issue 12)
    SIGN = "sign"  # a zero report signed from the console
    ALERT = "alert"
    READER = "reader"  # a reader went down or came back


class Outcome(StrEnum):
    """What happened, in one word; the feedback pattern and the console's colour follow from it."""

    CHECKED_IN = "checked_in"
    LATE = "late"
    ALREADY_IN = "already_in"
    ON_CAMPUS = "on_campus"
    WRONG_ROOM = "wrong_room"
    WRONG_READER = "wrong_reader"  # e.g. a pickup card at a room door
    NOT_ENROLLED_TODAY = "not_enrolled_today"
    ON_LEAVE = "on_leave"
    UNKNOWN_CARD = "unknown_card"
    LOST_CARD = "lost_card"
    RANDOM_UID = "random_uid"
    UNKNOWN_READER = "unknown_reader"
    PICKED_UP = "picked_up"
    NO_CHILD_WAITING = "no_child_waiting"
    UNAUTHORISED_PICKUP = "unauthorised_pickup"
    WALKED_HOME = "walked_home"
    MUST_BE_PICKED_UP = "must_be_picked_up"
    LEFT_EARLY = "left_early"
    LEFT_CAMPUS = "left_campus"
    STAFF_ON_DUTY = "staff_on_duty"
    STAFF_NOT_ON_DUTY = "staff_not_on_duty"  # a staff card at a room door the rota does not post her to
    REPORT_SIGNED = "report_signed"
    EXCUSED = "excused"
    FOUND = "found"
    CALLED = "called"
    CORRECTED = "corrected"
    CARD_ASSIGNED = "card_assigned"
    CARD_DISMISSED = "card_dismissed"
    ALERT = "alert"
    READER_DOWN = "reader_down"
    READER_UP = "reader_up"
    NOT_RECORDED = "not_recorded"  # a tap the disk could not store (full): never in the log, told to the child


class Signal(StrEnum):
    """The feedback pattern an outcome maps to (light, beep, console colour)."""

    OK = "ok"
    WARNING = "warning"
    DENIED = "denied"
    FAULT = "fault"


SIGNALS: Mapping[Outcome, Signal] = {
    Outcome.CHECKED_IN: Signal.OK,
    Outcome.LATE: Signal.WARNING,
    Outcome.ALREADY_IN: Signal.OK,
    Outcome.ON_CAMPUS: Signal.OK,
    Outcome.WRONG_ROOM: Signal.DENIED,
    Outcome.WRONG_READER: Signal.DENIED,
    Outcome.NOT_ENROLLED_TODAY: Signal.DENIED,
    Outcome.ON_LEAVE: Signal.WARNING,
    Outcome.UNKNOWN_CARD: Signal.DENIED,
    Outcome.LOST_CARD: Signal.DENIED,
    Outcome.RANDOM_UID: Signal.DENIED,
    Outcome.UNKNOWN_READER: Signal.FAULT,
    Outcome.PICKED_UP: Signal.OK,
    Outcome.NO_CHILD_WAITING: Signal.WARNING,
    Outcome.UNAUTHORISED_PICKUP: Signal.DENIED,
    Outcome.WALKED_HOME: Signal.OK,
    Outcome.MUST_BE_PICKED_UP: Signal.DENIED,
    Outcome.LEFT_EARLY: Signal.WARNING,
    Outcome.LEFT_CAMPUS: Signal.OK,
    Outcome.STAFF_ON_DUTY: Signal.OK,
    Outcome.STAFF_NOT_ON_DUTY: Signal.DENIED,
    Outcome.REPORT_SIGNED: Signal.OK,
    Outcome.EXCUSED: Signal.OK,
    Outcome.FOUND: Signal.OK,
    Outcome.CALLED: Signal.OK,
    Outcome.CORRECTED: Signal.WARNING,
    Outcome.CARD_ASSIGNED: Signal.OK,
    Outcome.CARD_DISMISSED: Signal.OK,
    Outcome.ALERT: Signal.WARNING,
    Outcome.READER_DOWN: Signal.FAULT,
    Outcome.READER_UP: Signal.OK,
    Outcome.NOT_RECORDED: Signal.FAULT,
}


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the append-only log: the unit of storage, projection and sync.

    `seq` and `epoch` are given by the store when the event is appended (0 and "" before).
    `data` carries what the projection needs beyond the columns (session id, children, alert key).
    """

    uuid: str
    kind: EventKind
    outcome: Outcome
    at: datetime
    device_id: str
    reason: str = ""
    reader_id: str = ""
    card_uid: str = ""
    subject: str = ""
    actor: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    boot_id: str = ""
    boottime_ns: int = 0
    clock_trusted: bool = False
    epoch: str = ""
    seq: int = 0
