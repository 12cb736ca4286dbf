"""Provides the console's typed view of the API's JSON: sessions, alerts, feed lines, students, reports, health.

Pure: no Textual, no network. Each `*_from_json` takes what the edge (or the school server)
sends and keeps what a screen shows; a field the server left out becomes an empty value rather
than a crash, so a console can talk to a slightly older or newer device.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from edge.core.feed import SHAPES
from edge.core.i18n import t
from edge.core.model import SIGNALS, Outcome, Signal
from edge.core.places import actor_label
from edge.core.report import StudentLine
from edge.core.standing import Standing, standing_from_json

COUNT_NAMES = ("present", "late", "on_leave", "missing", "left_early", "picked_up", "walked_home", "still_waiting")

NEVER = datetime.min.replace(tzinfo=UTC)  # a session the server sent without a time

# The kinds of event the big panel shows: what happened at the gate or the desk just now.
LAST_TAP_KINDS = frozenset({"tap", "release", "check_in", "found", "assign_card"})


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session of the day (a service in a room) with its counts, as `GET /api/v1/sessions` gives it."""

    id: str
    service_id: str
    service: str
    room_id: str
    room: str
    start: datetime
    end: datetime
    enrolled: int
    counts: Mapping[str, int]
    clean: bool
    signed: bool
    signed_by: str = ""
    signed_at: str = ""

    def count(self, name: str) -> int:
        return self.enrolled if name == "enrolled" else int(self.counts.get(name, 0))


@dataclass(frozen=True, slots=True)
class AlertRow:
    kind: str  # not_in_room | missing | reader_down | left_without_leave | not_picked_up | report_unsigned
    session: str
    student: StudentLine | None
    since: str = ""
    reader: str = ""  # reader_down: the reader's id


@dataclass(frozen=True, slots=True)
class FeedLine:
    """One event as the console shows it: the server's words (`view`) plus what the console acts on."""

    seq: int
    kind: str
    outcome: str
    signal: str
    shape: str
    time: str
    place: str
    label: str
    name: str
    class_name: str
    reason: str
    text: str
    subject: str = ""
    card_uid: str = ""
    at: str = ""
    children: tuple[str, ...] = ()
    reader_id: str = ""  # the reader's id whatever `place` calls it (the kiosk serves some readers only)
    assigned_uid: str = ""  # card_assigned: the card given (it leaves the unresolved cards, tui/unresolved.py)
    uuid: str = ""  # the event's: a staff card's tap proves its holder to the sign dialog
    undoes: str = ""  # corrected: the uuid of the event it takes back (a card dealt with comes back)

    @property
    def unknown_card(self) -> bool:
        return self.outcome == Outcome.UNKNOWN_CARD.value and bool(self.card_uid) and self.kind == "tap"


@dataclass(frozen=True, slots=True)
class GuardianRow:
    id: str
    name: str
    relation: str
    phone: str
    may_pick_up: bool


@dataclass(frozen=True, slots=True)
class StudentHit:
    """A student found by the search, with the adults linked to them."""

    id: str
    name: str
    class_name: str
    guardians: tuple[GuardianRow, ...] = ()
    state: Standing | None = None  # where she stands today (the school server's search sends none)


@dataclass(frozen=True, slots=True)
class ReaderRow:
    id: str
    role: str
    room: str
    state: str
    name: str = ""  # the display name the device gives it (东门入口), in the guard's language


@dataclass(frozen=True, slots=True)
class Health:
    device: str
    version: str
    now: str
    clock_trusted: bool
    simulated: bool
    readers: tuple[ReaderRow, ...]
    head_seq: int
    server_ack: int
    free_bytes: int
    total_bytes: int
    live_clients: int
    disk_state: str = "ok"  # the device's own verdict: ok | low | full | error (full and error refuse taps)

    @property
    def unsynced(self) -> int:
        """Events the school server has not pulled yet: the sync lag, counted in events."""
        return max(self.head_seq - self.server_ack, 0)


@dataclass(frozen=True, slots=True)
class SignerRow:
    """A staff member who may sign a report, as the device offers them (no PIN, no hash)."""

    id: str
    name: str
    has_pin: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """One session's zero report: its counts and the children in each list."""

    session: SessionRow
    lists: Mapping[str, tuple[StudentLine, ...]] = field(default_factory=dict)
    signer: str = ""
    signers: tuple[SignerRow, ...] = ()  # who may sign it (an older device or the server sends none)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The live stream's first message (and each `resnapshot`'s): the state to start from."""

    now: datetime | None
    epoch: str
    head_seq: int
    sessions: tuple[SessionRow, ...]
    alerts: tuple[AlertRow, ...]
    recent: tuple[FeedLine, ...]
    readers: Mapping[str, str]
    cards: tuple[FeedLine, ...] = ()  # today's problem-card events from before `recent` (tui/unresolved.py)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What the device answered to an action: accepted or refused, in a sentence for the guard."""

    accepted: bool
    message: str
    outcome: str = ""
    event: str = ""  # the event's uuid: what an undo corrects
    reason: str = ""


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return "" if value is None else str(value)


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def session_from_json(raw: Mapping[str, Any]) -> SessionRow:
    counts = dict(raw.get("counts") or {})
    start, end = _when(_text(raw, "start")), _when(_text(raw, "end"))
    return SessionRow(
        id=_text(raw, "id"),
        service_id=_text(raw, "service_id"),
        service=_text(raw, "service"),
        room_id=_text(raw, "room_id"),
        room=_text(raw, "room"),
        start=start or NEVER,
        end=end or NEVER,
        enrolled=int(counts.pop("enrolled", raw.get("enrolled", 0)) or 0),
        counts={k: int(v) for k, v in counts.items()},
        clean=bool(raw.get("clean", True)),
        signed=bool(raw.get("signed", False)),
        signed_by=_text(raw, "signed_by"),
        signed_at=_text(raw, "signed_at"),
    )


def student_line_from_json(raw: Mapping[str, Any]) -> StudentLine:
    return StudentLine(
        id=_text(raw, "id"),
        name=_text(raw, "name"),
        class_name=_text(raw, "class_name"),
        guardian=_text(raw, "guardian"),
        phone=_text(raw, "phone"),
        place=_text(raw, "place"),
        seen_at=_text(raw, "seen_at"),
        note=_text(raw, "note"),
    )


def alert_from_json(raw: Mapping[str, Any]) -> AlertRow:
    student = raw.get("student")
    return AlertRow(
        kind=_text(raw, "kind"),
        session=_text(raw, "session"),
        student=student_line_from_json(student) if isinstance(student, Mapping) else None,
        since=_text(raw, "since"),
        reader=_text(raw, "reader"),
    )


def feed_line_from_json(event: Mapping[str, Any], view: Mapping[str, Any] | None, lang: str) -> FeedLine:
    """A feed line from an event and the server's `view` of it; without a view, from the event alone."""
    outcome = _text(event, "outcome")
    try:
        signal = SIGNALS[Outcome(outcome)]
    except ValueError:  # an outcome this console does not know yet: show it, plainly, as a warning
        signal = Signal.WARNING
    at = _text(event, "at")
    view = view or {}
    time = _text(view, "time") or at[11:19]
    label = _text(view, "label") or t(f"outcome.{outcome}", lang)
    name = _text(view, "name") or _text(event, "subject") or _text(event, "card_uid")
    reader_id = _text(event, "reader_id")
    place = reader_id or (actor_label(_text(event, "actor"), lang) if _text(event, "actor") else _text(view, "place"))
    return FeedLine(
        seq=int(event.get("seq") or 0),
        kind=_text(event, "kind"),
        outcome=outcome,
        signal=_text(view, "signal") or signal.value,
        shape=_text(view, "shape") or SHAPES[signal],
        time=time,
        place=place,
        label=label,
        name=name,
        class_name=_text(view, "class"),
        reason=_text(view, "reason"),
        text=_text(view, "text") or f"{time} {place:<10} {SHAPES[signal]} {label}  {name}",
        subject=_text(event, "subject"),
        card_uid=_text(event, "card_uid"),
        at=at,
        children=tuple(str(c) for c in view.get("children") or ()),
        reader_id=_text(event, "reader_id"),
        assigned_uid=_text(event.get("data") or {}, "uid") if outcome == "card_assigned" else "",
        uuid=_text(event, "uuid"),
        undoes=_text(event.get("data") or {}, "target") if outcome == "corrected" else "",
    )


def student_from_json(raw: Mapping[str, Any]) -> StudentHit:
    return StudentHit(
        id=_text(raw, "id"),
        name=_text(raw, "name"),
        class_name=_text(raw, "class"),
        guardians=tuple(
            GuardianRow(
                id=_text(g, "id"),
                name=_text(g, "name"),
                relation=_text(g, "relation"),
                phone=_text(g, "phone"),
                may_pick_up=bool(g.get("may_pick_up", False)),
            )
            for g in raw.get("guardians") or ()
        ),
        state=standing_from_json(raw.get("state")),
    )


def health_from_json(raw: Mapping[str, Any]) -> Health:
    clock, log = raw.get("clock") or {}, raw.get("log") or {}
    sync, disk = raw.get("sync") or {}, raw.get("disk") or {}
    return Health(
        device=_text(raw, "device"),
        version=_text(raw, "version"),
        now=_text(clock, "now"),
        clock_trusted=bool(clock.get("trusted", False)),
        simulated=bool(clock.get("simulated", False)),
        readers=tuple(
            ReaderRow(_text(r, "id"), _text(r, "role"), _text(r, "room"), _text(r, "state"), _text(r, "name"))
            for r in raw.get("readers") or ()
        ),
        head_seq=int(log.get("head_seq") or 0),
        server_ack=int(sync.get("server_ack") or 0),
        free_bytes=int(disk.get("free_bytes") or 0),
        total_bytes=int(disk.get("total_bytes") or 0),
        live_clients=int(raw.get("live_clients") or 0),
        disk_state=_text(disk, "state") or "ok",
    )


REPORT_LISTS = ("missing", "not_yet_arrived", "still_waiting", "left_early", "on_leave", "late", "picked_up", "walked_home")


def report_from_json(raw: Mapping[str, Any]) -> Report:
    session = dict(raw.get("session") or {})
    summary = session | {
        "service": raw.get("service"),
        "room": raw.get("room"),
        "counts": raw.get("counts") or {},
        "clean": raw.get("clean", True),
        "signed": raw.get("signed", False),
        "signed_by": raw.get("signed_by"),
        "signed_at": raw.get("signed_at"),
    }
    lists = {name: tuple(student_line_from_json(line) for line in raw.get(name) or ()) for name in REPORT_LISTS}
    signers = tuple(SignerRow(_text(r, "id"), _text(r, "name"), bool(r.get("pin", False)))
                    for r in raw.get("signers") or () if isinstance(r, Mapping))  # fmt: skip
    return Report(session_from_json(summary), lists, _text(raw, "signer"), signers)


def _lines(raw: Mapping[str, Any], name: str, lang: str) -> tuple[FeedLine, ...]:
    events: Sequence[Mapping[str, Any]] = raw.get(name) or ()
    views: Sequence[Mapping[str, Any] | None] = raw.get(f"{name}_views") or [None] * len(events)
    return tuple(feed_line_from_json(e, v, lang) for e, v in zip(events, views, strict=False))


def snapshot_from_json(raw: Mapping[str, Any], lang: str) -> Snapshot:
    return Snapshot(
        now=_when(_text(raw, "now")),
        epoch=_text(raw, "epoch"),
        head_seq=int(raw.get("head_seq") or 0),
        sessions=tuple(session_from_json(s) for s in raw.get("sessions") or ()),
        alerts=tuple(alert_from_json(a) for a in raw.get("alerts") or ()),
        recent=_lines(raw, "recent", lang),
        readers={str(k): str(v) for k, v in dict(raw.get("readers") or {}).items()},
        cards=_lines(raw, "cards", lang),
    )
