"""Provides the device's duty rota (the `rota` dataset): who is on duty where, and a staff card's check at a room door.

Pure: rows in, verdicts out, no clock. The office builds the rota (`sync.office.rota`) and pushes it
as rows, one a duty, each carrying the holder's name, so a device can say who is on duty without
another lookup. The check follows `sync.office.rota.check_staff_card` (tests/test_rules_rota.py
holds the two equal): a room's teacher of the session and the day's duty leaders (who see every
room) are allowed; anyone else is refused with where she should be or who covers her.

The rota speaks only for the posts it holds: at a door whose group has no duty that day (a day
outside the term it was built for, a service it does not cover) a staff card is decided as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol


class Session(Protocol):
    """What the door check reads of `edge.core.model.Session` (the model holds the rota: no import circle)."""

    @property
    def id(self) -> str: ...
    @property
    def service_id(self) -> str: ...
    @property
    def room_id(self) -> str: ...
    @property
    def date(self) -> date: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


class DutyRole(StrEnum):
    LEADER = "leader"  # 值日领导: the whole day, every room
    GUARD = "guard"  # 保安: the whole day, the gate
    TEACHER = "teacher"  # 责任教师: one group in one session
    CLUB = "club"  # 社团教师 (outside coaches too)


DAY_ROLES = (DutyRole.LEADER, DutyRole.GUARD)


@dataclass(frozen=True, slots=True)
class Duty:
    """One row of the `rota` dataset: one person on one post on one day."""

    day: date
    role: DutyRole
    staff_id: str
    name: str
    service_id: str = ""  # "" for a day role
    room_id: str = ""
    covers: str = ""  # whom she stands in for (代班), the person first rostered
    covers_name: str = ""
    external: bool = False  # 外聘


@dataclass(frozen=True, slots=True)
class Verdict:
    """A staff card's check: allowed or not, a reason code (`rota_…`) and what its text names."""

    allowed: bool
    reason: str
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DutyRota:
    duties: tuple[Duty, ...] = ()

    _by_day: Mapping[date, tuple[Duty, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_day: dict[date, list[Duty]] = {}
        for duty in self.duties:
            by_day.setdefault(duty.day, []).append(duty)
        object.__setattr__(self, "_by_day", {day: tuple(ds) for day, ds in by_day.items()})

    def on(self, day: date) -> tuple[Duty, ...]:
        return self._by_day.get(day, ())

    def holds(self, day: date, service_id: str, room_id: str) -> bool:
        """Whether the rota posts someone to this group on `day` (else it does not speak for the door)."""
        return any(
            (d.service_id, d.room_id) == (service_id, room_id)
            for d in self.on(day)
            if d.role not in DAY_ROLES
        )

    def leaders(self, day: date) -> tuple[Duty, ...]:
        return tuple(d for d in self.on(day) if d.role is DutyRole.LEADER)


def duty_from_row(row: Mapping[str, object]) -> Duty:
    """A dataset row as a `Duty`; a missing or wrongly typed field is a KeyError/TypeError/ValueError."""
    text = {k: row.get(k, "") for k in ("service_id", "room_id", "covers", "covers_name")}
    for key, value in {**text, "staff_id": row["staff_id"], "name": row["name"]}.items():
        if not isinstance(value, str):
            raise TypeError(f"field {key!r}: expected text, got {value!r}")
    unknown = set(row) - {"day", "role", "staff_id", "name", "external", *text}
    if unknown:
        raise TypeError(f"unexpected keyword argument '{sorted(unknown)[0]}'")
    return Duty(
        day=date.fromisoformat(str(row["day"])),
        role=DutyRole(str(row["role"])),
        staff_id=str(row["staff_id"]),
        name=str(row["name"]),
        external=bool(row.get("external", False)),
        **{k: str(v) for k, v in text.items()},
    )


def rota_of(duties: Iterable[Duty]) -> DutyRota | None:
    """The installed rota, or None when the dataset is absent or empty (the device decides as before)."""
    found = tuple(duties)
    return DutyRota(found) if found else None


def check_at_door(
    rota: DutyRota, staff_id: str, name: str, day: date, service_id: str, room_id: str
) -> Verdict:
    """May `staff_id` act at `room_id`'s door during `service_id` on `day`? (check_staff_card's rules)."""
    today = rota.on(day)
    holder = next(
        (d for d in today if d.role not in DAY_ROLES and (d.service_id, d.room_id) == (service_id, room_id)),
        None,
    )
    here = {"name": name, "on_duty": holder.name if holder else ""}
    mine = [d for d in today if d.staff_id == staff_id]
    if any(d.role is DutyRole.LEADER for d in mine):
        return Verdict(True, "rota_leader", here)
    if holder is not None and holder.staff_id == staff_id:
        return Verdict(True, "rota_teacher", here)
    if not mine:
        covered = next((d for d in today if d.covers == staff_id), None)
        if covered is not None:
            return Verdict(False, "rota_covered", here | {"by": covered.name})
        return Verdict(False, "rota_off_duty", here)
    groups = [d for d in mine if d.role not in DAY_ROLES]
    if not groups:
        return Verdict(False, "rota_guard", here)
    post = next((d for d in groups if d.service_id == service_id), groups[0])
    return Verdict(False, "rota_elsewhere", here | {"room": post.room_id, "service": post.service_id})


def at_door(
    rota: DutyRota, staff_id: str, name: str, sessions: Iterable[Session], now: datetime
) -> Verdict | None:
    """The refusal of a staff card at a room door whose `sessions` run today, or None (allowed, or
    the rota holds no post for the room's session then: decided as without a rota).

    The session is the one under way or next (a teacher comes before the children), else the day's last.
    """
    ordered = sorted(sessions, key=lambda s: s.start)
    session = next((s for s in ordered if now < s.end), ordered[-1] if ordered else None)
    if session is None or not rota.holds(session.date, session.service_id, session.room_id):
        return None
    verdict = check_at_door(rota, staff_id, name, session.date, session.service_id, session.room_id)
    return (
        None if verdict.allowed else Verdict(False, verdict.reason, {"session": session.id, **verdict.data})
    )


def escalation(rota: DutyRota | None, day: date) -> dict[str, Any]:
    """What an unsigned report's alert adds: that day's duty leaders by id and name (nothing without a rota)."""
    leaders = rota.leaders(day) if rota else ()
    if not leaders:
        return {}
    return {"leaders": [{"staff_id": d.staff_id, "name": d.name} for d in leaders]}
