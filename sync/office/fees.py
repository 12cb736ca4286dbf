"""Provides fees (plans 1 and 2): a rule per service, the plans' caps, hardship waivers, refunds (多退少补), statements.

Pure: the office's rules, enrolments, approved leave, cancelled days and who came in; a statement
per child and a school summary out. Money is in fen (int), never a float; text is catalogue keys.

The caps: plan 1, at most 300 yuan a student a semester; plan 2, at most 24 yuan a day for summer
day care, lunch not included. Decisions where the plans are silent:
- The semester cap is a student's: the per-semester rules of all term services together may not
  pass it (a child may take every one), and neither may any one of them. The day cap holds for
  every per-day rule's fee; its lunch (`lunch_fen`, at cost) is outside the cap.
- A per-semester fee is charged whole for a child enrolled on any of the service's days in the
  period (one term), then refunded pro rata by the service's days there: days not enrolled, days
  cancelled, days on approved leave, in that order, each line the difference of the cumulative
  refund `fee × days so far / days` rounded half-even, so the lines add up and a whole term off
  refunds the whole fee. A per-day fee (and its lunch) is charged per enrolled day the service
  runs and refunded per day cancelled or on approved leave.
- A day on leave on which the child came all the same (attendance says present) is not refunded;
  a day absent without leave is not refunded either.
- A waiver (减免) names the hardship category and who approved it, and is full (100 %) or partial
  (a whole percent); it applies, service by service, to what is left after refunds (lunch
  included: plan 2's "free for families in hardship" makes no exception), rounded half-even. With
  several for one service, the largest percent holds.
- Balance = charged − refunded − waived − paid: above zero the family owes it (少补), below zero the
  school pays it back (多退).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from edge.core.model import Calendar, Enrolment, Leave, Service
from edge.core.timetable import service_hours
from sync.office.money import div_half_even, yuan
from sync.office.problems import Problem, Refused

CAP_SEMESTER_FEN = 300_00  # plan 1: 每生每学期不超过 300 元
CAP_DAY_FEN = 24_00  # plan 2: 暑期托管每生每天不超过 24 元, 午餐除外


class Basis(StrEnum):
    SEMESTER = "semester"
    DAY = "day"


class Category(StrEnum):
    """Hardship categories (家庭经济困难) that may be waived."""

    DIBAO = "dibao"  # 低保家庭
    TEKUN = "tekun"  # 特困供养
    ORPHAN = "orphan"  # 孤儿、事实无人抚养儿童
    DISABLED = "disabled"  # 残疾学生
    POVERTY = "poverty"  # 脱贫家庭、防返贫监测对象


class Kind(StrEnum):
    CHARGE = "charge"
    REFUND = "refund"
    WAIVER = "waiver"


@dataclass(frozen=True, slots=True)
class FeeRule:
    service_id: str
    basis: Basis
    fen: int  # a semester's or a day's fee
    lunch_fen: int = 0  # a day's lunch (per-day rules), outside the cap


@dataclass(frozen=True, slots=True)
class Waiver:
    student_id: str
    category: Category
    approved_by: str
    percent: int = 100
    service_id: str = ""  # "" waives every service


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a statement; `fen` is never negative, `kind` says which way it counts."""

    kind: Kind
    service_id: str
    code: str
    fen: int
    days: tuple[date, ...] = ()
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Statement:
    student_id: str
    first: date
    last: date
    lines: tuple[Line, ...]
    paid_fen: int = 0

    def _sum(self, kind: Kind, service_id: str | None = None) -> int:
        return sum(x.fen for x in self.lines if x.kind is kind and service_id in (None, x.service_id))

    @property
    def charged(self) -> int:
        return self._sum(Kind.CHARGE)

    @property
    def refunded(self) -> int:
        return self._sum(Kind.REFUND)

    @property
    def waived(self) -> int:
        return self._sum(Kind.WAIVER)

    @property
    def due(self) -> int:
        return self.charged - self.refunded - self.waived

    @property
    def balance(self) -> int:
        """Above zero the family owes it; below zero the school pays it back."""
        return self.due - self.paid_fen


@dataclass(frozen=True, slots=True)
class Billing:
    """Everything a period's fees are computed from."""

    first: date
    last: date
    rules: Mapping[str, FeeRule]  # service id -> rule; services without one are free
    services: Mapping[str, Service]
    calendar: Calendar
    enrolments: tuple[Enrolment, ...]
    leave: tuple[Leave, ...] = ()  # approved leave
    cancelled: frozenset[tuple[date, str]] = frozenset()  # (day, service id) the school cancelled
    present: frozenset[tuple[str, date, str]] = frozenset()  # (student, day, service) attendance says came
    waivers: tuple[Waiver, ...] = ()
    payments: Mapping[str, int] = field(default_factory=dict)  # student id -> fen paid


@dataclass(frozen=True, slots=True)
class Totals:
    charged: int = 0
    refunded: int = 0
    waived: int = 0
    paid: int = 0

    @property
    def due(self) -> int:
        return self.charged - self.refunded - self.waived

    @property
    def balance(self) -> int:
        return self.due - self.paid


@dataclass(frozen=True, slots=True)
class Summary:
    first: date
    last: date
    children: int
    totals: Totals
    by_service: Mapping[str, Totals]  # paid is the family's, so it stays 0 here
    waived_by_category: Mapping[str, tuple[int, int]]  # category -> (children, fen)


def check_rule(rule: FeeRule, services: Mapping[str, Service]) -> tuple[Problem, ...]:
    params = {"service": rule.service_id, "fee": yuan(rule.fen)}
    if rule.service_id not in services:
        return (Problem("fees.refused.service", params),)
    if rule.fen < 0 or rule.lunch_fen < 0:
        return (Problem("fees.refused.negative", params),)
    if rule.basis is Basis.SEMESTER and rule.fen > CAP_SEMESTER_FEN:
        return (Problem("fees.refused.cap_semester", {**params, "cap": yuan(CAP_SEMESTER_FEN)}),)
    if rule.basis is Basis.DAY and rule.fen > CAP_DAY_FEN:
        return (Problem("fees.refused.cap_day", {**params, "cap": yuan(CAP_DAY_FEN)}),)
    return ()


def check(billing: Billing) -> tuple[Problem, ...]:
    """Every rule over a cap or malformed, the semester fees together over the cap, every bad waiver."""
    found = [p for rule in billing.rules.values() for p in check_rule(rule, billing.services)]
    term = [
        r
        for r in billing.rules.values()
        if r.basis is Basis.SEMESTER and r.service_id in billing.services
        and billing.services[r.service_id].school_days_only
    ]  # fmt: skip
    if len(term) > 1 and sum(r.fen for r in term) > CAP_SEMESTER_FEN:
        total = yuan(sum(r.fen for r in term))
        found.append(
            Problem("fees.refused.cap_semester_total", {"total": total, "cap": yuan(CAP_SEMESTER_FEN)})
        )
    for waiver in billing.waivers:
        params = {"student": waiver.student_id, "percent": waiver.percent}
        if not 1 <= waiver.percent <= 100:
            found.append(Problem("fees.refused.waiver_percent", params))
        if str(waiver.category) not in {c.value for c in Category}:
            found.append(
                Problem("fees.refused.waiver_category", {**params, "category": str(waiver.category)})
            )
        if not waiver.approved_by.strip():
            found.append(Problem("fees.refused.waiver_approval", params))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class _Index:
    """The billing's lookups, built once: a statement per child must not scan every enrolment and leave."""

    days: Mapping[str, tuple[date, ...]]  # service id -> the days it runs in the period
    spans: Mapping[tuple[str, str], tuple[tuple[date, date], ...]]  # (student, service) -> enrolled ranges
    leave: Mapping[str, tuple[Leave, ...]]  # student id -> approved leave

    @classmethod
    def of(cls, billing: Billing) -> _Index:
        spans: dict[tuple[str, str], list[tuple[date, date]]] = defaultdict(list)
        for e in billing.enrolments:
            spans[(e.student_id, e.service_id)].append((e.valid_from, e.valid_to))
        leave: dict[str, list[Leave]] = defaultdict(list)
        for x in billing.leave:
            leave[x.student_id].append(x)
        every = [billing.first + timedelta(days=n) for n in range((billing.last - billing.first).days + 1)]
        days = {
            service_id: tuple(
                d for d in every if service_hours(billing.services[service_id], billing.calendar, d)
            )
            for service_id in billing.rules
        }
        return cls(days, {k: tuple(v) for k, v in spans.items()}, {k: tuple(v) for k, v in leave.items()})


def _service_lines(billing: Billing, index: _Index, student_id: str, rule: FeeRule) -> list[Line]:
    service_id = rule.service_id
    days = index.days[service_id]
    spans = index.spans.get((student_id, service_id), ())
    enrolled = [d for d in days if any(a <= d <= b for a, b in spans)]
    if not enrolled:
        return []
    leave = [x for x in index.leave.get(student_id, ()) if x.service_id in ("", service_id)]
    cancelled = [d for d in enrolled if (d, service_id) in billing.cancelled]
    excused = [
        d
        for d in enrolled
        if (d, service_id) not in billing.cancelled
        and (student_id, d, service_id) not in billing.present
        and any(x.valid_from <= d <= x.valid_to for x in leave)
    ]
    if rule.basis is Basis.DAY:
        lines = _per_day(rule, enrolled, cancelled, excused)
    else:
        lines = _per_semester(rule, days, enrolled, cancelled, excused)
    waiver = max(
        (w for w in billing.waivers if w.student_id == student_id and w.service_id in ("", service_id)),
        key=lambda w: w.percent,
        default=None,
    )
    net = sum(x.fen if x.kind is Kind.CHARGE else -x.fen for x in lines)
    if waiver is not None and net > 0:
        params = {
            "percent": waiver.percent,
            "approved_by": waiver.approved_by,
            "category": str(waiver.category),
        }
        code = f"fees.line.waiver.{waiver.category}"
        lines.append(
            Line(Kind.WAIVER, service_id, code, div_half_even(net * waiver.percent, 100), (), params)
        )
    return lines


def _per_day(rule: FeeRule, enrolled: list[date], cancelled: list[date], excused: list[date]) -> list[Line]:
    """Each enrolled day's fee and lunch; each day cancelled or on leave back, fee and lunch."""
    service_id, each = rule.service_id, rule.fen + rule.lunch_fen
    n = len(enrolled)
    lines = [Line(Kind.CHARGE, service_id, "fees.line.day", n * rule.fen, tuple(enrolled),
                  {"days": n, "each": yuan(rule.fen)})]  # fmt: skip
    if rule.lunch_fen:
        lines.append(Line(Kind.CHARGE, service_id, "fees.line.lunch", n * rule.lunch_fen, tuple(enrolled),
                          {"days": n, "each": yuan(rule.lunch_fen)}))  # fmt: skip
    for code, off in (("fees.line.cancelled", cancelled), ("fees.line.leave", excused)):
        if off:
            lines.append(Line(Kind.REFUND, service_id, code, len(off) * each, tuple(off),
                              {"days": len(off), "each": yuan(each)}))  # fmt: skip
    return lines


def _per_semester(
    rule: FeeRule, days: tuple[date, ...], enrolled: list[date], cancelled: list[date], excused: list[date]
) -> list[Line]:
    """The whole fee, then pro rata back by the service's days: not enrolled, cancelled, on leave."""
    lines = [Line(Kind.CHARGE, rule.service_id, "fees.line.semester", rule.fen, (), {"days": len(days)})]
    enrolled_days = set(enrolled)
    not_enrolled = [d for d in days if d not in enrolled_days]
    counted, refunded = 0, 0
    for code, off in (("fees.line.not_enrolled", not_enrolled), ("fees.line.cancelled", cancelled),
                      ("fees.line.leave", excused)):  # fmt: skip
        if off:
            counted += len(off)
            so_far = div_half_even(rule.fen * counted, len(days))  # cumulative, so the lines add up exactly
            lines.append(Line(Kind.REFUND, rule.service_id, code, so_far - refunded, tuple(off),
                              {"days": len(off), "of": len(days)}))  # fmt: skip
            refunded = so_far
    return lines


def statement(billing: Billing, student_id: str) -> Statement:
    """One child's statement for the period: charges, refunds and waivers service by service, and payments."""
    problems = check(billing)
    if problems:
        raise Refused(*problems)
    return _statement(billing, _Index.of(billing), student_id)


def _statement(billing: Billing, index: _Index, student_id: str) -> Statement:
    lines = [
        x
        for _, rule in sorted(billing.rules.items())
        for x in _service_lines(billing, index, student_id, rule)
    ]
    return Statement(
        student_id, billing.first, billing.last, tuple(lines), billing.payments.get(student_id, 0)
    )


def statements(billing: Billing) -> tuple[Statement, ...]:
    """A statement for every child enrolled in a priced service or with a payment, by student id."""
    problems = check(billing)
    if problems:
        raise Refused(*problems)
    index = _Index.of(billing)
    children = {e.student_id for e in billing.enrolments if e.service_id in billing.rules} | set(
        billing.payments
    )
    found = (_statement(billing, index, child) for child in sorted(children))
    return tuple(s for s in found if s.lines or s.paid_fen)


def summary(found: Iterable[Statement], first: date, last: date) -> Summary:
    """The school's totals for the period, as the sum of its statements, by service and waiver category."""
    chosen = tuple(found)
    by_service: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    categories: dict[str, tuple[set[str], list[int]]] = defaultdict(lambda: (set(), [0]))
    for s in chosen:
        for line in s.lines:
            by_service[line.service_id][list(Kind).index(line.kind)] += line.fen
            if line.kind is Kind.WAIVER:
                who, fen = categories[str(line.params["category"])]
                who.add(s.student_id)
                fen[0] += line.fen
    totals = Totals(
        sum(s.charged for s in chosen), sum(s.refunded for s in chosen), sum(s.waived for s in chosen),
        sum(s.paid_fen for s in chosen),
    )  # fmt: skip
    return Summary(
        first,
        last,
        len(chosen),
        totals,
        {service: Totals(*sums) for service, sums in sorted(by_service.items())},
        {category: (len(who), fen[0]) for category, (who, fen) in sorted(categories.items())},
    )
