"""Provides the projection: who is where, folded from the event log, and nothing else.

`Projection.apply(event)` is the only way state changes. It reads nothing but the event, so
replaying the log always rebuilds the same state, whatever the datasets are today. Each
device's events apply once, in seq order: a duplicate or an old event is ignored, which makes
re-delivery in any batching harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edge.core.model import Event, EventKind, Outcome


@dataclass(slots=True)
class Whereabouts:
    """Where a student was last seen on one date (the gate and the rooms all report here)."""

    on_campus: bool = False
    place: str = ""  # the reader that saw them last
    seen_at: str = ""  # ISO 8601

    def on_campus_since(self, when: datetime) -> bool:
        """On campus, seen at or after `when`: a tap at noon says nothing about who is here at six."""
        return self.on_campus and bool(self.seen_at) and datetime.fromisoformat(self.seen_at) >= when


@dataclass(slots=True)
class Attendance:
    """One student in one session."""

    present_at: str = ""
    late: bool = False
    excused: bool = False
    left_at: str = ""
    left_how: str = ""  # picked_up | walked_home | left_early | before_start (left campus before it began)
    left_with: str = ""  # the guardian who picked up
    left_excused: bool = False
    note: str = ""

    def came_back(self) -> bool:
        """Forget an earlier leaving (a child who stepped out and came back); True if there was one."""
        if not self.left_at:
            return False
        self.left_at, self.left_how, self.left_with, self.left_excused = "", "", "", False
        return True


@dataclass(slots=True)
class Signoff:
    by: str
    at: str


@dataclass(slots=True)
class ReaderStatus:
    up: bool
    since: str
    detail: str = ""


@dataclass(slots=True)
class State:
    whereabouts: dict[tuple[str, str], Whereabouts] = field(default_factory=dict)  # (date, student)
    attendance: dict[tuple[str, str], Attendance] = field(default_factory=dict)  # (session, student)
    signoffs: dict[str, Signoff] = field(default_factory=dict)  # session
    alerts: dict[str, str] = field(default_factory=dict)  # alert key -> raised at
    cards: dict[str, str] = field(default_factory=dict)  # uid -> student, assigned at a console
    corrections: dict[str, str] = field(default_factory=dict)  # corrected event's uuid -> when
    readers: dict[str, ReaderStatus] = field(default_factory=dict)  # reader id -> last known state
    cursors: dict[str, int] = field(
        default_factory=dict
    )  # device -> last applied seq (not stored: the log has it)


# A projection row is addressed by a key like ("attendance", session, student); the store keeps
# one row per key, so a tap rewrites the few rows it touched, not the whole state.
Key = tuple[str, ...]

_PRESENT = {Outcome.CHECKED_IN, Outcome.LATE, Outcome.ON_LEAVE, Outcome.FOUND}
_LEFT = {
    Outcome.PICKED_UP: "picked_up",
    Outcome.WALKED_HOME: "walked_home",
    Outcome.LEFT_EARLY: "left_early",
}


class Projection:
    def __init__(self, state: State | None = None) -> None:
        self.state = state or State()

    def apply(self, event: Event) -> set[Key]:
        """Fold one event in; return the keys it changed (empty for a duplicate)."""
        cursor = self.state.cursors.get(event.device_id, 0)
        if event.seq and event.seq <= cursor:
            return set()
        changed: set[Key] = set()
        if event.seq:
            self.state.cursors[event.device_id] = event.seq
        changed |= self._fold(event)
        return changed

    def _fold(self, event: Event) -> set[Key]:
        at = event.at.isoformat()
        day = event.at.date().isoformat()
        student = event.subject
        session = str(event.data.get("session", ""))
        changed: set[Key] = set()

        def seen(student_id: str, on_campus: bool) -> None:
            where = self.state.whereabouts.setdefault((day, student_id), Whereabouts())
            where.on_campus, where.place, where.seen_at = on_campus, event.reader_id, at
            changed.add(("whereabouts", day, student_id))

        def attendance(session_id: str, student_id: str) -> Attendance:
            changed.add(("attendance", session_id, student_id))
            return self.state.attendance.setdefault((session_id, student_id), Attendance())

        outcome = event.outcome
        for closed in event.data.get("reopens", ()):  # back on campus for sessions her leaving had closed
            if (str(closed), student) in self.state.attendance:
                attendance(str(closed), student).came_back()
        if event.kind is EventKind.ALERT:
            self.state.alerts[str(event.data["key"])] = at
            changed.add(("alert", str(event.data["key"])))
        elif event.kind is EventKind.READER:
            up = outcome is Outcome.READER_UP
            self.state.readers[event.reader_id] = ReaderStatus(up, at, str(event.data.get("detail", "")))
            changed.add(("reader", event.reader_id))
        elif event.kind is EventKind.ASSIGN_CARD:
            self.state.cards[event.card_uid] = student
            changed.add(("card", event.card_uid))
        elif outcome in (Outcome.REPORT_SIGNED,):
            self.state.signoffs[session] = Signoff(by=event.subject or event.actor, at=at)
            changed.add(("signoff", session))
        elif outcome is Outcome.EXCUSED:
            record = attendance(session, student)
            record.excused, record.note = True, str(event.data.get("note", record.note))
        elif outcome is Outcome.CORRECTED:
            self.state.corrections[str(event.data["target"])] = at
            changed.add(("correction", str(event.data["target"])))
            if event.data.get("undo") == Outcome.FOUND:
                record = attendance(session, student)
                if record.present_at == event.data.get("present_at"):
                    record.present_at, record.late = "", False  # missing again
                before = event.data.get("seen_before")
                where = self.state.whereabouts.get((day, student))
                if isinstance(before, dict) and where and where.seen_at == event.data.get("present_at"):
                    # the found was her last sighting: she is where she was seen before it, or nowhere
                    where.on_campus = bool(before.get("on_campus", False))
                    where.place, where.seen_at = str(before.get("place", "")), str(before.get("seen_at", ""))
                    changed.add(("whereabouts", day, student))
            elif event.data.get("undo") == Outcome.EXCUSED:
                attendance(session, student).excused = False  # expected again (issue 12: undo at the console)
            elif event.data.get("undo") == Outcome.CARD_ASSIGNED:
                if self.state.cards.get(str(event.data.get("uid", ""))) == student:
                    del self.state.cards[str(event.data["uid"])]  # the card is nobody's again
                    changed.add(("card", str(event.data["uid"])))
            elif event.data.get("undo") == Outcome.CARD_DISMISSED:
                pass  # a dismissal held nothing about anyone: the console lists the card again
            else:
                for child, child_session, closes in _leavers(event):
                    seen(child, on_campus=True)  # taken back: she is here after all
                    for session_id in (child_session, *closes):
                        if (session_id, child) in self.state.attendance:
                            attendance(session_id, child).came_back()
        elif outcome is Outcome.CALLED:
            # The call's note shows on the child's line of the zero report; nothing else changes.
            record = attendance(session, student)
            record.note = str(event.data.get("note", record.note))
        elif outcome in _PRESENT:
            seen(student, on_campus=True)
            record = attendance(session, student)
            record.came_back()
            if not record.present_at:
                record.present_at, record.late = at, outcome is Outcome.LATE
            record.note = str(event.data.get("note", record.note))
        elif outcome in (
            Outcome.ON_CAMPUS,
            Outcome.ALREADY_IN,
            Outcome.WRONG_ROOM,
            Outcome.MUST_BE_PICKED_UP,
        ):
            if student and event.reader_id:
                seen(student, on_campus=True)
        elif outcome in _LEFT:
            for child, child_session, closes in _leavers(event):
                seen(child, on_campus=False)
                for later in closes:
                    # Leaving campus ends the day's presence: every later session is closed too.
                    record = attendance(later, child)
                    if not record.left_at:
                        record.left_at, record.left_how, record.left_with = at, "before_start", ""
                        record.left_excused = False
                if child_session:
                    record = attendance(child_session, child)
                    record.left_at, record.left_how = at, _LEFT[outcome]
                    record.left_with = event.subject if outcome is Outcome.PICKED_UP else ""
                    # Handed to an authorised guardian is accounted for, leave or not.
                    record.left_excused = (
                        bool(event.data.get("excused", False)) or outcome is Outcome.PICKED_UP
                    )
                    if outcome is Outcome.PICKED_UP and event.data.get("early"):
                        record.left_how = "left_early"
        elif outcome is Outcome.LEFT_CAMPUS and student:
            seen(student, on_campus=False)
        return changed

    # -- persistence: one JSON row per key -------------------------------------------------

    def rows(self, keys: Iterable[Key]) -> Iterator[tuple[str, str | None]]:
        """(key, JSON value) for each key; None where the key no longer holds anything."""
        for key in keys:
            value = self._value(key)
            yield "|".join(key), None if value is None else json.dumps(value, ensure_ascii=False)

    def all_rows(self) -> Iterator[tuple[str, str | None]]:
        return self.rows(self.keys())

    def keys(self) -> Iterator[Key]:
        s = self.state
        yield from (("whereabouts", *k) for k in s.whereabouts)
        yield from (("attendance", *k) for k in s.attendance)
        yield from (("signoff", k) for k in s.signoffs)
        yield from (("alert", k) for k in s.alerts)
        yield from (("card", k) for k in s.cards)
        yield from (("correction", k) for k in s.corrections)
        yield from (("reader", k) for k in s.readers)

    def _value(self, key: Key) -> Any:
        s, kind = self.state, key[0]
        found: Any
        if kind == "whereabouts":
            found = s.whereabouts.get((key[1], key[2]))
        elif kind == "attendance":
            found = s.attendance.get((key[1], key[2]))
        elif kind == "signoff":
            found = s.signoffs.get(key[1])
        elif kind == "reader":
            found = s.readers.get(key[1])
        else:
            tables: dict[str, dict[str, Any]] = {"alert": s.alerts, "card": s.cards, "correction": s.corrections}
            return tables[kind].get(key[1])
        return None if found is None else {name: getattr(found, name) for name in found.__slots__}

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]], cursors: dict[str, int] | None = None) -> Projection:
        """The projection from its stored rows; `cursors` (device -> last seq) come from the log itself."""
        state = State(cursors=dict(cursors or {}))
        for raw_key, raw_value in rows:
            kind, *rest = raw_key.split("|")
            value = json.loads(raw_value)
            if kind == "whereabouts":
                state.whereabouts[(rest[0], rest[1])] = Whereabouts(**value)
            elif kind == "attendance":
                state.attendance[(rest[0], rest[1])] = Attendance(**value)
            elif kind == "signoff":
                state.signoffs[rest[0]] = Signoff(**value)
            elif kind == "reader":
                state.readers[rest[0]] = ReaderStatus(**value)
            elif kind == "alert":
                state.alerts[rest[0]] = value
            elif kind == "card":
                state.cards[rest[0]] = value
            elif kind == "correction":
                state.corrections[rest[0]] = value
        return cls(state)


def _leavers(event: Event) -> list[tuple[str, str, tuple[str, ...]]]:
    """(student, session, later sessions closed) for each child leaving with this event (a guardian
    may take several); events recorded before sessions closed later ones have no `closes`."""
    children = event.data.get("children")
    if children is not None:
        return [
            (str(child["student"]), str(child.get("session", "")), tuple(map(str, child.get("closes", ()))))
            for child in children
        ]
    return [(event.subject, str(event.data.get("session", "")), ())]


def parse_at(text: str) -> datetime:
    return datetime.fromisoformat(text)
