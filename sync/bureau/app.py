"""Provides `create_district_app(config)`: the bureau's pages and the pulls of the schools on SQLite, in one process.

The office's stack (aiohttp, aiohttp-jinja2 templates autoescaped, plain forms, the office's
stylesheet); its own templates under `sync/bureau/templates`. Two long-lived parts, each a
`cleanup_ctx`: the district's table is made (or found) before the first page, and the pulls run
as a background task that ends the process if it dies (`edge.web.serve.background`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from aiohttp import web

from edge.web.keys import FAILURES, HALT, STOPPING
from edge.web.serve import background, stop
from hardware.clock import Clock, SystemClock
from sync.bureau import pages, pages_sign_in
from sync.bureau.sessions import Sessions
from sync.bureau.web import CLOCK, CONFIG, PULLS, SESSIONS, THROTTLE, district_middleware
from sync.district import replication
from sync.district.config import DistrictConfig
from sync.district.pulling import PullStatus, pull_forever
from sync.office.throttle import Throttle
from sync.office.web import setup_templates

HERE = Path(__file__).parent
OFFICE_STATIC = HERE.parent / "office" / "static"
FAMILIES = (pages_sign_in, pages)


@dataclass(frozen=True, slots=True)
class DistrictOptions:
    pull: bool = True  # pull the schools on SQLite on the interval; tests pull by hand


def prepare(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        replication.prepare_district(conn)


def create_district_app(
    config: DistrictConfig, clock: Clock | None = None, options: DistrictOptions | None = None
) -> web.Application:
    options = options or DistrictOptions()
    clock = clock or SystemClock(config.timezone)
    app = web.Application(middlewares=[district_middleware])
    app[CONFIG], app[CLOCK] = config, clock
    app[SESSIONS], app[THROTTLE], app[PULLS] = Sessions(config.users), Throttle(clock.monotonic), PullStatus()
    app[STOPPING], app[HALT], app[FAILURES] = asyncio.Event(), asyncio.Event(), []
    setup_templates(app, HERE / "templates")
    for family in FAMILIES:
        for method, path, handler in family.ROUTES:
            app.router.add_route(method, path, handler)
    app.router.add_static("/static/office", OFFICE_STATIC, append_version=True)
    app.router.add_static("/static/district", HERE / "static", append_version=True)

    async def table_ctx(app: web.Application) -> AsyncIterator[None]:
        await asyncio.to_thread(prepare, config.store_url)
        yield

    async def pulls_ctx(app: web.Application) -> AsyncIterator[None]:
        task = None
        if options.pull and any(s.pulled for s in config.schools):
            task = background(app, "district_pulls", lambda: pull_forever(config, app[PULLS], clock))
        yield
        await stop(task)

    app.cleanup_ctx.extend([table_ctx, pulls_ctx])
    return app
