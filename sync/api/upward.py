"""Provides `GET /api/v1/upward?since=DATE`: the upward report's rows (sync.district.upward), for a district that pulls.

The SQLite school's way of sending what a PostgreSQL school publishes: the same rows, as JSON, for
the days from `since` to today (today as of now, so a district sees today's rate as it forms), at
most `DAYS_A_PAGE` days an answer; `next` is the first day not sent, or null. Counts only: no
child's name, card, phone or time of day, and the signer by staff id (no names over HTTP until the
server's configuration has a `[district]` section that says the school sends them). The school's
code is its `server.id`. For the server role (a district's pull token) and admin.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web

from edge.web.errors import BadRequest, dumps
from edge.web.parse import query, query_date
from edge.web.routing import ANY_OBJECT, SERVER, STRING, Param, Route, json_ok, obj, roles
from sync.api.keys import SCHOOL
from sync.district import upward
from sync.view import SchoolView

DAYS_A_PAGE = 31  # a month a request: a school offline for a week is caught up in one


def rows_between(
    view: SchoolView, code: str, first: date, last: date, now: datetime
) -> list[upward.UpwardRow]:
    found: list[upward.UpwardRow] = []
    day = first
    while day <= last:
        state = view.day(day).projection.state
        found.extend(upward.rows(code, view.school, state, view.reports(day, now)))
        day += timedelta(days=1)
    return found


async def upward_rows(request: web.Request) -> web.Response:
    school = request.app[SCHOOL]
    now = school.clock.now()
    params = query(request, ("since",))
    if "since" not in params:
        raise BadRequest("since: required, the first day wanted as YYYY-MM-DD", code="invalid_parameter")
    since, today = query_date(params, "since", now.date()), now.date()
    if since > today:
        raise BadRequest(f"since: {since} is after today ({today})", code="invalid_parameter")
    last = min(today, since + timedelta(days=DAYS_A_PAGE - 1))
    code = school.config.server_id
    found = await school.query(lambda view: rows_between(view, code, since, last, now))
    body = {
        "version": upward.UPWARD_VERSION,
        "school": code,
        "since": since.isoformat(),
        "until": last.isoformat(),
        "next": (last + timedelta(days=1)).isoformat() if last < today else None,
        "rows": [row.as_dict() for row in found],
    }
    return web.json_response(body, dumps=dumps)


SINCE = Param("since", "query", {"type": "string", "format": "date"}, "the first day wanted", required=True)

ROUTES = (
    Route(
        "GET",
        "/api/v1/upward",
        upward_rows,
        roles(SERVER),
        "The upward report's rows from `since` (counts only, no names): what a district pulls",
        params=(SINCE,),
        responses=json_ok(
            "the rows",
            obj(
                {
                    "version": {"type": "integer"},
                    "school": STRING,
                    "since": STRING,
                    "until": STRING,
                    "next": {"type": ["string", "null"]},
                    "rows": {"type": "array", "items": ANY_OBJECT},
                }
            ),
        ),  # fmt: skip
    ),
)
