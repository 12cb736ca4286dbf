"""Provides the console's actions at the server: forwarded to the device where they happen, and the alerts.

An action is an event, and events are made by devices: the server forwards a check-in, a found,
an excuse or a call to the device reading the student's room (else the gate), a release or a
card assignment to the gate's device, a sign-off to the room's — with that device's `action_token`
— and answers with the device's own answer. The event comes back up with the next pull, like any
tap. The server records who asked in its audit log; the device records the action token's name.
A device that does not answer is a 503 and nothing is recorded anywhere: the console says so.

Also here: `GET /api/v1/alerts` (school-wide, with whom to call) and `GET /api/v1/students`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from edge.api.actions import ACTION_BODY, ACTIONS
from edge.api.students import find
from edge.core.codec import to_plain
from edge.core.projection import Whereabouts
from edge.core.report import student_line
from edge.web.auth import require
from edge.web.errors import ApiError, BadRequest, Conflict, dumps
from edge.web.parse import field, fields, query, query_int, read_json
from edge.web.routing import ANY_OBJECT, GUARD, STRING, TEACHER, Param, Route, json_ok, obj, roles
from sync.api.audit import audit
from sync.api.keys import SCHOOL
from sync.config import DeviceConfig
from sync.view import SchoolAlert, SchoolView

FORWARD_TIMEOUT = 10.0  # s: a guard is waiting at the gate for the answer


class DeviceUnavailable(ApiError):
    status, code = 503, "device_unreachable"


async def forward(
    request: web.Request,
    device: DeviceConfig | None,
    path: str,
    body: Mapping[str, Any],
    what: Mapping[str, Any],
) -> web.Response:
    """POST `body` to `path` on `device` with its action token; answer with the device's answer."""
    if device is None:
        raise Conflict("no device reads this room or the gate yet (the server learns readers from each device's health)",
                       code="no_device")  # fmt: skip
    if not device.action_token:
        raise Conflict(
            f"device {device.id!r} has no action_token in the server's configuration", code="no_action_token"
        )
    school = request.app[SCHOOL]
    headers = {"Authorization": f"Bearer {device.action_token}"}
    if language := request.headers.get("Accept-Language"):
        headers["Accept-Language"] = language
    try:
        async with school.session.post(f"{device.url}{path}", json=dict(body), headers=headers,
                                       timeout=aiohttp.ClientTimeout(total=FORWARD_TIMEOUT)) as response:  # fmt: skip
            status, raw = response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError) as error:
        await audit(
            request, dict(what) | {"device": device.id, "forwarded": f"failed: {type(error).__name__}"}
        )
        raise DeviceUnavailable(
            f"device {device.id!r} did not answer ({type(error).__name__}); nothing was recorded"
        ) from None
    try:
        answer = orjson.loads(raw)  # orjson refuses deep nesting with a ValueError, not a RecursionError
    except ValueError:
        answer = {"error": {"code": "device_answer", "message": raw[:200].decode("utf-8", "replace")}}
    await audit(request, dict(what) | {"device": device.id, "forwarded": status})
    if isinstance(answer, dict):
        answer["device"] = device.id
    if status >= 500:  # the device's bug is not the server's: say so in the one error shape
        raise DeviceUnavailable(f"device {device.id!r} answered HTTP {status}")
    return web.json_response(answer, status=status, dumps=dumps)


async def act(request: web.Request) -> web.Response:
    raw = await read_json(request, 64 * 1024)
    kind = field(fields(raw, {"type", "student_id", "guardian_id", "uid", "note"}), "type", str)
    if kind not in ACTIONS:
        raise BadRequest(f"type: expected one of {', '.join(ACTIONS)}, got {kind!r}", code="invalid_field")
    allowed, required, optional = ACTIONS[kind]
    require(request, allowed, kind.replace("_", " "))
    body = fields(raw, {"type", *required, *optional})
    for name in required:
        field(body, name, str)
    school = request.app[SCHOOL]
    now = school.clock.now()
    student = str(body.get("student_id", ""))

    def room(view: SchoolView) -> str:
        plan = view.plan(now.date())
        session = plan.arrival_session(student, now) or plan.leaving_session(student, now)
        return session.room_id if session else ""

    at_room = kind not in ("release", "assign_card")
    device = school.device_for(await school.query(room) if at_room else "")
    return await forward(request, device, "/api/v1/actions", body, {"action": kind} | body)


def alert_line(view: SchoolView, alert: SchoolAlert, day: str) -> dict[str, Any]:
    state = view.day(date.fromisoformat(day)).projection.state
    where = state.whereabouts.get((day, alert.student_id)) or Whereabouts()
    record = state.attendance.get((alert.session_id, alert.student_id))
    line = (
        student_line(view.school, alert.student_id, where, record.note if record else "")
        if alert.student_id
        else None
    )
    return {
        "kind": alert.kind,
        "key": alert.key,
        "session": alert.session_id,
        "student": to_plain(line) if line else None,
        "device": alert.device,
        "reader": alert.reader,
        "since": alert.since.isoformat() if alert.since else None,
        "detail": alert.detail,
    }


async def list_alerts(request: web.Request) -> web.Response:
    query(request, ())
    school = request.app[SCHOOL]
    found = await school.check_alerts()
    day = school.clock.now().date().isoformat()
    lines = await school.query(lambda view: [alert_line(view, a, day) for a in found])
    await audit(request, {"alerts": len(lines), "students": [a.student_id for a in found if a.student_id]})
    return web.json_response({"now": school.clock.now().isoformat(), "alerts": lines}, dumps=dumps)


async def search(request: web.Request) -> web.Response:
    params = query(request, ("q", "limit"))
    text = params.get("q", "").strip()
    if not text or len(text) > 64:
        raise BadRequest("q: expected 1 to 64 characters: a name, pinyin, initials, class, id or card",
                         code="invalid_parameter")  # fmt: skip
    limit = query_int(params, "limit", 20, 1, 100)
    school = request.app[SCHOOL]
    roster = await school.query(lambda view: view.school)
    # The server's cards dataset already holds the cards given out at consoles.
    found = await asyncio.to_thread(find, roster, {}, text, limit)
    await audit(request, {"q": text, "students": [s["id"] for s in found]})
    return web.json_response({"students": found}, dumps=dumps)


ROUTES = (
    Route(
        "POST",
        "/api/v1/actions",
        act,
        roles(GUARD, TEACHER),
        "A console action, forwarded to the device where it happens (its room's, or the gate's)",
        body=ACTION_BODY,
        responses=json_ok(
            "the device's answer: the event; `accepted` false for a refused release", ANY_OBJECT, 201
        )
        | {
            409: ("no device to forward to, or none with an action token", {}),
            422: ("the device's rules refused the action; nothing was recorded", {}),
            503: ("the device did not answer; nothing was recorded", {}),
        },  # fmt: skip
    ),
    Route(
        "GET",
        "/api/v1/alerts",
        list_alerts,
        roles(GUARD),
        "The alerts that hold now across every device, most urgent first, each with whom to call (audited)",
        responses=json_ok(
            "the alerts", obj({"now": STRING, "alerts": {"type": "array", "items": ANY_OBJECT}})
        ),
    ),
    Route(
        "GET",
        "/api/v1/students",
        search,
        roles(GUARD),
        "Find students by name, pinyin (zhangsan), initials (zs), class, id or card UID (audited)",
        params=(
            Param(
                "q", "query", {"type": "string", "minLength": 1, "maxLength": 64}, "what to look for", True
            ),
            Param(
                "limit", "query", {"type": "integer", "minimum": 1, "maximum": 100}, "at most this many (20)"
            ),
        ),
        responses=json_ok(
            "the students found, best first", obj({"students": {"type": "array", "items": ANY_OBJECT}})
        ),
    ),
)
