"""Provides `create_app(config, service)`: the edge device's aiohttp application, its routes and lifecycle."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from edge.api import actions, alerts, datasets, feed, health, live, metrics, sessions, sim, students
from edge.api.feed_reads import FEED_READS, FeedReads
from edge.api.keys import CONFIG, OPTIONS, SERVICE, ApiOptions
from edge.api.lifecycle import feed_reads_ctx, purge_ctx, recorder_ctx, service_ctx
from edge.api.metrics import METRICS, Metrics
from edge.api.signing import WRONG_PINS, WrongPins
from edge.device.config import EdgeConfig
from edge.device.service import EdgeService
from edge.web import openapi
from edge.web.auth import AUTH, Authenticator, protect
from edge.web.errors import error_middleware
from edge.web.keys import FAILURES, HALT, STOPPING
from edge.web.live import LIVE, LiveHub
from edge.web.routing import APP_ROUTES, Route
from edge.web.serve import on_shutdown
from hardware.clock import SimClock

log = logging.getLogger("rollcall.api")

FAMILIES = (health, feed, live, sessions, alerts, actions, students, datasets, metrics, openapi)


def routes_for(config: EdgeConfig, service: EdgeService) -> tuple[Route, ...]:
    """Every route the device serves; the sim routes only with `[sim]` and its settable clock."""
    found = [route for family in FAMILIES for route in family.ROUTES]
    if config.sim is not None and isinstance(service.clock, SimClock):
        found += sim.ROUTES
    return tuple(found)


def create_app(config: EdgeConfig, service: EdgeService, options: ApiOptions | None = None) -> web.Application:
    options = options or ApiOptions()
    # The router's cap is the largest body any route takes (a dataset); each route caps lower.
    app = web.Application(middlewares=[error_middleware], client_max_size=options.dataset_limit)
    app[CONFIG], app[SERVICE], app[OPTIONS] = config, service, options
    app[AUTH] = Authenticator(config.tokens)
    app[FEED_READS] = FeedReads(config.database)
    app[LIVE], app[METRICS] = LiveHub(), Metrics()
    app[WRONG_PINS] = WrongPins()
    app[STOPPING], app[HALT], app[FAILURES] = asyncio.Event(), asyncio.Event(), []
    app[APP_ROUTES] = routes_for(config, service)
    for route in app[APP_ROUTES]:
        app.router.add_route(route.method, route.path, protect(route))
    app.cleanup_ctx.extend([recorder_ctx, feed_reads_ctx, service_ctx, purge_ctx])
    app.on_shutdown.append(on_shutdown)
    if not config.tokens:
        log.warning("no API tokens configured: every route except /healthz and the OpenAPI document answers 401")
    return app
