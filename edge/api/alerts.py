"""Provides `GET /api/v1/alerts`: the alerts that hold now, most urgent first, each with whom to call.

The live stream's snapshot carries the same list, but alerts also end without an event of their
own (a child found, a report signed, the session over), so the guard console reads them again
after each burst of events. Each line names a child and a guardian's phone: reads are audited.
"""

from __future__ import annotations

from aiohttp import web

from edge.api.audit import audit
from edge.api.keys import SERVICE
from edge.api.snapshot import alert_lines
from edge.web.errors import dumps
from edge.web.parse import query
from edge.web.routing import ANY_OBJECT, GUARD, STRING, Route, json_ok, obj, roles


async def list_alerts(request: web.Request) -> web.Response:
    query(request, ())
    service = request.app[SERVICE]
    now = service.clock.now()
    found = await service.recorder.query(lambda view: alert_lines(view, now))
    await audit(request, {"alerts": len(found), "students": [a["student"]["id"] for a in found if a["student"]]})
    return web.json_response({"now": now.isoformat(), "alerts": found}, dumps=dumps)


ROUTES = (
    Route(
        "GET",
        "/api/v1/alerts",
        list_alerts,
        roles(GUARD),
        "The alerts that hold now, most urgent first, each child with a guardian to call (audited)",
        responses=json_ok("the alerts", obj({"now": STRING, "alerts": {"type": "array", "items": ANY_OBJECT}})),
    ),
)
