"""Provides the bureau's pages: the day's reporting rate by school, unresolved children, a school's history, their XLSX.

A handler reads the query, reads the district's rows off the event loop (psycopg, one connection a
page), asks `sync.district.figures`, and renders or writes the workbook. Dates come from the
query as YYYY-MM-DD (today in the district's time zone by default); a bad one is refused by name.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from aiohttp import web

from sync.bureau import exports
from sync.bureau.web import CLOCK, CONFIG, LANG, PULLS, render, text
from sync.district import figures, replication
from sync.district.config import DistrictConfig, SchoolConfig
from sync.district.upward import UpwardRow
from sync.office.exports import save
from sync.office.web import Refused

HISTORY_DAYS = 30  # a school's history shows a month unless asked otherwise
MOST_DAYS = 366  # and at most a year: one page, one workbook
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(dsn: str, schools: list[str], first: date, last: date) -> list[UpwardRow]:
    with psycopg.connect(dsn) as conn:
        return replication.district_rows(conn, schools, first, last)


def _received(dsn: str) -> dict[str, Any]:
    with psycopg.connect(dsn) as conn:
        return replication.received(conn)


def _today(request: web.Request) -> date:
    return request.app[CLOCK].now().date()


def _date(request: web.Request, name: str, default: date) -> date:
    value = request.query.get(name, "").strip()
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Refused(400, "district.bad_date", field=name, value=value[:40]) from None


def _expected(config: DistrictConfig) -> list[figures.Expected]:
    return [s.expected for s in config.schools]


async def _day_rows(request: web.Request, day: date) -> list[UpwardRow]:
    config = request.app[CONFIG]
    return await asyncio.to_thread(_rows, config.store_url, [s.id for s in config.schools], day, day)


def _when(value: datetime | None, config: DistrictConfig) -> str:
    return value.astimezone(config.timezone).strftime("%m-%d %H:%M") if value else ""


def _xlsx(book: Any, name: str) -> web.Response:
    out = io.BytesIO()
    save(book, out)
    return web.Response(body=out.getvalue(), content_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename={name}"})  # fmt: skip


async def rate_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    day = _date(request, "date", _today(request))
    rows = await _day_rows(request, day)
    lines, total = figures.day_rates(_expected(config), rows, day, config.days)
    heard = await asyncio.to_thread(_received, config.store_url)
    pulls = request.app[PULLS].last
    now = request.app[CLOCK].now()
    schools = {s.id: s for s in config.schools}
    table = [
        {
            "line": line,
            "how": text(
                request, "district.via.pull" if schools[line.school.id].pulled else "district.via.replication"
            ),
            "heard": _when(heard.get(line.school.id), config),
            "pull_error": pulls[line.school.id].error if line.school.id in pulls else "",
        }
        for line in lines
    ]
    return render(request, "rate.html", {
        "day": day, "table": table, "total": total, "school_day": day in config.days,
        "closed": figures.closed(day, config.deadline, now), "deadline": config.deadline.strftime("%H:%M"),
        "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
    })  # fmt: skip


async def rate_xlsx(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    day = _date(request, "date", _today(request))
    lines, total = figures.day_rates(_expected(config), await _day_rows(request, day), day, config.days)
    lang = request[LANG]
    return _xlsx(exports.rate_workbook(lines, total, day, config.name, lang), f"rate-{day}.xlsx")


async def missing_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    day = _date(request, "date", _today(request))
    lines = figures.unresolved(_expected(config), await _day_rows(request, day), day)
    by_school: dict[str, list[figures.Unresolved]] = {}
    for line in lines:
        by_school.setdefault(line.school.id, []).append(line)
    total = sum(
        (figures.Totals(x.missing, x.found, x.still_waiting, x.unexplained) for x in lines), figures.Totals()
    )
    return render(request, "missing.html", {
        "day": day, "groups": list(by_school.values()), "total": total,
        "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
    })  # fmt: skip


async def missing_xlsx(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    day = _date(request, "date", _today(request))
    lines = figures.unresolved(_expected(config), await _day_rows(request, day), day)
    lang = request[LANG]
    return _xlsx(exports.missing_workbook(lines, day, config.name, lang), f"unresolved-{day}.xlsx")


def _school(request: web.Request) -> SchoolConfig:
    found = request.app[CONFIG].school(request.match_info["school"])
    if found is None:
        raise Refused(404, "district.no_school", school=request.match_info["school"][:40])
    return found


async def _history(request: web.Request) -> tuple[SchoolConfig, date, date, list[figures.HistoryDay]]:
    config = request.app[CONFIG]
    school = _school(request)
    last = _date(request, "to", _today(request))
    first = _date(request, "from", last - timedelta(days=HISTORY_DAYS - 1))
    if first > last:
        raise Refused(400, "district.bad_range", first=first, last=last)
    if (last - first).days >= MOST_DAYS:
        raise Refused(400, "district.long_range", days=MOST_DAYS)
    rows = await asyncio.to_thread(_rows, config.store_url, [school.id], first, last)
    return school, first, last, figures.history(school.expected, rows, first, last, config.days)


async def history_page(request: web.Request) -> web.Response:
    school, first, last, lines = await _history(request)
    rate = sum((line.rate for line in lines), figures.Rate())
    children = sum((line.children for line in lines), figures.Totals())
    return render(request, "history.html", {"school": school, "first": first, "last": last,
                                            "lines": lines, "rate": rate, "children": children})  # fmt: skip


async def history_xlsx(request: web.Request) -> web.Response:
    school, first, last, lines = await _history(request)
    lang = request[LANG]
    book = exports.history_workbook(school.name, lines, first, last, request.app[CONFIG].name, lang)
    return _xlsx(book, f"history-{school.id}-{first}-{last}.xlsx")


ROUTES = (
    ("GET", "/", rate_page),
    ("GET", "/rate.xlsx", rate_xlsx),
    ("GET", "/missing", missing_page),
    ("GET", "/missing.xlsx", missing_xlsx),
    ("GET", "/schools/{school}", history_page),
    ("GET", "/schools/{school}/history.xlsx", history_xlsx),
)
