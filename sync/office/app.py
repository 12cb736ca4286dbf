"""Provides `create_office_app(school)`: the office's pages, a sub-application of the school server at /office.

The same process, store and view as the devices' API (`sync.app` mounts it). Pages are Jinja2
templates through aiohttp-jinja2 (autoescaped), plain forms that work without JavaScript; the
stylesheet and the day page's small script are served from the package, nothing from outside.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from sync.api.keys import SCHOOL
from sync.office import (
    pages_activities,
    pages_applications,
    pages_attendance,
    pages_children,
    pages_day,
    pages_fees,
    pages_formation,
    pages_leave,
    pages_pay,
    pages_rota,
    pages_sign_in,
    pages_staff,
    pages_uploads,
)
from sync.office.throttle import Throttle
from sync.office.web import THROTTLE, office_middleware, setup_templates
from sync.server import SchoolServer

HERE = Path(__file__).parent
FAMILIES = (pages_sign_in, pages_applications, pages_leave, pages_formation, pages_day, pages_uploads,
            pages_children, pages_staff, pages_rota, pages_activities, pages_fees,
            pages_attendance, pages_pay)  # fmt: skip


def create_office_app(school: SchoolServer, throttle: Throttle | None = None) -> web.Application:
    app = web.Application(middlewares=[office_middleware])
    app[SCHOOL] = school
    app[pages_formation.PROPOSALS] = pages_formation.Proposals()
    app[THROTTLE] = throttle or Throttle(school.clock.monotonic)  # the simulated clock's, in drills and tests
    setup_templates(app, HERE / "templates")
    for family in FAMILIES:
        for method, path, handler in family.ROUTES:
            app.router.add_route(method, path, handler)
    app.router.add_static("/static", HERE / "static", append_version=True)
    return app
