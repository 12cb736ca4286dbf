"""Provides the fees' rows in the server's store: fee rules, hardship waivers and payments received.

Append-only, like the rota: a changed rule is a new row (who, when), and the latest row for a service
and period holds; a waiver is withdrawn by a later row that revokes it, never by deleting it; a
payment is a row with its receipt number (unique: the same receipt twice is refused). So every
figure on a statement can be traced to the rows behind it. Amounts are ints of fen.
Functions take the store's `Database` and run on its owner thread; each write is one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from edge.core.codec import school_from_datasets
from edge.core.model import Calendar
from sync import datasets
from sync.db import Database, IntegrityError
from sync.office.fees import Basis, Category, FeeRule, Waiver


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: int
    rule: FeeRule
    first: date  # the period it prices: a term, or a summer period
    last: date
    calendar_version: int
    actor: str
    at: str


@dataclass(frozen=True, slots=True)
class WaiverRow:
    id: int
    waiver: Waiver
    reason: str
    actor: str
    at: str


@dataclass(frozen=True, slots=True)
class PaymentRow:
    id: int
    student_id: str
    fen: int
    paid_on: date
    receipt: str
    first: date  # the period it pays for
    last: date
    actor: str
    at: str


class DuplicateReceipt(ValueError):
    """A payment with a receipt number already recorded."""


class NoWaiver(LookupError):
    """A revocation of a waiver that is not in force."""


def calendar_version(db: Database) -> int:
    held = datasets.latest(db).get("calendar")
    return held.version if held else 0


def calendar_at(db: Database, version: int) -> Calendar | None:
    """The calendar as it was at `version` (None when there was none)."""
    if version <= 0:
        return None
    try:
        body = datasets.body(db, "calendar", version)
    except KeyError:
        return None
    return school_from_datasets({"calendar": json.loads(body)}).calendar


def add_rule(db: Database, rule: FeeRule, first: date, last: date, actor: str, now: datetime) -> int:
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO office_fee_rules (service_id, basis, fen, lunch_fen, period_first, period_last, "
            "calendar_version, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [rule.service_id, str(rule.basis), rule.fen, rule.lunch_fen, first.isoformat(), last.isoformat(),
             calendar_version(db), actor, now.isoformat()],
        )  # fmt: skip
        return int(cursor.fetchall()[0][0])


def rule_history(db: Database) -> list[RuleRow]:
    rows = db.execute(
        "SELECT id, service_id, basis, fen, lunch_fen, period_first, period_last, calendar_version, actor, at "
        "FROM office_fee_rules ORDER BY id"
    )
    return [
        RuleRow(id_, FeeRule(service, Basis(basis), int(fen), int(lunch)), date.fromisoformat(first),
                date.fromisoformat(last), int(version), actor, at)
        for id_, service, basis, fen, lunch, first, last, version, actor, at in rows
    ]  # fmt: skip


def latest_rules(history: Iterable[RuleRow]) -> list[RuleRow]:
    """The rule that holds for each (service, period): its latest row; by service, then period."""
    held: dict[tuple[str, date, date], RuleRow] = {}
    for row in history:
        held[(row.rule.service_id, row.first, row.last)] = row  # rows come oldest first
    return [held[key] for key in sorted(held)]


def in_force(latest: Iterable[RuleRow], first: date, last: date) -> dict[str, RuleRow]:
    """Per service, the rule whose period overlaps `first`..`last`; of several, the one set last."""
    found: dict[str, RuleRow] = {}
    for row in latest:
        if row.first <= last and first <= row.last:
            held = found.get(row.rule.service_id)
            if held is None or row.id > held.id:
                found[row.rule.service_id] = row
    return found


def add_waiver(db: Database, waiver: Waiver, reason: str, actor: str, now: datetime) -> int:
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO office_fee_waivers (student_id, service_id, category, percent, approved_by, reason, "
            "revokes, actor, at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
            [waiver.student_id, waiver.service_id, str(waiver.category), waiver.percent, waiver.approved_by,
             reason, actor, now.isoformat()],
        )  # fmt: skip
        return int(cursor.fetchall()[0][0])


def revoke_waiver(db: Database, waiver_id: int, reason: str, actor: str, now: datetime) -> WaiverRow:
    """A later row that withdraws waiver `waiver_id`; the waiver's own row stays as it was."""
    with db.atomic():
        found = next((w for w in waivers(db) if w.id == waiver_id), None)
        if found is None:
            raise NoWaiver(f"no waiver {waiver_id} in force")
        w = found.waiver
        db.execute(
            "INSERT INTO office_fee_waivers (student_id, service_id, category, percent, approved_by, reason, "
            "revokes, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [w.student_id, w.service_id, str(w.category), w.percent, w.approved_by, reason, waiver_id, actor,
             now.isoformat()],
        )  # fmt: skip
    return found


def waivers(db: Database) -> list[WaiverRow]:
    """The waivers in force (not revoked), oldest first."""
    rows = db.execute(
        "SELECT id, student_id, service_id, category, percent, approved_by, reason, revokes, actor, at "
        "FROM office_fee_waivers ORDER BY id"
    ).fetchall()
    revoked = {int(r[7]) for r in rows if r[7]}
    return [
        WaiverRow(id_, Waiver(student, Category(category), approved_by, int(percent), service), reason, actor, at)
        for id_, student, service, category, percent, approved_by, reason, revokes, actor, at in rows
        if not revokes and id_ not in revoked
    ]  # fmt: skip


def add_payment(
    db: Database, student_id: str, fen: int, paid_on: date, receipt: str, period: tuple[date, date],
    actor: str, now: datetime,
) -> int:  # fmt: skip
    try:
        with db.atomic():
            return _insert_payment(db, student_id, fen, paid_on, receipt, period, actor, now)
    except IntegrityError:  # UNIQUE (receipt): recorded meanwhile, in another tab
        raise DuplicateReceipt(receipt) from None


def _insert_payment(
    db: Database, student_id: str, fen: int, paid_on: date, receipt: str, period: tuple[date, date],
    actor: str, now: datetime,
) -> int:  # fmt: skip
    if db.execute("SELECT 1 FROM office_fee_payments WHERE receipt = ?", [receipt]).fetchone():
        raise DuplicateReceipt(receipt)
    cursor = db.execute(
        "INSERT INTO office_fee_payments (student_id, fen, paid_on, receipt, period_first, period_last, "
        "actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [student_id, fen, paid_on.isoformat(), receipt, period[0].isoformat(), period[1].isoformat(), actor,
         now.isoformat()],
    )  # fmt: skip
    return int(cursor.fetchall()[0][0])


def payments(db: Database, first: date, last: date, student_id: str = "") -> list[PaymentRow]:
    """The payments for periods within `first`..`last` (of one child when given), oldest first."""
    sql = ("SELECT id, student_id, fen, paid_on, receipt, period_first, period_last, actor, at "
           "FROM office_fee_payments WHERE period_first >= ? AND period_last <= ?")  # fmt: skip
    params: list[object] = [first.isoformat(), last.isoformat()]
    if student_id:
        sql += " AND student_id = ?"
        params.append(student_id)
    return [
        PaymentRow(id_, student, int(fen), date.fromisoformat(on), receipt, date.fromisoformat(a),
                   date.fromisoformat(b), actor, at)
        for id_, student, fen, on, receipt, a, b, actor, at in db.execute(sql + " ORDER BY id", params)
    ]  # fmt: skip


def paid_by(found: Iterable[PaymentRow]) -> Mapping[str, int]:
    totals: dict[str, int] = {}
    for p in found:
        totals[p.student_id] = totals.get(p.student_id, 0) + p.fen
    return totals
