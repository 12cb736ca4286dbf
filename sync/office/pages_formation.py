"""Provides the class formation page: groups proposed from the school-approved applications of a service
(`sync.office.formation.propose_groups`), adjusted by the office (room, teacher, a child moved), and confirmed.

Confirming is the arrangement step (统筹安排) of every placed application and a new version of the
enrolments dataset, in one transaction: each placed child's rows for that service are replaced by
her group's room from the first to the last day given (for summer day care, one row per period she
chose); a withdrawn child's rows for it are dropped; every other enrolment stays as it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from aiohttp import web

from edge.core.codec import to_plain
from edge.core.model import Enrolment, School
from sync.api.keys import SCHOOL
from sync.office import applications as rules
from sync.office import formation, records
from sync.office.lookups import roster
from sync.office.periods import periods
from sync.office.publish import publish, rows_of
from sync.office.web import Refused, audit, field, need, render, see_other, text
from sync.store import ServerStore

DEFAULT_ROOM = 40  # places in a room whose capacity the office has not given (plan 2: about 40 a group)


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    room_id: str
    teacher_id: str
    students: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Placing:
    """An application to place: the few columns the proposal needs (not the whole row: 5,000 of them)."""

    id: int
    student_id: str
    class_name: str
    state: str


def _placing(store: ServerStore, service_id: str) -> list[Placing]:
    return [
        Placing(*row)
        for row in store.db.execute(
            "SELECT id, student_id, class_name, state FROM office_applications "
            "WHERE service_id = ? AND state IN (?, ?) ORDER BY id",
            [service_id, rules.SCHOOL_REVIEWED, rules.ARRANGED],
        )
    ]


def _propose(
    people: School, service_id: str, placing: list[Placing], capacity: dict[str, int]
) -> tuple[list[Group], list[formation.Note]]:
    """The formation module's proposal (sync.office.formation, the seed's rule), in the page's terms."""
    applicants = [
        formation.Applicant(p.student_id, people.students[p.student_id].name, people.students[p.student_id].grade,
                            p.class_name, p.class_name, service_id)
        for p in placing
        if p.student_id in people.students
    ]  # fmt: skip
    rooms = [formation.Room(room_id, room.name, capacity.get(room_id, DEFAULT_ROOM))
             for room_id, room in sorted(people.rooms.items())]  # fmt: skip
    teachers = [formation.Teacher(s.id, s.name) for s in sorted(people.staff.values(), key=lambda s: s.id)
                if s.role.value == "duty_teacher"]  # fmt: skip
    proposal = formation.propose_groups(applicants, rooms, teachers)
    groups = [Group(g.name, g.room_id or "", g.teacher_id or "", tuple(g.students)) for g in proposal.groups]
    return groups, [*proposal.notes, *(u.reason for u in proposal.unplaced)]


def _fingerprint(placing: list[Placing]) -> str:
    return hashlib.sha256(json.dumps([(p.id, p.state) for p in placing]).encode()).hexdigest()[:16]


class Proposals:
    """The last proposal of each service, kept while its applications, the rooms and the roster are the
    same: the office looks at it, changes a room, looks again; only a change proposes anew."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[tuple[object, ...], tuple[list[Group], list[formation.Note]]]] = {}

    def get(self, people: School, service_id: str, placing: list[Placing], capacity: dict[str, int]
            ) -> tuple[list[Group], list[formation.Note]]:  # fmt: skip
        key = (id(people), _fingerprint(placing), tuple(sorted(capacity.items())))
        held = self._held.get(service_id)
        if held is None or held[0] != key:
            held = (key, _propose(people, service_id, placing, capacity) if placing else ([], []))
            self._held[service_id] = held
        return held[1]


PROPOSALS = web.AppKey("office_proposals", Proposals)


async def _state(
    request: web.Request, service_id: str
) -> tuple[School, list[Placing], list[Group], list[formation.Note]]:
    school = request.app[SCHOOL]
    people = await roster(request)
    if service_id not in people.services:
        raise Refused(404, "office.formation.no_service")
    placing, capacity = await school.writer.run(
        lambda store: (_placing(store, service_id), records.room_capacity(store.db))
    )
    groups, notes = request.app[PROPOSALS].get(people, service_id, placing, capacity)
    return people, placing, groups, notes


async def formation_page(request: web.Request) -> web.Response:
    need(request, "formation")
    people = await roster(request)
    service_id = request.query.get("service", next(iter(people.services), ""))
    people, rows, groups, notes = await _state(request, service_id)
    await audit(request, {"formation": service_id, "students": [p.student_id for p in rows]})
    today = request.app[SCHOOL].clock.now().date()
    return render(request, "formation.html", {
        "service_id": service_id, "people": people, "rows": rows, "groups": groups,
        "fingerprint": _fingerprint(rows),
        "notes": [text(request, note.code, **dict(note.params)) for note in notes], "today": today, "message": request.query.get("message", "")[:200],
        "teachers": sorted((s for s in people.staff.values() if s.role.value == "duty_teacher"), key=lambda s: s.id),
        "last_day": date(today.year + (today.month >= 9), 7, 5),
        "classes": [sorted({people.students[s].class_name for s in g.students if s in people.students})
                    for g in groups],
    })  # fmt: skip


def _moved(groups: list[Group], moves: str) -> list[Group]:
    """Apply the office's moves, one a line: `<student id> <group number>`."""
    members = [list(g.students) for g in groups]
    for number, line in enumerate(moves.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(groups):
            raise Refused(422, "office.formation.bad_move", line=number)
        student, target = parts[0], int(parts[1]) - 1
        source = next((i for i, m in enumerate(members) if student in m), None)
        if source is None:
            raise Refused(422, "office.formation.not_placed", line=number)
        members[source].remove(student)
        members[target].append(student)
    return [Group(g.name, g.room_id, g.teacher_id, tuple(m)) for g, m in zip(groups, members, strict=True)]


async def confirm(request: web.Request) -> web.StreamResponse:
    user = need(request, "formation")
    school = request.app[SCHOOL]
    service_id = field(request, "service", 40)
    people, rows, groups, _ = await _state(request, service_id)
    if not rows:
        raise Refused(409, "office.formation.nothing")
    if field(request, "fingerprint", 40) != _fingerprint(rows):
        raise Refused(409, "office.formation.changed")
    try:
        first, last = (
            date.fromisoformat(field(request, "from", 10)),
            date.fromisoformat(field(request, "to", 10)),
        )
    except ValueError:
        raise Refused(422, "office.formation.bad_dates") from None
    if last < first:
        raise Refused(422, "office.formation.bad_dates")
    chosen = []
    for number, group in enumerate(groups, start=1):
        room = field(request, f"room.{number}", 40) or group.room_id
        teacher = field(request, f"teacher.{number}", 40) or group.teacher_id
        if room not in people.rooms:
            raise Refused(422, "office.formation.no_room", group=number)
        chosen.append(Group(group.name, room, teacher, group.students))
    chosen = _moved(chosen, field(request, "moves", 20_000))
    capacity = await school.writer.run(lambda store: records.room_capacity(store.db))
    over = field(request, "over_capacity", 3) == "yes"
    for number, group in enumerate(chosen, start=1):
        if len(group.students) > capacity.get(group.room_id, DEFAULT_ROOM) and not over:
            raise Refused(422, "office.formation.over", group=number)
    service = people.services[service_id]
    spans = periods(service, first.year)
    full = await school.writer.run(lambda store: [
        row for state in (rules.SCHOOL_REVIEWED, rules.ARRANGED)
        for row in records.applications(store.db, "", state, service_id, 1_000_000)[0]
    ])  # fmt: skip
    by_student = {r.application.student_id: r for r in full}
    now = school.clock.now()
    actor = f"{user.role}:{user.username}"

    def build(store: ServerStore) -> dict[str, Any]:
        placed = {s for g in chosen for s in g.students}
        withdrawn = {r.application.student_id for r in records.applications(store.db, "", rules.WITHDRAWN,
                                                                             service_id, 1_000_000)[0]}  # fmt: skip
        keep = [e for e in rows_of(store, "enrolments")
                if e["service_id"] != service_id or (e["student_id"] not in placed and e["student_id"] not in withdrawn)]  # fmt: skip
        new = []
        for group in chosen:
            for student in group.students:
                row = by_student[student]
                wanted = [spans[p - 1] for p in row.application.periods if p <= len(spans)] or [(first, last)]
                new += [to_plain(Enrolment(student, service_id, group.room_id, a, b)) for a, b in wanted]
                after = rules.step(row.application, rules.ARRANGE, user.role, rules.Terms(), 0) \
                    if row.application.state == rules.SCHOOL_REVIEWED else row.application  # fmt: skip
                if after is row.application:
                    store.db.execute("UPDATE office_applications SET group_name = ?, room_id = ? WHERE id = ?",
                                     [group.name, group.room_id, row.application.id])  # fmt: skip
                else:
                    records.save_step(store.db, row.application, after, rules.ARRANGE, actor, now,
                                      group.name, group.room_id)  # fmt: skip
        return {"enrolments": keep + new}

    made = await publish(request, build, f"office formation {service_id} {actor}")
    version = made.get("enrolments", 0)
    await school.writer.run(lambda store: store.db.execute(
        "INSERT INTO office_formations (service_id, groups, confirmed_by, confirmed_at, enrolments_version) "
        "VALUES (?, ?, ?, ?, ?)",
        [service_id, json.dumps([to_plain(g) for g in chosen], ensure_ascii=False), actor, now.isoformat(), version],
    ))  # fmt: skip
    await audit(request, {"formation_confirmed": service_id, "groups": len(chosen), "enrolments_version": version,
                          "students": sorted(by_student)})  # fmt: skip
    message = text(request, "office.formation.confirmed", version=version, groups=len(chosen))
    raise see_other(f"/formation?service={service_id}&message={quote(message)}")


ROUTES = (
    ("GET", "/formation", formation_page),
    ("POST", "/formation/confirm", confirm),
)
