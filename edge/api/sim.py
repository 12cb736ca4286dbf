"""Provides the simulation endpoints: tap cards on simulated readers and set the simulated clock.

Registered only when the configuration has a `[sim]` table (and so a settable clock); on any
other device these paths answer 404. Roles `sim` and `admin`. Taps take the same path as a real
reader's (repeat filter, rules, durable store, feedback, live stream).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from edge.api.keys import CONFIG, OPTIONS, SERVICE
from edge.core.codec import event_to_json
from edge.web.errors import BadRequest, dumps
from edge.web.parse import field, fields, read_json
from edge.web.routing import EVENT, SIM, STRING, TEXT, UID, Route, json_ok, obj, roles
from hardware.clock import SimClock
from hardware.reads import CardRead, normalise_uid

MAX_TAPS = 500  # one request; a drill's whole gate rush is ~150
MAX_ADVANCE = 366 * 86400.0  # s: a year forward at most in one step


def sim_clock(request: web.Request) -> SimClock:
    clock = request.app[SERVICE].clock
    if not isinstance(clock, SimClock):  # create_app registers these routes only with a SimClock
        raise TypeError("the sim routes need the service's SimClock")
    return clock


async def taps(request: web.Request) -> web.Response:
    raw = await read_json(request, request.app[OPTIONS].body_limit)
    items = raw if isinstance(raw, list) else [raw]
    if not 1 <= len(items) <= MAX_TAPS:
        raise BadRequest(f"body: expected 1 to {MAX_TAPS} taps, got {len(items)}", code="invalid_field")
    clock, service = sim_clock(request), request.app[SERVICE]
    reads = []
    for n, item in enumerate(items):
        where = f"body[{n}]" if isinstance(raw, list) else "body"
        tap = fields(item, ("reader_id", "uid"), where)
        try:
            uid = normalise_uid(field(tap, "uid", str))
        except ValueError as error:
            raise BadRequest(f"{where}.uid: {error}", code="invalid_field") from None
        reads.append((field(tap, "reader_id", str), uid))
    events: list[dict[str, Any] | None] = []
    for reader_id, uid in reads:  # one by one, as a reader delivers them
        event = await service.handle(CardRead(reader_id, uid, clock.now(), clock.monotonic()))
        events.append(event_to_json(event) if event else None)
    return web.json_response({"events": events}, status=201, dumps=dumps)


async def set_clock(request: web.Request) -> web.Response:
    body = fields(await read_json(request, request.app[OPTIONS].body_limit), ("at", "advance_seconds"))
    if len(body) != 1:
        raise BadRequest("body: give exactly one of at, advance_seconds", code="invalid_field")
    clock, service = sim_clock(request), request.app[SERVICE]
    if "at" in body:
        text = field(body, "at", str)
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            raise BadRequest(f"at: not an ISO 8601 date and time: {text!r}", code="invalid_field") from None
        clock.set(at if at.tzinfo else at.replace(tzinfo=request.app[CONFIG].timezone))
    else:
        seconds = field(body, "advance_seconds", float)
        if not 0 <= seconds <= MAX_ADVANCE:
            raise BadRequest(f"advance_seconds: expected 0 to {MAX_ADVANCE:g}, got {seconds:g}", code="invalid_field")
        clock.set(clock.now() + timedelta(seconds=seconds))
    alerts = await service.tick()  # a drill jumping to 18:30 should see the 18:25 alerts at once
    return web.json_response({"now": clock.now().isoformat(), "alerts": [event_to_json(e) for e in alerts]},
                             dumps=dumps)  # fmt: skip


TAP = obj({"reader_id": TEXT, "uid": UID}, closed=True)

ROUTES = (
    Route(
        "POST",
        "/api/v1/sim/taps",
        taps,
        roles(SIM),
        "Tap cards on simulated readers; the events (null where the repeat filter swallowed one)",
        body={"oneOf": [TAP, {"type": "array", "items": TAP, "minItems": 1, "maxItems": MAX_TAPS}]},
        responses=json_ok("the taps' events", obj({"events": {"type": "array", "items": {"oneOf": [EVENT, {"type": "null"}]}}}), 201),
    ),
    Route(
        "POST",
        "/api/v1/sim/clock",
        set_clock,
        roles(SIM),
        "Set the simulated clock (`at`, ISO 8601) or move it forward (`advance_seconds`)",
        body={"oneOf": [obj({"at": {"type": "string", "format": "date-time"}}, closed=True),
                        obj({"advance_seconds": {"type": "number", "minimum": 0, "maximum": MAX_ADVANCE}}, closed=True)]},
        responses=json_ok("the clock's time, and alerts raised by the change", obj({"now": STRING, "alerts": {"type": "array"}})),
    ),
)
