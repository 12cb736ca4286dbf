"""Provides the duty rota for a term (plan 5: 值日领导、保安、责任教师、社团教师): build, swap, cover, look up, check.

Pure functions over frozen dataclasses; dates are parameters, the clock is never read. Every finding
and refusal is a `Problem` (a `rota.…` catalogue key and its parameters), never prose.

Decisions where plan 5 is silent:
- A duty day is a date in the rota's range on which one of its services runs (the timetable's
  `service_hours`): for a term its school days, make-up days (调休) included; for a summer period
  the period's days. A make-up day takes the pattern of the weekday it follows, as the timetable does.
- Duty leaders and guards hold the whole day (service and room ""); two of each, every duty day.
  A teacher (责任教师) holds one group, a service and room, in one session; a club's teacher holds
  a club the same way (role CLUB); an outside coach (外聘) is a `Person` with `external=True`.
- Cover (代班) keeps the name of the person first rostered (`covers`), however often it is passed on,
  so attendance can say "covered by whom"; passed back to her, the post is simply hers again.
  A swap (换班) exchanges two people's duties on two days.
- At a room door a staff card is allowed for that session's teacher and for the day's duty leaders
  (who see every room); a guard's post is the gate. At the gate anyone on duty that day is allowed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from edge.core.codec import to_plain
from edge.core.model import Calendar, Service
from edge.core.timetable import service_hours
from sync.office.problems import Problem, Refused


class Role(StrEnum):
    LEADER = "leader"  # 值日领导: the whole day, every room's report
    GUARD = "guard"  # 保安: the whole day, at the gate
    TEACHER = "teacher"  # 责任教师: one group (service and room) in one session
    CLUB = "club"  # 社团教师: one club (service and room) in one session; outside coaches too


DAY_ROLES = (Role.LEADER, Role.GUARD)
NEEDED = {Role.LEADER: 2, Role.GUARD: 2}  # plan 5: 两名值日领导、两名保安, every day

Group = tuple[str, str]  # (service id, room id)


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    external: bool = False  # 外聘: an outside coach, not on the school's staff


@dataclass(frozen=True, slots=True)
class DayPattern:
    """Who holds what on one weekday of the repeating week."""

    leaders: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    teachers: Mapping[Group, str] = field(default_factory=dict)
    clubs: Mapping[Group, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Duty:
    """One person on one post: a day role (service and room "") or a group's session."""

    day: date
    role: Role
    person_id: str
    service_id: str = ""
    room_id: str = ""
    covers: str = ""  # the person first rostered here, whom this one stands in for (代班)

    @property
    def post(self) -> tuple[date, Role, str, str]:
        return (self.day, self.role, self.service_id, self.room_id)


@dataclass(frozen=True, slots=True)
class Rota:
    first: date
    last: date
    days: tuple[date, ...]  # the duty days, in order
    sessions: frozenset[tuple[date, Role, str, str]]  # every group's post that needs exactly one person
    duties: tuple[Duty, ...]
    people: Mapping[str, Person]

    _by_day: Mapping[date, tuple[Duty, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_day: dict[date, list[Duty]] = defaultdict(list)
        for duty in self.duties:
            by_day[duty.day].append(duty)
        object.__setattr__(self, "_by_day", {day: tuple(ds) for day, ds in by_day.items()})

    def on(self, day: date) -> tuple[Duty, ...]:
        return self._by_day.get(day, ())

    def name(self, person_id: str) -> str:
        person = self.people.get(person_id)
        return person.name if person else person_id


@dataclass(frozen=True, slots=True)
class Verdict:
    """A staff card's check at a door: allowed or not, and why (a catalogue key and its parameters)."""

    allowed: bool
    code: str
    params: Mapping[str, object] = field(default_factory=dict)


def weekday_of(calendar: Calendar, day: date) -> int:
    """The weekday whose pattern `day` follows: a make-up day (调休) follows the one it names."""
    return calendar.makeup_days.get(day, day.weekday())


def duty_days(services: Iterable[Service], calendar: Calendar, first: date, last: date) -> tuple[date, ...]:
    """The dates from `first` to `last` on which at least one of `services` runs."""
    chosen = tuple(services)
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return tuple(d for d in days if any(service_hours(s, calendar, d) is not None for s in chosen))


def build(
    week: Mapping[int, DayPattern],
    services: Mapping[str, Service],
    calendar: Calendar,
    people: Mapping[str, Person],
    first: date,
    last: date,
) -> Rota:
    """The rota from `first` to `last` repeating `week` (0 = Monday) over its duty days.

    Only the services the week names count; a group is posted on the days its service runs (clubs
    on their weekdays). Gaps in the week are left for `check` to report, day by day.
    """
    groups = {(Role.TEACHER, *g) for p in week.values() for g in p.teachers} | {
        (Role.CLUB, *g) for p in week.values() for g in p.clubs
    }
    unknown = sorted({service for _, service, _ in groups if service not in services})
    if unknown:
        raise Refused(*(Problem("rota.unknown_service", {"service": s}) for s in unknown))
    used = [services[s] for s in sorted({service for _, service, _ in groups})] or list(services.values())
    days = duty_days(used, calendar, first, last)
    duties: list[Duty] = []
    posts: set[tuple[date, Role, str, str]] = set()
    for day in days:
        pattern = week.get(weekday_of(calendar, day), DayPattern())
        duties += [Duty(day, Role.LEADER, p) for p in pattern.leaders]
        duties += [Duty(day, Role.GUARD, p) for p in pattern.guards]
        for role, service_id, room_id in sorted(groups):
            if service_hours(services[service_id], calendar, day) is None:
                continue
            posts.add((day, role, service_id, room_id))
            holders = pattern.teachers if role is Role.TEACHER else pattern.clubs
            person = holders.get((service_id, room_id))
            if person:
                duties.append(Duty(day, role, person, service_id, room_id))
    return Rota(first, last, days, frozenset(posts), tuple(duties), dict(people))


def check(rota: Rota) -> tuple[Problem, ...]:
    """Everything wrong with the rota, day by day: counts of leaders and guards, groups without one
    teacher, people unknown or in two places at once."""
    found: list[Problem] = []
    for day in rota.days:
        duties = rota.on(day)
        for role, needed in NEEDED.items():
            held = Counter(d.person_id for d in duties if d.role is role)
            if len(held) != needed:
                found.append(
                    Problem(f"rota.count.{role}", {"day": day, "count": len(held), "needed": needed})
                )
            found += [
                Problem("rota.twice", {"day": day, "name": rota.name(p), "role": role.value})
                for p, n in sorted(held.items())
                if n > 1
            ]
        posted = Counter(d.post for d in duties if d.role not in DAY_ROLES)
        for post in sorted(p for p in rota.sessions if p[0] == day):
            count = posted.get(post, 0)
            if count != 1:
                key = "rota.no_teacher" if count == 0 else "rota.two_teachers"
                found.append(Problem(key, {"day": day, "service": post[2], "room": post[3], "count": count}))
        found += [
            Problem("rota.no_session", {"day": day, "service": post[2], "room": post[3]})
            for post in sorted(posted)
            if post not in rota.sessions
        ]
        rooms: dict[tuple[str, str], set[str]] = defaultdict(set)
        for duty in duties:
            if duty.person_id not in rota.people:
                found.append(Problem("rota.unknown_person", {"day": day, "person": duty.person_id}))
            if duty.role not in DAY_ROLES:
                rooms[(duty.person_id, duty.service_id)].add(duty.room_id)
        found += [
            Problem("rota.double_booked", {"day": day, "name": rota.name(p), "service": s, "rooms": len(r)})
            for (p, s), r in sorted(rooms.items())
            if len(r) > 1
        ]
    for day in sorted({d.day for d in rota.duties} - set(rota.days)):
        found.append(Problem("rota.not_a_duty_day", {"day": day}))
    return tuple(found)


def swap(rota: Rota, first_day: date, first_id: str, second_day: date, second_id: str) -> Rota:
    """换班: `first_id`'s duties on `first_day` go to `second_id`, and `second_id`'s on `second_day` to
    `first_id` (on one day, two people exchange posts)."""
    for day, person in ((first_day, first_id), (second_day, second_id)):
        if person not in rota.people:
            raise Refused(Problem("rota.unknown_person", {"day": day, "person": person}))
        if not any(d.person_id == person for d in rota.on(day)):
            raise Refused(Problem("rota.not_on_duty", {"day": day, "name": rota.name(person)}))

    def moved(duty: Duty) -> Duty:
        if duty.day == first_day and duty.person_id == first_id:
            return replace(duty, person_id=second_id)
        if duty.day == second_day and duty.person_id == second_id:
            return replace(duty, person_id=first_id)
        return duty

    return replace(rota, duties=tuple(moved(d) for d in rota.duties))


def cover(rota: Rota, day: date, absent_id: str, by_id: str, service_id: str = "", room_id: str = "") -> Rota:
    """代班: `by_id` takes `absent_id`'s duties on `day` (only the one at `service_id`/`room_id` when given)."""
    if by_id not in rota.people:
        raise Refused(Problem("rota.unknown_person", {"day": day, "person": by_id}))
    if by_id == absent_id:
        raise Refused(Problem("rota.cover_self", {"day": day, "name": rota.name(by_id)}))

    def taken(duty: Duty) -> bool:
        return (
            duty.day == day
            and duty.person_id == absent_id
            and (not service_id or duty.service_id == service_id)
            and (not room_id or duty.room_id == room_id)
        )

    if not any(taken(d) for d in rota.duties):
        raise Refused(Problem("rota.not_on_duty", {"day": day, "name": rota.name(absent_id)}))

    def covered(duty: Duty) -> Duty:
        first_rostered = duty.covers or absent_id
        return replace(duty, person_id=by_id, covers="" if first_rostered == by_id else first_rostered)

    return replace(rota, duties=tuple(covered(d) if taken(d) else d for d in rota.duties))


def on_duty(rota: Rota, day: date, service_id: str, room_id: str) -> Person | None:
    """Who is responsible for the group `service_id` in `room_id` on `day` (after swaps and covers)."""
    for duty in rota.on(day):
        if duty.role not in DAY_ROLES and (duty.service_id, duty.room_id) == (service_id, room_id):
            return rota.people.get(duty.person_id)
    return None


def escalation(rota: Rota, day: date) -> tuple[Person, ...]:
    """Whom an unsigned report on `day` escalates to: that day's duty leaders, in rota order."""
    return tuple(
        rota.people[d.person_id] for d in rota.on(day) if d.role is Role.LEADER and d.person_id in rota.people
    )


def check_staff_card(rota: Rota, staff_id: str, day: date, service_id: str, room_id: str) -> Verdict:
    """Whether a staff card may act at a door: `room_id` "" is the gate, else a room during `service_id`."""
    person = rota.people.get(staff_id)
    if person is None:
        return Verdict(False, "rota.refused.unknown", {"person": staff_id})
    today = rota.on(day)
    mine = [d for d in today if d.person_id == staff_id]
    name = {"name": person.name, "day": day}
    if mine and not room_id:
        return Verdict(True, "rota.allowed.on_duty", name)
    if any(d.role is Role.LEADER for d in mine):
        return Verdict(True, "rota.allowed.leader", name)
    if any((d.service_id, d.room_id) == (service_id, room_id) for d in mine if d.role not in DAY_ROLES):
        return Verdict(True, "rota.allowed.teacher", name)
    if not mine:
        cover_for = next((d for d in today if d.covers == staff_id), None)
        if cover_for is not None:
            return Verdict(False, "rota.refused.covered", {**name, "by": rota.name(cover_for.person_id)})
        return Verdict(False, "rota.refused.off_duty", name)
    groups = [d for d in mine if d.role not in DAY_ROLES]
    if not groups:
        return Verdict(False, "rota.refused.guard", name)
    post = next((d for d in groups if d.service_id == service_id), groups[0])
    return Verdict(
        False, "rota.refused.elsewhere", {**name, "room": post.room_id, "service": post.service_id}
    )


def to_dataset(rota: Rota) -> dict[str, Any]:
    """The rota as the plain JSON the server pushes to the devices (dates ISO, roles by value)."""
    return {
        "first": rota.first.isoformat(),
        "last": rota.last.isoformat(),
        "days": [d.isoformat() for d in rota.days],
        "sessions": [to_plain(list(p)) for p in sorted(rota.sessions)],
        "duties": [to_plain(d) for d in rota.duties],
        "people": [to_plain(p) for p in rota.people.values()],
    }


def from_dataset(data: Mapping[str, Any]) -> Rota:
    """The rota back from `to_dataset`'s JSON; a bad entry is refused naming its part, row and fault."""

    def rows(part: str, build: Callable[[Any], Any]) -> list[Any]:
        built = []
        for row_number, row in enumerate(data.get(part) or (), start=1):
            try:
                built.append(build(row))
            except (KeyError, TypeError, ValueError) as error:
                raise Refused(_bad(part, row_number, error)) from None
        return built

    def duty(r: Mapping[str, Any]) -> Duty:
        return Duty(**{**r, "day": date.fromisoformat(r["day"]), "role": Role(r["role"])})

    def session(r: list[str]) -> tuple[date, Role, str, str]:
        day, role, service_id, room_id = r
        return (date.fromisoformat(day), Role(role), str(service_id), str(room_id))

    try:
        first, last = date.fromisoformat(data["first"]), date.fromisoformat(data["last"])
    except (KeyError, TypeError, ValueError) as error:
        raise Refused(_bad("first/last", 0, error)) from None
    people = {p.id: p for p in rows("people", lambda r: Person(**r))}
    return Rota(
        first,
        last,
        tuple(rows("days", date.fromisoformat)),
        frozenset(rows("sessions", session)),
        tuple(rows("duties", duty)),
        people,
    )


def _bad(part: str, row: int, error: Exception) -> Problem:
    fault = f"missing {error.args[0]!r}" if isinstance(error, KeyError) else str(error)
    return Problem("rota.dataset.bad", {"part": part, "row": row, "fault": fault})
