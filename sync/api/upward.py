"""Provides `GET /api/v1/upward?since=DATE`: the upward report's rows (sync.district.upward), for a district that pulls.

The SQLite school's way of sending what a PostgreSQL school publishes: the same rows
(`sync.district.sending.rows_between`), as JSON, for the days from `since` to today (today as of now,
so a district sees today's rate as it forms), at most `DAYS_A_PAGE` days an answer; `next` is the
first day not sent, or null. Counts only unless `[district]` in server.toml says the school sends
names: no child's name, card, phone or time of day, and the signer by staff id. The school's code is
`[district] code`, or its `server.id`. For the server role (a district's pull token) and admin.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from edge.web.errors import BadRequest, dumps
from edge.web.parse import query, query_date
from edge.web.routing import ANY_OBJECT, SERVER, STRING, Param, Route, json_ok, obj, roles
from sync.api.keys import SCHOOL
from sync.district import sending, upward

DAYS_A_PAGE = 31  # a month a request: a school offline for a week is caught up in one


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
    days = [since + timedelta(days=n) for n in range((last - since).days + 1)]
    found = await sending.rows_between(school, days, now)
    body = {
        "version": upward.UPWARD_VERSION,
        "school": school.config.school_code,
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
