"""Provides the pay page (plan 1: 课后服务经费…补助; plan 5: 报酬分配制度; plan 2: 绩效补贴): the office's rates per
role and service, and a month's or the term's allocation, sessions served × rate, each line with its sessions.

`GET /office/pay` shows the rates (a form for each role and service the rota needs) and the allocation of
`?period=YYYY-MM` (this month by default) or `?period=term` (the calendar's term holding today, as the
activities page takes it); `POST /office/pay/rate` sets one rate; `GET /office/pay.xlsx` is
`exports.pay_workbook` of the same allocation and `?print=1` a page to print and sign (制表人/审核人).
The sessions are the attendance page's marks (`pages_attendance.staffing`), corrections included, and
the figures `pay.allocate`'s, so the three cannot disagree. Only the office and admin may see or set pay.

Decisions where the plans are silent:
- A rate is typed in yuan with at most two decimals ("80", "80.5", "80.50"; full-width digits and a
  trailing 元 are taken) and stored as fen; anything else is refused naming the role and service.
- The rate that holds is the latest set, for every period shown: a rate is the office's current
  decision, so an allocation printed again after a change shows the new rate (the XLSX of a month
  already paid is the record of what was paid).
- The school's name on the print view is typed there (`school`): the server holds no name of the school.
"""

from __future__ import annotations

import asyncio
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from aiohttp import web

from edge.core.model import School
from sync.api.keys import SCHOOL
from sync.office import exports, staff_store
from sync.office.money import yuan
from sync.office.pages_activities import term_of
from sync.office.pages_attendance import Staffing, names, staffing
from sync.office.pay import COACH, PAY_ROLES, Allocation, Rates, allocate, month_range
from sync.office.problems import Problem, Refused
from sync.office.rota import DAY_ROLES, Role, Rota
from sync.office.staff_store import RateRow
from sync.office.web import LANG, audit, field, need, render, see_other, text, user_of
from sync.office.web import Refused as PageRefused

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_YUAN = re.compile(r"(\d{1,6})(?:\.(\d{1,2}))?")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_yuan(raw: str) -> int | None:
    """ "80" -> 8000, "80.5" -> 8050, "１２.３４元" -> 1234; None for anything that is not yuan to the fen."""
    value = unicodedata.normalize("NFKC", raw).strip().removesuffix("元").strip()
    found = _YUAN.fullmatch(value)
    if found is None:
        return None
    return int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0"))


@dataclass(frozen=True, slots=True)
class Period:
    key: str  # "YYYY-MM" or "term"
    first: date
    last: date


def _period(request: web.Request, school: School) -> Period:
    today = request.app[SCHOOL].clock.now().date()
    asked = request.query.get("period", "") or request.query.get("month", "") or f"{today:%Y-%m}"
    if asked == "term":
        first, last = term_of(school.calendar, today)
        return Period("term", first, last)
    found = _MONTH.fullmatch(asked[:7])
    if found is None or not 1 <= int(found[2]) <= 12:
        raise PageRefused(400, "office.pay.bad_period", value=asked[:20])
    return Period(asked[:7], *month_range(int(found[1]), int(found[2])))


def needed(rota: Rota | None, school: School) -> list[tuple[str, str]]:
    """The (pay role, service) pairs the rota's duties are paid at: day roles per day, groups per service."""
    if rota is None:
        return [(Role.LEADER.value, ""), (Role.GUARD.value, "")]
    pairs = {(Role.LEADER.value, ""), (Role.GUARD.value, "")}
    for duty in rota.duties:
        if duty.role in DAY_ROLES:
            continue
        person = rota.people.get(duty.person_id)
        role = COACH if duty.role is Role.CLUB and person is not None and person.external else duty.role.value
        pairs.add((role, duty.service_id))
    order = {s: n for n, s in enumerate(school.services)}
    rank = {r: n for n, r in enumerate(PAY_ROLES)}
    return sorted(pairs, key=lambda p: (rank.get(p[0], 9), order.get(p[1], -1)))


def role_name(request: web.Request, role: str) -> str:
    return text(request, "pay.role.coach" if role == COACH else f"rota.role.{role}")


def _problem_text(request: web.Request, found: Problem, people: exports.Names) -> str:
    """A refusal of `pay` in the reader's language, with the role's and the service's names, not ids."""
    params = dict(found.params)
    if "role" in params:
        params["role"] = role_name(request, str(params["role"]))
    if "service" in params:
        params["service"] = (
            people.service(str(params["service"]))
            if params["service"]
            else text(request, "office.pay.per_day")
        )
    return text(request, found.code, **params)


def allocation_of(
    staff: Staffing, rates: Rates, first: date, last: date
) -> tuple[Allocation | None, tuple[Problem, ...]]:
    """The allocation of the attendance page's marks at the rates that hold, or what `pay` refused."""
    if staff.rota is None:
        return None, ()
    try:
        return allocate(staff.marks, staff.rota.people, rates, first, last), ()
    except Refused as refused:
        return None, refused.problems


@dataclass(frozen=True, slots=True)
class Figures:
    period: Period
    staff: Staffing
    allocation: Allocation | None
    refusals: list[str]
    rates: dict[tuple[str, str], RateRow]
    history: list[RateRow]
    names: exports.Names


async def figures(request: web.Request) -> Figures:
    school = request.app[SCHOOL]
    people: School = await school.query(lambda view: view.school)
    period = _period(request, people)
    staff = await staffing(request, period.first, period.last)
    history = await school.writer.run(lambda store: staff_store.rate_rows(store.db))
    held = staff_store.latest_rates(history)
    rates = {key: row.fen for key, row in held.items()}
    shown = names(staff)
    allocation, problems = allocation_of(staff, rates, period.first, period.last)
    refusals = [_problem_text(request, p, shown) for p in problems]
    return Figures(period, staff, allocation, refusals, held, history, shown)


def _context(request: web.Request, found: Figures) -> dict[str, Any]:
    lines = exports.in_office_order(found.allocation) if found.allocation else ()
    return {
        "found": found, "period": found.period, "allocation": found.allocation, "lines": lines,
        "names": found.names, "yuan": yuan, "role_name": lambda r: role_name(request, r),
        "title": exports.pay_title(found.allocation, request[LANG]) if found.allocation else "",
        "needed": needed(found.staff.rota, found.staff.school),
        "month": found.period.key if found.period.key != "term" else "",
    }  # fmt: skip


async def pay_page(
    request: web.Request, messages: list[str] | None = None, status: int = 200
) -> web.Response:
    need(request, "pay")
    found = await figures(request)
    if request.query.get("print") == "1":
        return render(request, "pay_print.html", _context(request, found) | {
            "school_name": request.query.get("school", "")[:60], "by": user_of(request).name, "printing": True})  # fmt: skip
    return render(request, "pay.html", _context(request, found) | {
        "messages": messages or [], "done": request.query.get("done", "")[:200], "printing": False}, status=status)  # fmt: skip


async def pay_get(request: web.Request) -> web.Response:
    return await pay_page(request)


async def set_rate(request: web.Request) -> web.StreamResponse:
    user = need(request, "pay_edit")
    school = request.app[SCHOOL]
    people: School = await school.query(lambda view: view.school)
    role, service, raw = field(request, "role", 20), field(request, "service", 40), field(request, "yuan", 40)
    shown = exports.Names(services={k: s.name for k, s in people.services.items()})
    day_role = role in (Role.LEADER.value, Role.GUARD.value)
    if role not in PAY_ROLES or (day_role and service) or (not day_role and service not in people.services):
        return await pay_page(
            request, [text(request, "office.pay.bad_post", role=role, service=service)], 422
        )
    fen = parse_yuan(raw)
    where = {"role": role_name(request, role),
             "service": shown.service(service) if service else text(request, "office.pay.per_day")}  # fmt: skip
    if fen is None:
        return await pay_page(request, [text(request, "office.pay.bad_amount", value=raw, **where)], 422)
    now, account = school.clock.now(), f"{user.role}:{user.username}"
    await school.writer.run(
        lambda store: staff_store.set_rate(store.db, role, service, fen, account, user.name, now)
    )
    await audit(request, {"pay_rate": role, "service": service, "fen": fen})
    done = text(request, "office.pay.rate_set", amount=yuan(fen), **where)
    period = field(request, "period", 10)
    raise see_other(
        f"/pay?period={quote(period)}&done={quote(done)}" if period else f"/pay?done={quote(done)}"
    )


async def pay_xlsx(request: web.Request) -> web.Response:
    need(request, "pay")
    found = await figures(request)
    if found.allocation is None:
        raise PageRefused(
            409,
            "office.pay.not_allocated",
            why="; ".join(found.refusals) or text(request, "office.rota.none"),
        )
    allocation, lang = found.allocation, request[LANG]

    def build() -> bytes:
        buffer = io.BytesIO()
        exports.save(exports.pay_workbook(allocation, found.names, lang), buffer)
        return buffer.getvalue()

    await audit(
        request, {"pay_xlsx": f"{found.period.first}..{found.period.last}", "total_fen": allocation.total_fen}
    )
    body = await asyncio.to_thread(build)
    name = f"pay-{found.period.first}-{found.period.last}.xlsx"
    return web.Response(body=body, content_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


ROUTES = (
    ("GET", "/pay", pay_get),
    ("POST", "/pay/rate", set_rate),
    ("GET", "/pay.xlsx", pay_xlsx),
)
