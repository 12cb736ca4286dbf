"""Provides what a school sends up (上报): its upward rows as of now, the route a district pulls them by, and on PostgreSQL its `upward` table and publication.

Two ways out, the same rows (`rows_between`): a school on SQLite answers the district's pull
(`GET /api/v1/upward?since=DATE`, below); a school on PostgreSQL writes them into the `upward` table
of its own store (`UpwardFeed`, run by the server every `EVERY` seconds) and its publication sends them
on by logical replication (sync.district.replication). `[district]` in server.toml decides what
leaves either way: the children's names only with `names`, the signer's only with `signer_names`; what
is not sent is not written into the table either, so a publication changed by hand cannot send it.
The school's code is `[district] code`, or its `server.id`.

The route answers the days from `since` to today (today as of now, so a district sees today's rate as
it forms), at most `DAYS_A_PAGE` days an answer; `next` is the first day not sent, or null. For the
server role (a district's pull token) and admin. Above the office (its staff marks give the staff on
duty), so not among sync.api's families.

Decisions where the issue is silent:
- *Staff on duty* of a session is the rota's group staff for its room and service marked on time or late
  (the attendance page's marks, corrections applied); a school without a stored rota sends 0.
- The feed writes no day older than `DAYS_BACK` days (the view's memory; rows written stay); at start from
  `[district] since` (or today) to today, then each time today, every day with newly stored events (a
  device back after a week), the last `CHANGED_BACK` days after a dataset changed (a leave entered for
  last week; not all `DAYS_BACK`: the office enters leave many times a day, and folding 40 days again
  each time would hold up the view, and every console with it),
  and once more the day before when the date changes (its still-waiting figures become final).
- An unchanged row is not rewritten (`IS DISTINCT FROM`), so it is not sent again.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from edge.web.errors import BadRequest, dumps
from edge.web.parse import query, query_date
from edge.web.routing import ANY_OBJECT, SERVER, STRING, Param, Route, json_ok, obj, roles
from sync.api.keys import SCHOOL
from sync.config import DistrictSending
from sync.db import Database, PostgresDatabase
from sync.district import upward
from sync.district.upward import COLUMNS, KEY, UpwardRow
from sync.office.attendance import SERVED
from sync.office.pages_attendance import Staffing, staffing_for
from sync.office.rota import DAY_ROLES
from sync.server import SchoolServer
from sync.view import SchoolView

if TYPE_CHECKING:
    from sync.district.replication import Publishing

log = logging.getLogger("rollcall.sync")

EVERY = 10.0  # s between two looks: a sign-off is in the table within this, then replicated in milliseconds
DAYS_BACK = 40  # as sync.view.DAYS_KEPT
CHANGED_BACK = 7  # days written again after a roster, leave or calendar change

OnDuty = Mapping[tuple[date, str, str], int]  # (day, service, room) -> staff on duty


def on_duty(staffing: Staffing) -> dict[tuple[date, str, str], int]:
    """Group staff marked on time or late, per (day, service, room)."""
    counts: Counter[tuple[date, str, str]] = Counter()
    for mark in staffing.marks:
        if mark.status in SERVED and mark.role not in DAY_ROLES:
            counts[(mark.day, mark.service_id, mark.room_id)] += 1
    return dict(counts)


def day_rows(view: SchoolView, sending: DistrictSending, code: str, day: date, now: datetime,
             staff: OnDuty) -> list[UpwardRow]:  # fmt: skip
    """One day's rows as of `now` (runs on the view's thread)."""
    plan = view.plan(day)
    counts = {s.id: staff.get((day, s.service_id, s.room_id), 0) for s in plan.sessions.values()}
    state = view.day(day).projection.state
    return upward.rows(code, view.school, state, view.reports(day, now), staff_on_duty=counts,
                       names=sending.names, signer_names=sending.signer_names)  # fmt: skip


async def rows_between(school: SchoolServer, days: Iterable[date], now: datetime) -> list[UpwardRow]:
    """The rows of `days`, in day order: what the school sends for them."""
    wanted = sorted(set(days))
    if not wanted:
        return []
    staff = on_duty(await staffing_for(school, wanted[0], wanted[-1]))
    config = school.config
    return await school.query(
        lambda view: [
            r for d in wanted for r in day_rows(view, config.district, config.school_code, d, now, staff)
        ]
    )


# -- a school on PostgreSQL: the table and the publication -----------------------------------------

_KEY = ", ".join(KEY)
_CHANGING = [c for c in COLUMNS if c not in KEY]
_VALUES = ", ".join("?::jsonb" if c == "children" else "?" for c in COLUMNS)
_UPSERT = (
    f"INSERT INTO upward ({', '.join(COLUMNS)}) VALUES ({_VALUES}) ON CONFLICT ({_KEY}) DO UPDATE SET "  # noqa: S608
    + ", ".join(f"{c} = excluded.{c}" for c in _CHANGING)
    + f" WHERE ({', '.join(f'upward.{c}' for c in _CHANGING)}) IS DISTINCT FROM "
    + f"({', '.join(f'excluded.{c}' for c in _CHANGING)})"
)


def _params(row: UpwardRow) -> list[object]:
    values: list[object] = []
    for column in COLUMNS:
        value = getattr(row, column)
        if column == "children":
            value = json.dumps([list(child) for child in value], ensure_ascii=False)
        elif column == "signed_at" and not value:
            value = None
        values.append(value)
    return values


def write(db: Database, rows: list[UpwardRow]) -> int:
    """Upsert the rows into the store's `upward` table in one transaction (the writer's thread); rows changed."""
    with db.atomic():
        return db.executemany(_UPSERT, [_params(row) for row in rows]) if rows else 0


def publish(db: Database, school: str, sending: DistrictSending) -> Publishing:
    """Create or change the school's publication as `[district]` says (the writer's thread)."""
    from sync.district import replication  # psycopg: only a school on PostgreSQL has it

    if not isinstance(db, PostgresDatabase):
        raise TypeError("a publication needs the store on PostgreSQL")
    chosen = replication.Publishing(school, since=sending.since, signer_names=sending.signer_names,
                                    names=sending.names)  # fmt: skip
    replication.publish(db.connection(), chosen)
    return chosen


def days_due(today: date, since: date | None, first_look: bool, changed: set[date], datasets_changed: bool,
             last_today: date | None) -> set[date]:  # fmt: skip
    """Which days' rows to write: see the module's decisions. Never before `since`, nor `DAYS_BACK` days ago."""
    floor = max(today - timedelta(days=DAYS_BACK - 1), since or date.min)
    if first_look:  # at start: from `since` (or today) to today
        first = max(floor, since or today)
        days = {first + timedelta(days=n) for n in range((today - first).days + 1)}
    else:
        days = {today} | changed
        if datasets_changed:
            days |= {today - timedelta(days=n) for n in range(CHANGED_BACK)}
        if last_today is not None and last_today < today:
            days.add(last_today)  # its last write as of the day's end
    return {d for d in days if floor <= d <= today}


@dataclass
class UpwardFeed:
    """Which days to write next: today, the days with new events, and more after a change (see the module)."""

    school: SchoolServer
    last_id: int = -1  # the view's last event id seen; -1 before the first look
    versions: dict[str, int] = field(default_factory=dict)
    today: date | None = None

    def due(self, view: SchoolView, now: datetime) -> set[date]:
        """The days to write now (the view's thread)."""
        first_look = self.last_id < 0
        changed = set() if first_look else view.days_since(self.last_id)
        days = days_due(now.date(), self.school.config.district.since, first_look, changed,
                        view.versions != self.versions, self.today)  # fmt: skip
        self.last_id, self.versions, self.today = view.last_id, dict(view.versions), now.date()
        return days

    async def once(self) -> int:
        """Write what is due; the rows changed."""
        now = self.school.clock.now()
        days = await self.school.query(lambda view: self.due(view, now))
        rows = await rows_between(self.school, days, now)
        return await self.school.writer.run(lambda store: write(store.db, rows))


# -- a school on SQLite (or any): GET /api/v1/upward for a district that pulls -------------------

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
    found = await rows_between(school, days, now)
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
