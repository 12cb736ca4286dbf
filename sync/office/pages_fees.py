"""Provides the fees pages (plans 1, 2): fee rules per service, hardship waivers, payments, the school's
summary for a period and each child's statement (多退少补), with XLSX downloads and print views.

`GET /office/fees` shows the period's rules, waivers, payments and summary (by service, by class, by
waiver category, each child's balance linked to her statement); `GET /office/fees/child/{id}` one
child's statement. `?first=&last=` chooses the period (the calendar's term holding today by
default), `?print=1` the page to print with the school, the period and the 制表人/审核人 line.

Who may: the office and admin set rules, record and revoke waivers, record payments, and read and
download everything. A homeroom teacher reads her own class's statements and balances only (not the
school's totals, not the downloads of the summary); another class's child is 403, the same answer
whether or not the child exists. Everyone else: 403. Every write and every read of a statement is in
the audit log (a statement names a child and her family's money).

Where the figures come from (the paths the other pages use, none of them copied): enrolments, the
services, the calendar and approved leave from the server's datasets (`lookups.roster`: the leave
page's rows become the leave dataset); who came in from the school view's attendance (a day on
leave on which she came is not refunded); rules, waivers and payments from `fee_store`; the
arithmetic is `sync.office.fees`' (fen, half-even), the workbooks `sync.office.exports`'.

Decisions where the plans are silent:
- Amounts are typed in yuan with at most two decimals (full-width digits accepted) and stored in fen.
- A rule prices a service for a period (a term, or summer's weeks); the latest row for a service and
  period holds. A new rule is refused, naming the cap, when it or the period's per-semester fees
  together pass plan 1's or plan 2's cap (`fees.check`).
- A cancelled day is a holiday in today's calendar that the calendar held when the period's first
  rule in force was set did not have: the school closed after it priced the service (停课), so the
  day is refunded; a holiday known when the fee was set is simply not a service day.
- A waiver holds until revoked (the office revokes it when the hardship ends); payments count
  toward the period they were recorded for.
"""

from __future__ import annotations

import asyncio
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from edge.core.i18n import t
from edge.core.model import Calendar, School, Student
from edge.core.pinyin import sort_key
from sync.api.keys import SCHOOL
from sync.db import Database
from sync.office import accounts, exports, fee_store, fees
from sync.office.accounts import User
from sync.office.fee_store import PaymentRow, RuleRow, WaiverRow
from sync.office.fees import Basis, Billing, Category, FeeRule, Statement, Totals, Waiver
from sync.office.lookups import child, problem_texts, roster, sees_class
from sync.office.money import yuan
from sync.office.pages_activities import XLSX, term_of
from sync.office.pages_uploads import _ranges as day_ranges
from sync.office.problems import Problem
from sync.office.roles import school_wide
from sync.office.web import LANG, Refused, audit, field, need, render, see_other, text, user_of
from sync.view import SchoolView

_YUAN = re.compile(r"(\d{1,7})(?:\.(\d{1,2}))?")
LONGEST_PERIOD = 400  # days: a school year and a little; more is a typing mistake
LISTED = 500  # payments shown on the page (the XLSX has every child's total)


# -- the pure part: amounts, children, cancelled days, the billing, the summary by class -------------


def parse_fen(typed: str) -> int | None:
    """ "300" -> 30000, "24.5" -> 2450, "０.０５" -> 5; None for anything else (negative, three decimals, text)."""
    found = _YUAN.fullmatch(unicodedata.normalize("NFKC", typed).strip().replace(",", ""))
    if not found:
        return None
    return int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0"))


def find_child(people: School, typed: str, class_name: str = "") -> Student | tuple[str, dict[str, object]]:
    """The child an id or an exact name (in the class when given) names; else the catalogue key saying why."""
    typed = typed.strip()
    if typed in people.students:
        return people.students[typed]
    found = [s for s in people.students.values()
             if s.name == typed and (not class_name or s.class_name == class_name)]  # fmt: skip
    if len(found) == 1:
        return found[0]
    if found:
        return "fees.page.ambiguous_child", {"child": typed, "n": len(found)}
    return "fees.page.unknown_child", {"child": typed, "class_name": class_name}


def cancelled_days(now: Calendar, planned: Calendar | None, first: date, last: date) -> frozenset[date]:
    """Holidays in the period that the calendar of when the fees were set did not have."""
    if planned is None:
        return frozenset()
    return frozenset(d for d in now.holidays - planned.holidays if first <= d <= last)


@dataclass(frozen=True, slots=True)
class Held:
    """What the store holds for a period: the rules (every latest one, and those in force), waivers, payments."""

    latest: list[RuleRow]
    rules: dict[str, RuleRow]
    waivers: list[WaiverRow]
    payments: list[PaymentRow]
    planned: Calendar | None  # the calendar when the first rule in force was set
    users: Mapping[str, str]  # "role:username" -> the account's name


def held(db: Database, first: date, last: date, student_id: str = "") -> Held:
    """Read on the store's thread."""
    latest = fee_store.latest_rules(fee_store.rule_history(db))
    rules = fee_store.in_force(latest, first, last)
    versions = [r.calendar_version for r in rules.values() if r.calendar_version]
    planned = fee_store.calendar_at(db, min(versions)) if versions else None
    waivers = [w for w in fee_store.waivers(db) if not student_id or w.waiver.student_id == student_id]
    users = {f"{u.role}:{u.username}": u.name for u in accounts.users(db)}
    return Held(latest, rules, waivers, fee_store.payments(db, first, last, student_id), planned, users)


def billing_of(people: School, found: Held, first: date, last: date) -> Billing:
    """The period's billing from the roster and the store; `present` is added from the view (`came`)."""
    off = cancelled_days(people.calendar, found.planned, first, last)
    calendar = replace(people.calendar, holidays=people.calendar.holidays - off)
    rules = {s: row.rule for s, row in found.rules.items() if s in people.services}
    return Billing(
        first, last, rules, people.services, calendar, people.enrolments, people.leave,
        frozenset((d, s) for d in off for s in rules), frozenset(),
        tuple(w.waiver for w in found.waivers), fee_store.paid_by(found.payments),
    )  # fmt: skip


def leave_days(billing: Billing, upto: date, student_id: str = "") -> dict[date, set[tuple[str, str]]]:
    """The days (up to `upto`) a billed child was on approved leave: {day: {(student, service)}}, to ask
    the view whether she came all the same."""
    enrolled = {(e.student_id, e.service_id) for e in billing.enrolments if e.service_id in billing.rules}
    asked: dict[date, set[tuple[str, str]]] = defaultdict(set)
    for x in billing.leave:
        if student_id and x.student_id != student_id:
            continue
        day = max(x.valid_from, billing.first)
        while day <= min(x.valid_to, billing.last, upto):
            for service in billing.rules:
                if x.service_id in ("", service) and (x.student_id, service) in enrolled:
                    asked[day].add((x.student_id, service))
            day = date.fromordinal(day.toordinal() + 1)
    return asked


def came(view: SchoolView, asked: Mapping[date, set[tuple[str, str]]]) -> frozenset[tuple[str, date, str]]:
    """(student, day, service) where the view's attendance has her present in a session of that service."""
    found = set()
    for day, pairs in asked.items():
        plan, state = view.plan(day), view.day(day).projection.state
        for student, service in pairs:
            for session in plan.sessions_of.get(student, ()):
                record = state.attendance.get((session.id, student))
                if session.service_id == service and record is not None and record.present_at:
                    found.add((student, day, service))
    return frozenset(found)


def by_class(statements: Iterable[Statement], people: School) -> list[tuple[str, int, Totals]]:
    """(class, children, totals) for each class, in the school's class order."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for s in statements:
        student = people.students.get(s.student_id)
        row = sums[student.class_name if student else ""]
        for index, value in enumerate((1, s.charged, s.refunded, s.waived, s.paid_fen)):
            row[index] += value
    order = {name: n for n, name in enumerate(dict.fromkeys(
        s.class_name for s in sorted(people.students.values(), key=lambda s: (s.grade, s.class_name))))}  # fmt: skip
    return [
        (name, row[0], Totals(*row[1:]))
        for name, row in sorted(sums.items(), key=lambda p: order.get(p[0], 999))
    ]


def balance_text(balance: int, lang: str) -> str:
    """应补 / 应退 / 已结清, in words with the amount."""
    if balance > 0:
        return t("fees.page.balance.owed", lang, amount=yuan(balance))
    if balance < 0:
        return t("fees.page.balance.refund", lang, amount=yuan(-balance))
    return t("fees.page.balance.settled", lang)


# -- reading a period --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Books:
    people: School
    first: date
    last: date
    found: Held
    billing: Billing
    problems: list[str]
    statements: tuple[Statement, ...]


def _period(request: web.Request, people: School) -> tuple[date, date]:
    today = request.app[SCHOOL].clock.now().date()
    first, last = term_of(people.calendar, today)
    try:
        if request.query.get("first"):
            first = date.fromisoformat(request.query["first"][:10])
        if request.query.get("last"):
            last = date.fromisoformat(request.query["last"][:10])
    except ValueError:
        raise Refused(422, "fees.page.bad_range") from None
    if last < first or (last - first).days > LONGEST_PERIOD:
        raise Refused(422, "fees.page.bad_range")
    return first, last


def compute(billing: Billing, student_id: str = "") -> tuple[tuple[Problem, ...], tuple[Statement, ...]]:
    """The billing's problems, or its statements (every child's, or one's): what both pages show."""
    problems = fees.check(billing)
    if problems:
        return problems, ()
    if student_id:
        one = fees.statement(billing, student_id)
        return (), ((one,) if one.lines or one.paid_fen else ())
    return (), fees.statements(billing)


async def books(request: web.Request, student_id: str = "") -> Books:
    """The period's billing and statements (every child's, or one), as the summary and the statement pages read them."""
    school = request.app[SCHOOL]
    people = await roster(request)
    first, last = _period(request, people)
    found = await school.writer.run(lambda store: held(store.db, first, last, student_id))
    billing = billing_of(people, found, first, last)
    asked = leave_days(billing, school.clock.now().date(), student_id)
    if asked:
        billing = replace(billing, present=await school.query(lambda view: came(view, asked)))
    problems, chosen = await asyncio.to_thread(compute, billing, student_id)
    return Books(people, first, last, found, billing, problem_texts(request, people, problems), chosen)


def _names(people: School) -> exports.Names:
    return exports.Names(
        services={k: s.name for k, s in people.services.items()},
        rooms={k: r.name for k, r in people.rooms.items()},
        people={k: s.name for k, s in people.staff.items()},
        students=people.students,
    )


def _visible(user: User, people: School, statements: Iterable[Statement]) -> list[Statement]:
    def key(s: Statement) -> tuple[int, str, str, str]:
        student = people.students.get(s.student_id)
        if student is None:
            return (99, "", "", s.student_id)
        return (student.grade, student.class_name, sort_key(student.name), s.student_id)

    return sorted((s for s in statements if (st := people.students.get(s.student_id)) is not None
                   and sees_class(user, st.class_name)), key=key)  # fmt: skip


# -- the summary page --------------------------------------------------------------------------------


async def fees_page(
    request: web.Request, messages: list[str] | None = None, status: int = 200, done: str = ""
) -> web.Response:
    user = need(request, "fees")
    found = await books(request)
    people, lang = found.people, request[LANG]
    wide = school_wide(user.role)
    shown = _visible(user, people, found.statements)
    summary = fees.summary(shown, found.first, found.last)
    owing = [s for s in shown if s.balance > 0]
    refund = [s for s in shown if s.balance < 0]
    period = urlencode({"first": found.first.isoformat(), "last": found.last.isoformat()})
    classes = sorted({s.class_name for s in people.students.values()},
                     key=lambda c: next(s.grade for s in people.students.values() if s.class_name == c))  # fmt: skip
    payments = [p for p in found.found.payments
                if (st := people.students.get(p.student_id)) is not None and sees_class(user, st.class_name)]  # fmt: skip
    waivers = [w for w in found.found.waivers
               if (st := people.students.get(w.waiver.student_id)) is not None and sees_class(user, st.class_name)]  # fmt: skip
    await audit(request, {"fees": f"{found.first}..{found.last}", "students": len(shown)})
    return render(request, "fees.html", {
        "b": found, "summary": summary, "shown": shown, "owing": owing, "refund": refund,
        "by_class": by_class(shown, people), "wide": wide, "period": period, "classes": classes,
        "payments": payments[-LISTED:], "waivers": waivers, "categories": list(Category), "bases": list(Basis),
        "services": people.services, "students": people.students, "users": found.found.users,
        "messages": messages or [], "done": done, "printing": request.query.get("print") == "1",
        "yuan": yuan, "balance": lambda fen: balance_text(fen, lang),
        "cancelled": day_ranges(d for d, _ in found.billing.cancelled),
        "caps": {"semester": yuan(fees.CAP_SEMESTER_FEN), "day": yuan(fees.CAP_DAY_FEN)},
        "school_id": request.app[SCHOOL].config.server_id,
        "today": request.app[SCHOOL].clock.now().date(),
    }, status=status)  # fmt: skip


async def fees_get(request: web.Request) -> web.Response:
    return await fees_page(request, done=request.query.get("done", "")[:200])


def _back(request: web.Request, done: str) -> web.HTTPSeeOther:
    """Back to the page of the period the form was sent from, saying what was done."""
    query = {k: field(request, k, 10) for k in ("first", "last") if field(request, k, 10)}
    return see_other(f"/fees?{urlencode({**query, 'done': done})}")


def _actor(user: User) -> str:
    return f"{user.role}:{user.username}"


def _date(request: web.Request, name: str, label: str) -> date | str:
    value = field(request, name, 20)
    try:
        return date.fromisoformat(value)
    except ValueError:
        return text(request, "fees.page.bad_date", field=text(request, label), value=value)


async def set_rule(request: web.Request) -> web.StreamResponse:
    user = need(request, "fees_edit")
    school = request.app[SCHOOL]
    people = await roster(request)
    service_id, basis = field(request, "service", 40), field(request, "basis", 20)
    if service_id not in people.services:
        return await fees_page(request, [text(request, "fees.page.bad_service", value=service_id)], 422)
    if basis not in {b.value for b in Basis}:
        return await fees_page(request, [text(request, "fees.page.bad_basis")], 422)
    refused = []
    fen = parse_fen(field(request, "amount", 30))
    if fen is None:
        refused.append(text(request, "fees.page.bad_amount", field=text(request, "fees.page.amount"),
                            value=field(request, "amount", 30)))  # fmt: skip
    lunch = parse_fen(field(request, "lunch", 30) or "0")
    if lunch is None:
        refused.append(text(request, "fees.page.bad_amount", field=text(request, "fees.page.lunch"),
                            value=field(request, "lunch", 30)))  # fmt: skip
    first, last = (
        _date(request, "period_first", "fees.page.first"),
        _date(request, "period_last", "fees.page.last"),
    )
    refused += [x for x in (first, last) if isinstance(x, str)]
    if refused or fen is None or lunch is None or isinstance(first, str) or isinstance(last, str):
        return await fees_page(request, refused, 422)
    if last < first or (last - first).days > LONGEST_PERIOD:
        return await fees_page(request, [text(request, "fees.page.bad_range")], 422)
    rule = FeeRule(service_id, Basis(basis), fen, lunch if basis == Basis.DAY else 0)
    held_rules = await school.writer.run(
        lambda store: fee_store.latest_rules(fee_store.rule_history(store.db))
    )
    others = {s: r.rule for s, r in fee_store.in_force(held_rules, first, last).items() if s != service_id}
    billing = Billing(first, last, {**others, service_id: rule}, people.services, people.calendar, ())
    problems = fees.check(billing)  # this rule's cap, and the period's semester fees together
    if problems:
        return await fees_page(request, problem_texts(request, people, problems), 422)
    now = school.clock.now()
    await school.writer.run(lambda store: fee_store.add_rule(store.db, rule, first, last, _actor(user), now))
    await audit(request, {"fee_rule": service_id, "basis": basis, "fen": fen, "lunch_fen": rule.lunch_fen,
                          "period": f"{first}..{last}"})  # fmt: skip
    done = text(request, "fees.page.rule_saved", service=people.services[service_id].name,
                basis=text(request, f"fees.basis.{basis}"), amount=yuan(fen))  # fmt: skip
    raise _back(request, done)


def _student(request: web.Request, people: School) -> Student | str:
    found = find_child(people, field(request, "child", 40), field(request, "class", 40))
    if isinstance(found, Student):
        return found
    key, params = found
    if key == "fees.page.unknown_child":
        klass = str(params.pop("class_name"))
        params["where"] = text(request, "fees.page.in_class", class_name=klass) if klass else ""
    return text(request, key, **params)


async def add_waiver(request: web.Request) -> web.StreamResponse:
    user = need(request, "fees_edit")
    school = request.app[SCHOOL]
    people = await roster(request)
    student = _student(request, people)
    if isinstance(student, str):
        return await fees_page(request, [student], 422)
    refused = []
    category = field(request, "category", 20)
    if category not in {c.value for c in Category}:
        refused.append(text(request, "fees.page.bad_category", value=category))
    percent_text = unicodedata.normalize("NFKC", field(request, "percent", 10) or "100")
    percent = int(percent_text) if percent_text.isdigit() else 0
    if not 1 <= percent <= 100:
        refused.append(text(request, "fees.page.bad_percent", value=percent_text))
    approved_by = field(request, "approved_by", 40)
    if not approved_by:
        refused.append(text(request, "fees.page.need_approver"))
    service_id = field(request, "service", 40)
    if service_id and service_id not in people.services:
        refused.append(text(request, "fees.page.bad_service", value=service_id))
    if refused:
        return await fees_page(request, refused, 422)
    waiver = Waiver(student.id, Category(category), approved_by, percent, service_id)
    now, reason = school.clock.now(), field(request, "reason", 200)
    new_id = await school.writer.run(
        lambda store: fee_store.add_waiver(store.db, waiver, reason, _actor(user), now)
    )
    await audit(request, {"fee_waiver": new_id, "student": student.id, "category": category, "percent": percent,
                          "service": service_id or "*", "approved_by": approved_by})  # fmt: skip
    raise _back(request, text(request, "fees.page.waiver_saved", name=student.name,
                              category=text(request, f"fees.category.{category}"), percent=percent))  # fmt: skip


async def revoke_waiver(request: web.Request) -> web.StreamResponse:
    user = need(request, "fees_edit")
    school = request.app[SCHOOL]
    people = await roster(request)
    try:
        waiver_id = int(request.match_info["id"])
    except ValueError:
        raise Refused(404, "fees.page.no_waiver") from None
    now, reason = school.clock.now(), field(request, "reason", 200)
    try:
        gone = await school.writer.run(
            lambda store: fee_store.revoke_waiver(store.db, waiver_id, reason, _actor(user), now)
        )
    except fee_store.NoWaiver:
        raise Refused(404, "fees.page.no_waiver") from None
    await audit(request, {"fee_waiver_revoked": waiver_id, "student": gone.waiver.student_id})
    student = people.students.get(gone.waiver.student_id)
    raise _back(request, text(request, "fees.page.waiver_revoked", name=student.name if student else "—"))


async def add_payment(request: web.Request) -> web.StreamResponse:
    user = need(request, "fees_edit")
    school = request.app[SCHOOL]
    people = await roster(request)
    student = _student(request, people)
    if isinstance(student, str):
        return await fees_page(request, [student], 422)
    refused = []
    fen = parse_fen(field(request, "amount", 30))
    if not fen:  # None, or 0: a payment of nothing is a typing mistake
        refused.append(text(request, "fees.page.bad_amount", field=text(request, "fees.page.amount"),
                            value=field(request, "amount", 30)))  # fmt: skip
    paid_on = _date(request, "paid_on", "fees.page.paid_on")
    if isinstance(paid_on, str):
        refused.append(paid_on)
    receipt = field(request, "receipt", 40)
    if not receipt:
        refused.append(text(request, "fees.page.need_receipt"))
    first, last = _date(request, "first", "fees.page.first"), _date(request, "last", "fees.page.last")
    if isinstance(first, str) or isinstance(last, str):
        first, last = term_of(people.calendar, school.clock.now().date())
    if refused or not fen or isinstance(paid_on, str):
        return await fees_page(request, refused, 422)
    now = school.clock.now()
    try:
        await school.writer.run(lambda store: fee_store.add_payment(
            store.db, student.id, fen, paid_on, receipt, (first, last), _actor(user), now))  # fmt: skip
    except fee_store.DuplicateReceipt:
        return await fees_page(request, [text(request, "fees.page.duplicate_receipt", receipt=receipt)], 422)
    await audit(
        request, {"fee_payment": student.id, "fen": fen, "receipt": receipt, "paid_on": paid_on.isoformat()}
    )
    raise _back(
        request,
        text(request, "fees.page.payment_saved", name=student.name, amount=yuan(fen), receipt=receipt),
    )


def _download(body: bytes, name: str, local: str) -> web.Response:
    return web.Response(body=body, content_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(local)}"})  # fmt: skip


def _xlsx(book: Any) -> bytes:
    buffer = io.BytesIO()
    exports.save(book, buffer)
    return buffer.getvalue()


async def summary_xlsx(request: web.Request) -> web.Response:
    need(request, "fees_edit")
    found = await books(request)
    if found.problems:
        raise Refused(409, "fees.page.problems")
    summary = fees.summary(found.statements, found.first, found.last)
    ordered = _visible(user_of(request), found.people, found.statements)
    lang = request[LANG]
    body = await asyncio.to_thread(
        lambda: _xlsx(exports.fee_summary_workbook(ordered, summary, _names(found.people), lang))
    )
    await audit(request, {"fees_summary_xlsx": f"{found.first}..{found.last}", "students": len(ordered)})
    title = text(request, "export.title.fees", first=found.first, last=found.last)
    return _download(body, f"fees-{found.first}-{found.last}.xlsx", f"{title}.xlsx")


# -- a child's statement ------------------------------------------------------------------------------


async def _statement(request: web.Request) -> tuple[Books, Student, Statement]:
    user = need(request, "fees")
    people = await roster(request)
    student = child(people, user, request.match_info["id"])
    found = await books(request, student.id)
    if found.problems:
        raise Refused(409, "fees.page.problems")
    chosen = found.statements[0] if found.statements else Statement(student.id, found.first, found.last, ())
    return found, student, chosen


async def statement_page(request: web.Request) -> web.Response:
    found, student, chosen = await _statement(request)
    lang = request[LANG]
    await audit(request, {"fee_statement": student.id, "period": f"{found.first}..{found.last}"})
    return render(request, "fee_statement.html", {
        "b": found, "student": student, "s": chosen, "services": found.people.services,
        "payments": found.found.payments, "users": found.found.users,
        "period": urlencode({"first": found.first.isoformat(), "last": found.last.isoformat()}),
        "printing": request.query.get("print") == "1", "yuan": yuan, "balance": balance_text(chosen.balance, lang),
        "ranges": day_ranges, "school_id": request.app[SCHOOL].config.server_id,
        "signed": lambda line: line.fen if line.kind is fees.Kind.CHARGE else -line.fen,
    })  # fmt: skip


async def statement_xlsx(request: web.Request) -> web.Response:
    found, student, chosen = await _statement(request)
    lang = request[LANG]
    body = await asyncio.to_thread(
        lambda: _xlsx(exports.fee_statement_workbook(chosen, _names(found.people), lang))
    )
    await audit(request, {"fee_statement_xlsx": student.id, "period": f"{found.first}..{found.last}"})
    title = text(request, "fees.page.statement", name=student.name, class_name=student.class_name)
    return _download(body, f"statement-{student.id}-{found.first}.xlsx", f"{title}.xlsx")


ROUTES = (
    ("GET", "/fees", fees_get),
    ("POST", "/fees/rule", set_rule),
    ("POST", "/fees/waiver", add_waiver),
    ("POST", "/fees/waiver/{id}/revoke", revoke_waiver),
    ("POST", "/fees/payment", add_payment),
    ("GET", "/fees/summary.xlsx", summary_xlsx),
    ("GET", "/fees/child/{id}", statement_page),
    ("GET", "/fees/child/{id}/statement.xlsx", statement_xlsx),
)
