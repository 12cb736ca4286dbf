"""Provides `GET /api/v1/live` at the server: a school-wide snapshot, then every device's events as they are stored.

The device's protocol (`edge.api.live`): `{"type": "snapshot", ...}`, then `{"type": "event",
"event": {...}, "text": "...", "view": {...}}` per event, and `{"type": "resnapshot"}` plus a
fresh snapshot when the client fell behind — or when a device caught up by thousands at once.
`head_seq` is the server log's row id: events up to it are in the snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from edge.api.errors import BadRequest, dumps
from edge.api.keys import LIVE
from edge.api.parse import query, query_choice
from edge.api.routing import GUARD, STRING, Param, Route, roles
from edge.api.snapshot import session_summary
from edge.codec import event_to_json
from edge.feed import view as feed_view
from edge.model import School
from sync.api.actions import alert_line
from sync.api.audit import audit
from sync.api.keys import SCHOOL
from sync.view import SchoolAlert, SchoolView

log = logging.getLogger("rollcall.api")

SEND_TIMEOUT = 30.0  # s a client may take to accept one message before it is dropped


def snapshot(view: SchoolView, now: datetime, found: list[SchoolAlert], lang: str) -> dict[str, Any]:
    day, recent = now.date().isoformat(), view.recent()
    return {
        "type": "snapshot",
        "now": now.isoformat(),
        "head_seq": view.last_id,
        "sessions": [session_summary(r) for r in view.reports(now.date(), now)],
        "alerts": [alert_line(view, alert, day) for alert in found],
        "recent": [event_to_json(e) for e in recent],
        "recent_views": [feed_view(e, view.school, lang) for e in recent],
        "readers": {reader: "up" if status.up else "down" for reader, status in view.readers.items()},
    }


def _snapshot_and_roster(
    view: SchoolView, now: datetime, found: list[SchoolAlert], lang: str
) -> tuple[dict[str, Any], School]:
    return snapshot(view, now, found, lang), view.school


async def live(request: web.Request) -> web.StreamResponse:
    ws = web.WebSocketResponse(compress=False, heartbeat=30.0, writer_limit=64 * 1024)
    if not ws.can_prepare(request).ok:
        raise BadRequest("this route is a WebSocket: connect with an Upgrade: websocket request",
                         code="websocket_required")  # fmt: skip
    lang = query_choice(query(request, ("token", "lang")), "lang", ("zh", "en"))
    await audit(request, {"live": "connect"})
    await ws.prepare(request)
    hub = request.app[LIVE]
    hub.clients.add(ws)
    tasks = (asyncio.create_task(_drain(ws)), asyncio.create_task(_send_forever(request, ws, lang)))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.clients.discard(ws)
        for task in tasks:
            task.cancel()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception):
                log.error("live_client_failed remote=%s", request.remote, exc_info=result)
        if not ws.closed:
            with contextlib.suppress(TimeoutError, ConnectionError):
                async with asyncio.timeout(1.0):
                    await ws.close()
    return ws


async def _drain(ws: web.WebSocketResponse) -> None:
    async for _ in ws:  # the client has nothing to say, but reading answers its pings
        pass


async def _send_forever(request: web.Request, ws: web.WebSocketResponse, lang: str) -> None:
    school, hub = request.app[SCHOOL], request.app[LIVE]

    async def send(message: dict[str, Any]) -> None:
        async with asyncio.timeout(SEND_TIMEOUT):
            await ws.send_str(dumps(message))

    try:
        while True:
            queue = school.live.subscribe()  # before the snapshot: miss nothing
            try:
                found = await school.check_alerts()
                now = school.clock.now()
                state, roster = await school.query(
                    partial(_snapshot_and_roster, now=now, found=found, lang=lang)
                )
                await send(state)
                while (item := await queue.get()) is not None:
                    row_id, event = item
                    if row_id > state["head_seq"]:
                        parts = feed_view(event, roster, lang)
                        await send({"type": "event", "event": event_to_json(event), "text": parts["text"],
                                    "view": parts})  # fmt: skip
                hub.resnapshots += 1
                await send({"type": "resnapshot"})
            finally:
                school.live.unsubscribe(queue)
    except (TimeoutError, ConnectionError) as error:
        log.warning("live_client_dropped remote=%s reason=%s", request.remote, type(error).__name__)
        if request.transport is not None:
            request.transport.abort()


ROUTES = (
    Route(
        "GET",
        "/api/v1/live",
        live,
        roles(GUARD),
        "Live stream (WebSocket): a school-wide snapshot, then every device's events; `resnapshot` when behind",
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
