"""Provides the office's staff attendance corrections and pay rates in the server's store (migration m005_staff_pay).

Append-only, like the rota: a correction is an event (who, which post, which day, the new status,
who covered, why, by whom, when), and the latest for a person's post wins when the marks are made
(`sync.office.attendance` applies them in order); a tap or a sign-off is never edited. A rate is a
row each time it is set (fen a session, who set it, when); the latest per (pay role, service) holds.
Functions take the store's `Database` and run on its owner thread; each write is one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sync.db import Database
from sync.office.attendance import Correction, Status
from sync.office.pay import Rates
from sync.office.rota import Role


@dataclass(frozen=True, slots=True)
class CorrectionRow:
    """A stored correction: the core's `Correction` (its actor the corrector's name, as marks show it),
    her account (role:username) and when."""

    id: int
    correction: Correction
    account: str
    at: str


@dataclass(frozen=True, slots=True)
class RateRow:
    id: int
    role: str
    service_id: str
    fen: int
    account: str
    name: str
    at: str


_CORRECTION = "person_id, day, role, service_id, room_id, status, covered_by, minutes_late, reason, actor, actor_name, at"


def add_correction(db: Database, correction: Correction, account: str, now: datetime) -> None:
    """One correction, its `actor` the corrector's name and `account` her role:username."""
    c = correction
    db.execute(
        f"INSERT INTO office_attendance_corrections ({_CORRECTION}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 (a constant)
        [c.person_id, c.day.isoformat(), c.role.value, c.service_id, c.room_id, c.status.value, c.covered_by,
         c.minutes_late, c.reason, account, c.actor, now.isoformat()],
    )  # fmt: skip


def corrections(db: Database, first: date, last: date) -> list[CorrectionRow]:
    """The corrections of marks from `first` to `last`, in the order made (the core applies them so)."""
    rows = db.execute(
        f"SELECT id, {_CORRECTION} FROM office_attendance_corrections WHERE day BETWEEN ? AND ? ORDER BY id",  # noqa: S608 (a constant)
        [first.isoformat(), last.isoformat()],
    )
    found = []
    for row_id, person, day, role, service, room, status, covered_by, late, reason, account, name, at in rows:
        correction = Correction(person, date.fromisoformat(day), Role(role), Status(status), name, reason,
                                service, room, covered_by, int(late))  # fmt: skip
        found.append(CorrectionRow(int(row_id), correction, account, at))
    return found


def set_rate(
    db: Database, role: str, service_id: str, fen: int, account: str, name: str, now: datetime
) -> None:
    db.execute(
        "INSERT INTO office_pay_rates (role, service_id, fen, actor, actor_name, at) VALUES (?, ?, ?, ?, ?, ?)",
        [role, service_id, fen, account, name, now.isoformat()],
    )


def rate_rows(db: Database) -> list[RateRow]:
    """Every rate as set, oldest first: the history behind the table."""
    rows = db.execute(
        "SELECT id, role, service_id, fen, actor, actor_name, at FROM office_pay_rates ORDER BY id"
    )
    return [RateRow(int(i), role, service, int(fen), account, name, at)
            for i, role, service, fen, account, name, at in rows]  # fmt: skip


def latest_rates(rows: list[RateRow]) -> dict[tuple[str, str], RateRow]:
    """The row that holds for each (pay role, service): the last one set."""
    return {(r.role, r.service_id): r for r in rows}


def rates(db: Database) -> Rates:
    """The rates that hold now, (pay role, service) -> fen a session."""
    return {key: row.fen for key, row in latest_rates(rate_rows(db)).items()}
