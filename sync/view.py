"""Provides `SchoolView`: every device's events folded by the device's own projection, a day at a time.

What no single device can see: the gate's tap and the room's silence together. The view reads the
server's log on its own read-only connection and thread (`sync.db`: the SQLite file opened
read-only, or a PostgreSQL session with `default_transaction_read_only`), and folds each day's events through
`edge.core.projection.Projection` — the very rules the devices run — so a report here is what the
devices' reports would say if they were one device. Per day, because a day is what a report,
an alert or a register row asks about, and because a day's events can be folded again in a
blink (8,000 taps for 2,000 students) when a device that was offline delivers an old one.

Folding order: each stream (device, epoch) in seq order, as the projection demands, and the
streams merged by time. Each stream is its own projection cursor (`device|epoch`), so a
re-imaged device's seqs, starting again at 1, are not mistaken for old ones; readers are named
`device/reader`, so two devices' `gate-in` stay apart. Re-based times are used where the
device's clock was not trusted; stamps that could not be placed stay on the day they claim
(a year-2098 stamp makes a day nobody asks about).
"""

from __future__ import annotations

import heapq
import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from edge.core.codec import EVENT_COLUMNS, event_from_row
from edge.core.model import Event, Outcome, School
from edge.core.plan import DEPARTURE_WINDOW, DayPlan, plan_day
from edge.core.projection import Projection, ReaderStatus
from edge.core.report import ZeroReport, alerts, zero_report
from sync import datasets
from sync.db import Database, connect

ROW = ("id", "device", "rebased_at", "day", *EVENT_COLUMNS)
_SELECT = f"SELECT {', '.join(ROW)} FROM events"  # noqa: S608 (column names, constants)
STAFF_CARD = frozenset({Outcome.STAFF_ON_DUTY, Outcome.STAFF_NOT_ON_DUTY, Outcome.REPORT_SIGNED})
LIVE_LIMIT = 2000  # new events in one refresh beyond which live clients are sent a fresh snapshot instead
DAYS_KEPT = 40  # folded days kept in memory: a month's register, and today


@dataclass(frozen=True, slots=True)
class SchoolAlert:
    """An alert across devices: the devices' own kinds, and the server's (gate exits, devices, ingest)."""

    kind: str
    key: str
    session_id: str = ""
    student_id: str = ""
    device: str = ""
    reader: str = ""
    since: datetime | None = None
    detail: str = ""


@dataclass
class DayState:
    projection: Projection = field(default_factory=Projection)
    high: datetime | None = None  # the latest time folded: later events may be folded on top
    exits: dict[tuple[str, str], str] = field(
        default_factory=dict
    )  # (session, student) -> refused at the gate
    staff: list[Event] = field(default_factory=list)  # staff cards at a reader: staff attendance (考勤)

    def fold(self, events: Iterable[Event]) -> None:
        for event in events:
            self.projection.apply(event)
            if event.outcome is Outcome.MUST_BE_PICKED_UP:
                self.exits[(str(event.data.get("session", "")), event.subject)] = event.at.isoformat()
            elif event.outcome in STAFF_CARD and event.reader_id:
                self.staff.append(event)
            if self.high is None or event.at > self.high:
                self.high = event.at


@dataclass(frozen=True, slots=True)
class Refreshed:
    events: list[tuple[int, Event]] | None  # (row id, event as its device recorded it); None: too many
    datasets_changed: bool


def recorded(row: tuple[Any, ...]) -> Event:
    """The event as its device recorded it (the live stream shows it so)."""
    return event_from_row(dict(zip(ROW, row, strict=True)))


def for_folding(row: tuple[Any, ...]) -> Event:
    """The event as the school-wide projection folds it: its stream, its device's reader, its best time."""
    event = recorded(row)
    device, rebased_at = row[1], row[2]
    return replace(
        event,
        device_id=f"{device}|{event.epoch}",
        reader_id=f"{device}/{event.reader_id}" if event.reader_id else "",
        at=datetime.fromisoformat(rebased_at) if rebased_at else event.at,
    )


def merged(events: Iterable[Event]) -> Iterator[Event]:
    """Each stream in the order given (seq), the streams interleaved by time."""
    streams: dict[str, list[Event]] = {}
    for event in events:
        streams.setdefault(event.device_id, []).append(event)
    return heapq.merge(*streams.values(), key=lambda e: e.at)


class SchoolView:
    """Owned by one thread (`sync.owner.Owner`): every method runs there."""

    def __init__(self, path: Path | str, tz: ZoneInfo) -> None:
        self.path = path
        self.tz = tz
        self.conn: Database | None = None
        self.school = School()
        self.versions: dict[str, int] = {}
        self.readers: dict[str, ReaderStatus] = {}  # "device/reader" -> its latest state
        self.last_id = 0
        self._days: OrderedDict[date, DayState] = OrderedDict()
        self._plans: dict[date, DayPlan] = {}

    def open(self) -> SchoolView:
        self.conn = connect(self.path, readonly=True)
        self.last_id = self._scalar("SELECT COALESCE(MAX(id), 0) FROM events")
        self._load_readers(0)
        self._reload_school()
        return self

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def _db(self) -> Database:
        if self.conn is None:
            raise RuntimeError("the view is not open")
        return self.conn

    def _scalar(self, sql: str, params: Iterable[Any] = ()) -> int:
        return int(self._db().execute(sql, tuple(params)).fetchone()[0])

    # -- keeping up with the log ---------------------------------------------------------------

    def refresh(self, publish: bool = True) -> Refreshed:
        """Take in what was stored since the last refresh: datasets, readers, and each day already folded.

        Rows are made into events only where needed: for a day in memory, and for live clients
        (`publish`). A device catching up on a week touches days nobody has asked about yet;
        those are folded from the log when first asked for.
        """
        changed = self._reload_school()
        top = self._scalar("SELECT COALESCE(MAX(id), 0) FROM events")
        if top <= self.last_id:
            return Refreshed([], changed)
        since, self.last_id = self.last_id, top
        self._load_readers(since)
        loaded = sorted(day.isoformat() for day in self._days)
        if top - since > LIVE_LIMIT:  # too many to fold one by one: fold those days again when asked
            for day in self.days_since(since, top):
                self._days.pop(day, None)
            return Refreshed(None, changed)
        where = "" if publish else f" AND day IN ({', '.join('?' * len(loaded))})"
        if not publish and not loaded:
            return Refreshed([], changed)
        rows = (
            self._db()
            .execute(
                f"{_SELECT} WHERE id > ? AND id <= ?{where} ORDER BY id",  # noqa: S608 (placeholders only)
                (since, top, *([] if publish else loaded)),
            )
            .fetchall()
        )
        by_day: dict[str, list[Event]] = {}
        for row in rows:
            if row[3] in loaded:
                by_day.setdefault(row[3], []).append(for_folding(row))
        for text, events in by_day.items():
            day = date.fromisoformat(text)
            state = self._days[day]
            if state.high is not None and min(e.at for e in events) < state.high:
                self._days.pop(day)  # an older event arrived late: fold the day again, in order
            else:
                state.fold(merged(events))
        return Refreshed([(int(row[0]), recorded(row)) for row in rows] if publish else [], changed)

    def mark_dirty(self, days: Iterable[str]) -> None:
        for text in days:
            try:
                self._days.pop(date.fromisoformat(text), None)
            except ValueError:
                continue

    def _reload_school(self) -> bool:
        versions = dict(
            self._db().execute("SELECT name, MAX(version) FROM dataset_versions GROUP BY name").fetchall()
        )
        if versions == self.versions:
            return False
        self.school = datasets.school(self._db())
        self.versions = versions
        self._plans.clear()
        return True

    def _load_readers(self, since: int) -> None:
        rows = self._db().execute(
            "SELECT device, reader_id, outcome, at, rebased_at, data FROM events WHERE id IN "
            "(SELECT MAX(id) FROM events WHERE kind = 'reader' AND id > ? GROUP BY device, reader_id)",
            (since,),
        )
        for device, reader, outcome, at, rebased_at, data in rows:
            self.readers[f"{device}/{reader}"] = ReaderStatus(
                outcome == Outcome.READER_UP, rebased_at or at, _detail(data)
            )

    def days_since(self, row_id: int, top: int | None = None) -> set[date]:
        """The days of the events stored after `row_id` (to `top`): a device back after a week touches several."""
        found = set()
        bound, params = ("", (row_id,)) if top is None else (" AND id <= ?", (row_id, top))
        for (text,) in self._db().execute(f"SELECT DISTINCT day FROM events WHERE id > ?{bound}", params):  # noqa: S608
            try:
                found.add(date.fromisoformat(text))
            except ValueError:
                continue
        return found

    def recent(self, count: int = 50) -> list[Event]:
        """The last events stored, oldest first (a live snapshot's)."""
        rows = self._db().execute(f"{_SELECT} ORDER BY id DESC LIMIT ?", (count,)).fetchall()
        return [recorded(row) for row in reversed(rows)]

    # -- a day ------------------------------------------------------------------------------------

    def day(self, day: date) -> DayState:
        state = self._days.get(day)
        if state is None:
            state = DayState()
            rows = (
                self._db()
                .execute(f"{_SELECT} WHERE day = ? ORDER BY device, epoch, seq", (day.isoformat(),))
                .fetchall()
            )
            state.fold(merged(for_folding(row) for row in rows))
            self._days[day] = state
            while len(self._days) > DAYS_KEPT:
                self._days.popitem(last=False)
        self._days.move_to_end(day)
        return state

    def plan(self, day: date) -> DayPlan:
        if day not in self._plans:
            if len(self._plans) > DAYS_KEPT:
                self._plans.clear()
            self._plans[day] = plan_day(self.school, day, self.tz)
        return self._plans[day]

    def reports(self, day: date, now: datetime) -> list[ZeroReport]:
        plan, state = self.plan(day), self.day(day).projection.state
        when = as_of(day, now)
        ordered = sorted(plan.sessions.values(), key=lambda s: (s.start, s.room_id))
        return [zero_report(self.school, plan, state, session, when) for session in ordered]

    def report(self, session_id: str, now: datetime) -> ZeroReport | None:
        try:
            day = date.fromisoformat(session_id[:10])
        except ValueError:
            return None
        session = self.plan(day).sessions.get(session_id)
        if session is None:
            return None
        return zero_report(
            self.school, self.plan(day), self.day(day).projection.state, session, as_of(day, now)
        )

    def alerts(self, now: datetime) -> list[SchoolAlert]:
        """The alerts that hold now across the devices, most urgent first (the devices' order)."""
        today, plan = self.day(now.date()), self.plan(now.date())
        state = replace(today.projection.state, readers=dict(self.readers))
        found = [
            SchoolAlert(
                a.kind.value, a.key, a.session_id, a.student_id,
                device=a.reader_id.partition("/")[0], reader=a.reader_id.partition("/")[2], since=a.since,
            )
            for a in alerts(self.school, plan, state, now)
        ]  # fmt: skip
        for (session_id, student), at in sorted(today.exits.items()):
            session = plan.sessions.get(session_id)
            if session is None or not session.start <= now <= session.end + DEPARTURE_WINDOW:
                continue
            record = today.projection.state.attendance.get((session_id, student))
            if record is None or not record.left_how:  # refused at the gate, and nobody has taken them since
                key = f"left_without_pickup:{session_id}:{student}"
                found.append(SchoolAlert("left_without_pickup", key, session_id, student,
                                         since=datetime.fromisoformat(at)))  # fmt: skip
        return sorted(found, key=lambda a: (URGENCY.get(a.kind, len(URGENCY)), a.session_id, a.student_id))


def _detail(data: str) -> str:
    try:
        found = json.loads(data)
    except ValueError:
        return ""
    return str(found.get("detail", "")) if isinstance(found, dict) else ""


def as_of(day: date, now: datetime) -> datetime:
    """A past day is read as of its last instant, so nobody shows "not yet arrived"; today as of now."""
    if day < now.date():
        return datetime.combine(day, datetime.max.time(), now.tzinfo)
    if day > now.date():
        return datetime.combine(day, datetime.min.time(), now.tzinfo) - timedelta(microseconds=1)
    return now


# Most urgent first: the child who came through the gate but never reached the room, then the one
# nobody has seen, then the one who walked out of the gate alone; devices and ingest after people.
URGENCY = {
    kind: rank
    for rank, kind in enumerate(
        ("not_in_room", "missing", "left_without_pickup", "reader_down", "left_without_leave", "not_picked_up",
         "report_unsigned", "device_offline", "device_storage", "ingest_stopped")
    )
}  # fmt: skip
