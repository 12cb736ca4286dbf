"""Provides `GET /api/v1/live` at the server: a school-wide snapshot, then every device's events as they are stored.

The device's protocol (`edge.api.live`): `{"type": "snapshot", ...}`, then `{"type": "event",
"event": {...}, "text": "...", "view": {...}}` per event, and `{"type": "resnapshot"}` plus a
fresh snapshot when the client fell behind — or when a device caught up by thousands at once.
`head_seq` is the server log's row id: events up to it are in the snapshot.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from edge.api.snapshot import session_summary
from edge.core.codec import event_to_json
from edge.core.feed import view as feed_view
from edge.core.model import School
from edge.web.live import LiveFeed, serve_live
from edge.web.routing import GUARD, STRING, Param, Route, roles
from sync.api.actions import alert_line
from sync.api.audit import audit
from sync.api.keys import SCHOOL
from sync.view import SchoolAlert, SchoolView

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
    school = request.app[SCHOOL]

    async def school_snapshot(lang: str) -> tuple[dict[str, Any], School]:
        found = await school.check_alerts()
        return await school.query(
            partial(_snapshot_and_roster, now=school.clock.now(), found=found, lang=lang)
        )

    feed = LiveFeed(
        subscribe=school.live.subscribe,
        unsubscribe=school.live.unsubscribe,
        snapshot=school_snapshot,
        position=lambda item: item,  # (the server log's row id, the event)
        send_timeout=SEND_TIMEOUT,
        audit=audit,
    )
    return await serve_live(request, feed)


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
