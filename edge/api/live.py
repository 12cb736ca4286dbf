"""Provides `GET /api/v1/live` on the device: the live stream engine (`edge.web.live`) fed by its service."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edge.api.audit import audit
from edge.api.keys import OPTIONS, SERVICE
from edge.api.snapshot import snapshot
from edge.core.model import School
from edge.web.live import LiveFeed, serve_live
from edge.web.routing import GUARD, STRING, Param, Route, roles

UNRECORDED = 2**63 - 1  # the live position of an event with no seq: after any snapshot's head


async def live(request: web.Request) -> web.StreamResponse:
    service, options = request.app[SERVICE], request.app[OPTIONS]

    async def device_snapshot(lang: str) -> tuple[dict[str, Any], School]:
        state, school = await service.recorder.query(
            lambda v: (snapshot(v, service.clock.now(), options.live_recent, lang), v.school)
        )
        return state | {"readers": dict(service.reader_states)}, school

    feed = LiveFeed(
        subscribe=lambda: service.subscribers.subscribe(options.live_queue),
        unsubscribe=service.subscribers.unsubscribe,
        snapshot=device_snapshot,
        # An event the disk could not store (seq 0: a refused tap, the storage alert) is always news.
        position=lambda event: (event.seq or UNRECORDED, event),
        send_timeout=options.live_send_timeout,
        audit=audit,
    )
    return await serve_live(request, feed)


ROUTES = (
    Route(
        "GET",
        "/api/v1/live",
        live,
        roles(GUARD),
        "Live stream (WebSocket): a snapshot, then every event; `resnapshot` when the client fell behind",
        params=(
            Param("token", "query", STRING, "the bearer token, for clients that cannot set headers"),
            Param("lang", "query", {"type": "string", "enum": ["zh", "en"]}, "language of `text` (zh)"),
        ),
        responses={
            101: ("switching to the WebSocket protocol", {}),
            400: ("not a WebSocket upgrade request, or a bad parameter", {}),
        },
        query_token=True,
    ),
)
