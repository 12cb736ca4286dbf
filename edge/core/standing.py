"""Provides `standing`: where a child stands today, for the pickup desk — in room 301 since 18:04, missing, gone with whom.

Pure: school, the day's plan, the projection's state and `now` in; a small value out, which the
device serves with each student found and the console words in the guard's language (`describe`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from edge.core.i18n import t
from edge.core.model import School, Session
from edge.core.plan import ARRIVAL_WINDOW, DayPlan
from edge.core.projection import Attendance, State, Whereabouts

CODES = ("no_session", "expected", "missing", "on_leave", "on_campus", "in_room", "picked_up", "walked_home",
         "left_early", "left")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Standing:
    code: str  # one of CODES
    at: str = ""  # HH:MM: since when (in a room, on campus) or when she left
    room: str = ""  # the room's name, when in a room
    guardian: str = ""  # who took her, when picked up
    relation: str = ""

    def to_json(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value}


def standing(school: School, plan: DayPlan, state: State, student_id: str, now: datetime) -> Standing:
    """The child's state in the session the desk is about: the one she is in or arrives for, else
    the next one today, else the last one (after the evening: gone at 19:12 with her mother)."""
    session = _desk_session(plan, student_id, now)
    if session is None:
        return Standing("no_session")
    record = state.attendance.get((session.id, student_id)) or Attendance()
    if record.left_at:
        return _gone(school, record, now)
    if (session.id, student_id) in plan.leave or record.excused:
        return Standing("on_leave")
    if record.present_at:
        room = school.rooms[session.room_id].name if session.room_id in school.rooms else session.room_id
        return Standing("in_room", _clock(record.present_at, now), room=room)
    where = state.whereabouts.get((plan.day.isoformat(), student_id)) or Whereabouts()
    if where.on_campus_since(session.start - ARRIVAL_WINDOW):
        return Standing("on_campus", _clock(where.seen_at, now))
    service = school.services.get(session.service_id)
    grace = timedelta(minutes=service.missing_after_min if service else 0)
    return Standing("missing" if now >= session.start + grace else "expected")


def _desk_session(plan: DayPlan, student_id: str, now: datetime) -> Session | None:
    current = plan.leaving_session(student_id, now)
    if current is not None:
        return current
    sessions = plan.sessions_of.get(student_id, ())
    upcoming = [s for s in sessions if s.start > now]
    started = [s for s in sessions if s.start <= now]
    return upcoming[0] if upcoming else (started[-1] if started else None)


def _gone(school: School, record: Attendance, now: datetime) -> Standing:
    at = _clock(record.left_at, now)
    how = record.left_how if record.left_how in CODES else "left"
    guardian = school.guardians.get(record.left_with) if how == "picked_up" else None
    if guardian is None:
        return Standing(how, at)
    return Standing(how, at, guardian=guardian.name, relation=guardian.relation)


def _clock(iso: str, now: datetime) -> str:
    """HH:MM in the device's zone (the log may hold the instant in UTC)."""
    try:
        return datetime.fromisoformat(iso).astimezone(now.tzinfo).strftime("%H:%M")
    except ValueError:
        return ""


def standing_from_json(raw: Any) -> Standing | None:
    """What a device sent, or None from a device too old to send it."""
    if not isinstance(raw, dict) or raw.get("code") not in CODES:
        return None
    return Standing(**{name: str(raw.get(name) or "") for name in ("code", "at", "room", "guardian", "relation")})


def describe(state: Standing, lang: str = "zh") -> str:
    """The state in `lang`, from the catalogue: "在301教室 自18:04", "19:12 已由 妈妈 张丽 接走"."""
    if state.code == "picked_up" and not state.guardian:
        return t("desk.state.picked_up_by_someone", lang, at=state.at)
    return t(f"desk.state.{state.code}", lang, at=state.at, room=state.room, guardian=state.guardian,
             relation=state.relation)  # fmt: skip
