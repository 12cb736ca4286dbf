"""Provides the activity records' and care notes' rows in the server's store, and the activity groups.

Functions take the store's `Database` and run on its owner thread; each write is one transaction.
The rules live in `sync.office.activities` (pure); this module only reads and writes rows.

A group (`activities.Group`) is one service in one room, its id "<service>.<room>" — the key of
the zero reports its archive gathers. Its name and teacher come from the service's last confirmed
class formation (编班); a service the office has not formed on these pages has a group for each
room with enrolments, named "<service> · <room>", with no teacher until one is formed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime

from edge.core.model import School
from sync.db import Database, IntegrityError
from sync.office.activities import ActivityRecord, CareNote, Group, IsoWeek


class Duplicate(Exception):
    """The group's week was filed meanwhile (the table's unique key said so)."""


def group_id(service_id: str, room_id: str) -> str:
    return f"{service_id}.{room_id}"


def formed(db: Database) -> dict[str, list[dict[str, object]]]:
    """Each service's groups as its last confirmed formation left them."""
    found: dict[str, list[dict[str, object]]] = {}
    for service_id, groups in db.execute("SELECT service_id, groups FROM office_formations ORDER BY id"):
        found[service_id] = list(json.loads(groups))
    return found


def groups(school: School, formations: dict[str, list[dict[str, object]]]) -> list[Group]:
    """Every activity group of the school, by service (the school's order) and room."""
    found: dict[str, Group] = {}
    staff = school.staff
    for service_id, rows in formations.items():
        for row in rows:
            room, teacher = str(row.get("room_id", "")), str(row.get("teacher_id", ""))
            key = group_id(service_id, room)
            if room and key not in found:
                name = staff[teacher].name if teacher in staff else ""
                found[key] = Group(key, str(row.get("name", key)), service_id, room, teacher, name)
    for enrolment in school.enrolments:
        service_id, room = enrolment.service_id, enrolment.room_id
        key = group_id(service_id, room)
        if service_id in formations or key in found:
            continue
        service = school.services[service_id].name if service_id in school.services else service_id
        place = school.rooms[room].name if room in school.rooms else room
        found[key] = Group(key, f"{service} · {place}", service_id, room)
    order = {s: n for n, s in enumerate(school.services)}
    return sorted(found.values(), key=lambda g: (order.get(g.service_id, len(order)), g.room_id))


_RECORD = "group_id, week, teacher_id, teacher, categories, text, written_on"


def _record(row: tuple[str, ...]) -> ActivityRecord:
    group, week, teacher_id, teacher, categories, text, written_on = row
    year, number = week.split("-W")
    return ActivityRecord(group, IsoWeek(int(year), int(number)), teacher_id, teacher,
                          tuple(json.loads(categories)), text, date.fromisoformat(written_on))  # fmt: skip


def records(db: Database, group_ids: Iterable[str] | None = None) -> list[ActivityRecord]:
    """The records (of these groups, when given), by group and week."""
    rows = db.execute(f"SELECT {_RECORD} FROM office_activity_records ORDER BY group_id, week")  # noqa: S608 (a constant)
    wanted = set(group_ids) if group_ids is not None else None
    return [_record(r) for r in rows if wanted is None or r[0] in wanted]


def add_record(db: Database, record: ActivityRecord, actor: str, now: datetime) -> None:
    try:
        with db.atomic():
            db.execute(
                f"INSERT INTO office_activity_records ({_RECORD}, recorded_by, recorded_at) "  # noqa: S608 (a constant)
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [record.group_id, str(record.week), record.teacher_id, record.teacher,
                 json.dumps(list(record.categories)), record.text, record.written_on.isoformat(), actor,
                 now.isoformat()],
            )  # fmt: skip
    except IntegrityError:
        raise Duplicate(f"{record.group_id} {record.week}") from None


_NOTE = "day, service_id, room_id, author_id, author, written_at, text"


def _note(row: tuple[str, ...]) -> CareNote:
    day, service, room, author_id, author, written_at, text = row
    return CareNote(
        date.fromisoformat(day), service, room, author_id, author, datetime.fromisoformat(written_at), text
    )


def care_notes(db: Database, first: date, last: date, room_id: str = "") -> list[CareNote]:
    """The notes from `first` to `last` (in one room, when given), in the order written."""
    sql = f"SELECT {_NOTE} FROM office_care_notes WHERE day BETWEEN ? AND ?"  # noqa: S608 (a constant)
    params = [first.isoformat(), last.isoformat()]
    if room_id:
        sql, params = sql + " AND room_id = ?", [*params, room_id]
    return [_note(r) for r in db.execute(sql + " ORDER BY id", params)]


def add_care_note(db: Database, note: CareNote, actor: str) -> int:
    with db.atomic():
        cursor = db.execute(
            f"INSERT INTO office_care_notes ({_NOTE}, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",  # noqa: S608 (a constant)
            [note.day.isoformat(), note.service_id, note.room_id, note.author_id, note.author,
             note.written_at.isoformat(), note.text, actor],
        )  # fmt: skip
        return int(cursor.fetchall()[0][0])


def care_by_session(db: Database, day: date) -> dict[tuple[str, str], list[CareNote]]:
    """The day's notes keyed by (service, room), in the order written: the day page shows them under each report."""
    found: dict[tuple[str, str], list[CareNote]] = {}
    for note in care_notes(db, day, day):
        found.setdefault((note.service_id, note.room_id), []).append(note)
    return found
