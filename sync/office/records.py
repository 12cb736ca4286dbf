"""Provides the office's rows in the server's store: applications and their steps, services' terms, rooms, leave.

Functions take the store's `Database` and run on its owner thread; each write is one transaction.
The rules live in `sync.office.applications` (pure); this module only reads and writes rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sync.db import Database
from sync.office.applications import HOLDS_PLACE, Application, Consent, Terms

_COLUMNS = (
    "id, student_id, class_name, service_id, periods, consent_by, consent_relation, consent_on, state, "
    "returned_from, reason, group_name, room_id, recorded_by, recorded_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class Row:
    """An application as stored, with where the arrangement put her."""

    application: Application
    group_name: str
    room_id: str
    recorded_by: str
    recorded_at: str
    updated_at: str


def _row(values: tuple[Any, ...]) -> Row:
    (id_, student, class_name, service, periods, by, relation, on, state, returned_from, reason, group,
     room, recorded_by, recorded_at, updated_at) = values  # fmt: skip
    application = Application(student, class_name, service, Consent(by, relation, date.fromisoformat(on)),
                              tuple(json.loads(periods)), state, returned_from, reason, id_)  # fmt: skip
    return Row(application, group, room, recorded_by, recorded_at, updated_at)


def applications(
    db: Database,
    class_name: str = "",
    state: str = "",
    service_id: str = "",
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[Row], int]:
    """Applications (of a class, in a state, for a service when given), newest first, and how many match."""
    where, params = [], []
    for column, value in (("class_name", class_name), ("state", state), ("service_id", service_id)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = db.execute(f"SELECT COUNT(*) FROM office_applications{clause}", params).fetchone()[0]  # noqa: S608 (column names are constants)
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM office_applications{clause} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
        [*params, limit, offset],
    )
    return [_row(r) for r in rows], int(total)


def application(db: Database, application_id: int) -> Row | None:
    sql = f"SELECT {_COLUMNS} FROM office_applications WHERE id = ?"  # noqa: S608 (constants)
    found = db.execute(sql, [application_id]).fetchone()
    return _row(found) if found else None


def steps(db: Database, application_id: int) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT at, actor, action, from_state, to_state, reason FROM office_steps WHERE application_id = ? ORDER BY id",
        [application_id],
    )
    names = ("at", "actor", "action", "from_state", "to_state", "reason")
    return [dict(zip(names, r, strict=True)) for r in cursor]


def active_for(db: Database, student_id: str, service_id: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM office_applications WHERE student_id = ? AND service_id = ? AND state != 'withdrawn'",
            [student_id, service_id],
        ).fetchone()
        is not None
    )


def taken(db: Database, service_id: str) -> int:
    marks = ", ".join("?" for _ in HOLDS_PLACE)
    return int(
        db.execute(
            f"SELECT COUNT(*) FROM office_applications WHERE service_id = ? AND state IN ({marks})",  # noqa: S608
            [service_id, *sorted(HOLDS_PLACE)],
        ).fetchone()[0]
    )


def insert(db: Database, app: Application, actor: str, now: datetime) -> int:
    stamp = now.isoformat()
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO office_applications (student_id, class_name, service_id, periods, consent_by, "
            "consent_relation, consent_on, state, recorded_by, recorded_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [app.student_id, app.class_name, app.service_id, json.dumps(list(app.periods)), app.consent.signed_by,
             app.consent.relation, app.consent.signed_on.isoformat(), app.state, actor, stamp, stamp],
        )  # fmt: skip
        new_id = int(cursor.fetchall()[0][0])
        _step(db, new_id, stamp, actor, "record", "", app.state, "")
    return new_id


def save_step(
    db: Database, before: Application, after: Application, action: str, actor: str, now: datetime,
    group_name: str = "", room_id: str = "",
) -> None:  # fmt: skip
    """Store the application's new state and the step that made it, unless another step came first."""
    stamp = now.isoformat()
    with db.atomic():
        changed = db.execute(
            "UPDATE office_applications SET state = ?, returned_from = ?, reason = ?, group_name = ?, room_id = ?, "
            "updated_at = ? WHERE id = ? AND state = ?",
            [
                after.state,
                after.returned_from,
                after.reason,
                group_name,
                room_id,
                stamp,
                before.id,
                before.state,
            ],
        ).rowcount
        if not changed:
            raise StepRaced(f"application {before.id} changed meanwhile")
        _step(db, before.id, stamp, actor, action, before.state, after.state, after.reason)


class StepRaced(Exception):
    """Two people took a step on the same application at once; the second is refused."""


def _step(
    db: Database, app_id: int, stamp: str, actor: str, action: str, was: str, now: str, reason: str
) -> None:
    db.execute(
        "INSERT INTO office_steps (application_id, at, actor, action, from_state, to_state, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [app_id, stamp, actor, action, was, now, reason],
    )


def counts(db: Database, class_name: str = "") -> dict[str, int]:
    sql = "SELECT state, COUNT(*) FROM office_applications"
    rows = (
        db.execute(sql + " WHERE class_name = ? GROUP BY state", [class_name])
        if class_name
        else db.execute(sql + " GROUP BY state")
    )
    return {state: int(n) for state, n in rows}


# -- services' terms and rooms' capacity -------------------------------------------------------------


def terms(db: Database) -> dict[str, Terms]:
    return {
        service: Terms(date.fromisoformat(deadline) if deadline else None, int(capacity))
        for service, deadline, capacity in db.execute(
            "SELECT service_id, deadline, capacity FROM office_services"
        )
    }


def set_terms(db: Database, service_id: str, found: Terms) -> None:
    with db.atomic():
        db.execute(
            "INSERT INTO office_services (service_id, deadline, capacity) VALUES (?, ?, ?) "
            "ON CONFLICT (service_id) DO UPDATE SET deadline = excluded.deadline, capacity = excluded.capacity",
            [service_id, found.deadline.isoformat() if found.deadline else "", found.capacity],
        )


def room_capacity(db: Database) -> dict[str, int]:
    return {room: int(n) for room, n in db.execute("SELECT room_id, capacity FROM office_rooms")}


def set_room_capacity(db: Database, pairs: Iterable[tuple[str, int]]) -> None:
    with db.atomic():
        for room, capacity in pairs:
            db.execute(
                "INSERT INTO office_rooms (room_id, capacity) VALUES (?, ?) "
                "ON CONFLICT (room_id) DO UPDATE SET capacity = excluded.capacity",
                [room, capacity],
            )
