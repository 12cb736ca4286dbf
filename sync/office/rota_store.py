"""Provides the duty rota's rows in the server's store, and the `rota` dataset the devices are pushed.

Append-only: each build, swap and cover stores the whole rota again as a new row (who did it, when,
what), so the rota's history is its rows and the latest row is the rota. The rota is kept as
`sync.office.rota.to_dataset`'s JSON; the devices get it as rows, one a duty, each with the holder's
name (`edge.core.duty.Duty`), since a device's datasets are tables and it names people without the office.
Functions take the store's `Database` and run on its owner thread, inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.db import Database
from sync.office.rota import DayPattern, Person, Rota, from_dataset, to_dataset

Week = Mapping[int, DayPattern]


@dataclass(frozen=True, slots=True)
class Held:
    """The latest rota as stored, with the week it was built from and the outside coaches it names."""

    rota: Rota
    week: Week
    coaches: tuple[Person, ...]
    action: str
    actor: str
    at: str
    detail: Mapping[str, Any] = field(default_factory=dict)


def latest(db: Database) -> Held | None:
    row = db.execute(
        "SELECT rota, week, coaches, action, actor, at, detail FROM office_rota ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    rota, week, coaches, action, actor, at, detail = row
    return Held(from_dataset(json.loads(rota)), week_from_json(json.loads(week)),
                tuple(Person(**p) for p in json.loads(coaches)), action, actor, at, json.loads(detail))  # fmt: skip


def save(db: Database, held: Held, action: str, actor: str, now: datetime, detail: Mapping[str, Any]) -> None:
    db.execute(
        "INSERT INTO office_rota (action, week, coaches, rota, detail, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [action, json.dumps(week_to_json(held.week), ensure_ascii=False),
         json.dumps([{"id": p.id, "name": p.name, "external": p.external} for p in held.coaches], ensure_ascii=False),
         json.dumps(to_dataset(held.rota), ensure_ascii=False), json.dumps(dict(detail), ensure_ascii=False),
         actor, now.isoformat()],
    )  # fmt: skip


def device_rows(rota: Rota) -> list[dict[str, Any]]:
    """The `rota` dataset: one row a duty, in a stable order (the same rota hashes the same)."""

    def row(day: str, role: str, person: str, service: str, room: str, covers: str) -> dict[str, Any]:
        held = rota.people.get(person)
        return {"day": day, "role": role, "staff_id": person, "name": rota.name(person), "service_id": service,
                "room_id": room, "covers": covers, "covers_name": rota.name(covers) if covers else "",
                "external": bool(held and held.external)}  # fmt: skip

    duties = sorted(rota.duties, key=lambda d: (d.day, d.role.value, d.service_id, d.room_id, d.person_id))
    return [
        row(d.day.isoformat(), d.role.value, d.person_id, d.service_id, d.room_id, d.covers) for d in duties
    ]


def week_to_json(week: Week) -> dict[str, Any]:
    return {
        str(day): {
            "leaders": list(p.leaders),
            "guards": list(p.guards),
            "teachers": [[s, r, who] for (s, r), who in sorted(p.teachers.items())],
            "clubs": [[s, r, who] for (s, r), who in sorted(p.clubs.items())],
        }
        for day, p in sorted(week.items())
    }


def week_from_json(data: Mapping[str, Any]) -> dict[int, DayPattern]:
    return {
        int(day): DayPattern(
            tuple(p["leaders"]),
            tuple(p["guards"]),
            {(s, r): who for s, r, who in p["teachers"]},
            {(s, r): who for s, r, who in p["clubs"]},
        )
        for day, p in data.items()
    }
