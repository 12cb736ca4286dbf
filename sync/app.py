"""Provides `create_app(config, school)`: the school server's aiohttp application, its routes and lifecycle.

The device's pieces where they fit (STYLE 5, 6): `edge.web.auth` (hashed tokens, roles, slowdown),
`edge.web.errors` (one error shape), `edge.web.routing` (a route and its OpenAPI description in
one place), `edge.web.openapi`, `edge.web.live` (the live stream engine) and `edge.web.serve` (background
tasks that end the process when they fail, so systemd restarts it). Each long-lived part is a
`cleanup_ctx`: the store, view and client session first, then the workers, stopped in reverse.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial

from aiohttp import web

from edge.core.errors import StoreError
from edge.web.auth import AUTH, Authenticator, protect
from edge.web.errors import dumps, error_middleware
from edge.web.keys import FAILURES, HALT, STOPPING
from edge.web.live import LIVE, LiveHub
from edge.web.openapi import document
from edge.web.parse import query
from edge.web.routing import APP_ROUTES, Route, json_ok
from edge.web.serve import background, on_shutdown, stop
from edge.web.settings import retention_cut
from sync import upward_feed
from sync.api import actions, admin, health, live, sessions
from sync.api.keys import SCHOOL
from sync.config import ServerConfig
from sync.db import first_line
from sync.office.app import create_office_app
from sync.server import SchoolServer
from sync.store import ServerStore

log = logging.getLogger("rollcall.api")

FAMILIES = (health, live, sessions, actions, admin, upward_feed)


@dataclass(frozen=True, slots=True)
class ServerOptions:
    run_workers: bool = True  # pull, push, view, notify and purge with the app; tests may drive them by hand
    purge_seconds: float = 3600.0  # retention is counted in days; hourly is ample
    # A store on PostgreSQL: how often its upward table is brought up to date (sync.upward_feed).
    upward_seconds: float = upward_feed.EVERY


async def openapi(request: web.Request) -> web.Response:
    query(request, ())
    routes = request.app[APP_ROUTES]
    found = document(routes)
    found["info"] = {"title": "Rollcall school server", "version": "1"}
    return web.json_response(found, dumps=dumps)


OPENAPI = Route("GET", "/api/v1/openapi.json", openapi, frozenset(), "This document",
                responses=json_ok("the OpenAPI 3.1 document", {"type": "object"}))  # fmt: skip


def create_app(
    config: ServerConfig, school: SchoolServer | None = None, options: ServerOptions | None = None
) -> web.Application:
    options = options or ServerOptions()
    school = school or SchoolServer(config)
    app = web.Application(middlewares=[error_middleware], client_max_size=admin.DATASET_LIMIT)
    app[SCHOOL] = school
    app[AUTH] = Authenticator(config.tokens)
    app[LIVE] = LiveHub()
    app[STOPPING], app[HALT], app[FAILURES] = asyncio.Event(), asyncio.Event(), []
    found: list[Route] = [route for family in FAMILIES for route in family.ROUTES]
    app[APP_ROUTES] = tuple([*found, OPENAPI])
    for route in app[APP_ROUTES]:
        app.router.add_route(route.method, route.path, protect(route))
    app.add_subapp("/office", create_office_app(school))  # the office's pages (sync.office), same store

    async def server_ctx(app: web.Application) -> AsyncIterator[None]:
        await school.open()
        yield
        await school.close()

    async def workers_ctx(app: web.Application) -> AsyncIterator[None]:
        tasks = []
        if options.run_workers:
            for device, puller in school.pullers.items():
                tasks.append(background(app, f"pull-{device}", puller.run))
                tasks.append(background(app, f"health-{device}", puller.health_forever))
                tasks.append(background(app, f"push-{device}", school.pushers[device].run))
            tasks.append(background(app, "view", school.view_forever))
            if school.notifier is not None and school.notifier.targets:
                tasks.append(background(app, "notify", school.notifier.run))
            tasks.append(
                background(app, "retention-purge", lambda: _purge_forever(school, options.purge_seconds))
            )
            if config.store_url:
                tasks.append(
                    background(app, "upward", lambda: _upward_forever(school, options.upward_seconds))
                )
        yield
        for task in reversed(tasks):
            await stop(task)

    app.cleanup_ctx.extend([server_ctx, workers_ctx])
    app.on_shutdown.append(on_shutdown)
    if not config.tokens:
        log.warning(
            "no API tokens configured: every route except /healthz and the OpenAPI document answers 401"
        )
    return app


async def _upward_forever(school: SchoolServer, every: float) -> None:
    """On PostgreSQL: the school's publication as `[district]` says, and its upward table kept up to date."""
    config = school.config
    try:
        chosen = await school.writer.run(
            lambda store: upward_feed.publish(store.db, config.school_code, config.district)
        )
        log.info("upward_published school=%s since=%s names=%s signer_names=%s", chosen.school,
                 chosen.since or "every date", chosen.names, chosen.signer_names)  # fmt: skip
    except Exception as error:  # noqa: BLE001 (the rows are still written; the log says why nothing leaves)
        log.error("upward_publish_failed store=%s: %s", config.store_label, first_line(error))
    feed = upward_feed.UpwardFeed(school)
    while True:
        try:
            changed = await feed.once()
            if changed:
                log.debug("upward_rows_written rows=%d", changed)
        except StoreError as error:  # e.g. its PostgreSQL down: written when it is back
            log.warning("upward_write_failed: %s", error)
        except Exception:  # noqa: BLE001 (retried next time; the check-ins go on without it)
            log.exception("upward_write_failed")
        await asyncio.sleep(every)


async def _purge_forever(school: SchoolServer, every: float) -> None:
    while True:
        cut = retention_cut(school.clock.now(), school.config.retention_days)
        try:
            counts = await school.writer.run(partial(ServerStore.purge, before=cut))
            if any(counts.values()):
                log.info("purged events=%(events)d audit=%(audit)d outbox=%(outbox)d", counts)
        except Exception:  # noqa: BLE001 (retried next time; a failed purge must not stop the server)
            log.exception("purge_failed")
        await asyncio.sleep(every)
