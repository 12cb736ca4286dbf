"""Provides `POST /api/v1/actions`: a guard's or teacher's manual action, recorded as an event with its actor.

`{"type": "check_in" | "found" | "excuse" | "call", "student_id": ..., "note": ...}` (`call`: the guard
phoned the child's guardian; the note says what they heard),
`{"type": "release", "student_id": ..., "guardian_id": ...}`,
`{"type": "assign_card", "uid": ..., "student_id": ...}`,
`{"type": "dismiss_card", "uid": ..., "reason": ...}` (an unknown or lost card set aside, with why: every
console and the server see it as dealt with),
`{"type": "correct", "event": UUID, "reason": ...}` (a release, a "found", an excuse, a card given or
dismissed taken back, with why: a new event, never an edit). Teachers may only check in (a
forgotten card in their room); guards and admins may do all. An action the rules refuse outright
(unknown student, no session now) is a 422 and records nothing; a release to someone without
pickup rights is recorded (the refusal is an event) and answered 201 with `accepted: false`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from edge.api.audit import audit
from edge.api.keys import OPTIONS, SERVICE
from edge.core.codec import event_to_json
from edge.core.feed import describe
from edge.core.model import SIGNALS, Event, Signal
from edge.core.rules import (
    Context,
    Decision,
    decide_assign_card,
    decide_call,
    decide_check_in,
    decide_correct,
    decide_dismiss_card,
    decide_excuse,
    decide_release,
)
from edge.device.store import Store
from edge.web.auth import require
from edge.web.errors import BadRequest, dumps
from edge.web.parse import field, fields, read_json
from edge.web.routing import (
    ADMIN,
    EVENT,
    GUARD,
    NOTE,
    STRING,
    TEACHER,
    TEXT,
    UID,
    Route,
    Schema,
    json_ok,
    obj,
    roles,
)
from hardware.reads import normalise_uid

Decider = Callable[[Context], Decision]

# type -> (roles, required fields, optional fields)
ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "check_in": ((GUARD, TEACHER, ADMIN), ("student_id",), ("note",)),
    "found": ((GUARD, ADMIN), ("student_id",), ("note",)),
    "excuse": ((GUARD, ADMIN), ("student_id",), ("note",)),
    "call": ((GUARD, ADMIN), ("student_id",), ("note",)),
    "release": ((GUARD, ADMIN), ("student_id", "guardian_id"), ()),
    "assign_card": ((GUARD, ADMIN), ("uid", "student_id"), ()),
    "dismiss_card": ((GUARD, ADMIN), ("uid", "reason"), ()),
    "correct": ((GUARD, ADMIN), ("event", "reason"), ()),
}
FIELDS = {"type"} | {name for _, required, optional in ACTIONS.values() for name in (*required, *optional)}


async def act(request: web.Request) -> web.Response:
    raw = await read_json(request, request.app[OPTIONS].body_limit)
    kind = field(fields(raw, FIELDS), "type", str)
    if kind not in ACTIONS:
        raise BadRequest(f"type: expected one of {', '.join(ACTIONS)}, got {kind!r}", code="invalid_field")
    allowed_roles, required, optional = ACTIONS[kind]
    identity = require(request, allowed_roles, kind.replace("_", " "))
    body = fields(raw, {"type", *required, *optional})
    values = {name: field(body, name, str) for name in required}
    values |= {name: field(body, name, str, "") for name in optional}
    service = request.app[SERVICE]
    decide = _decider(kind, values, service.recorder.store)
    event = await service.recorder.act(decide, service.clock.now(), identity.actor)
    await audit(request, {"action": kind, "seq": event.seq} | values)
    return await announce(request, event)


def _decider(kind: str, v: dict[str, str], store: Store) -> Decider:
    if kind == "correct":  # the decider runs on the store's own thread, so it may read the log there
        return lambda ctx: decide_correct(store.event(v["event"]), v["reason"], ctx)
    if kind == "dismiss_card":
        uid = _uid(v["uid"])
        return lambda ctx: decide_dismiss_card(uid, v["reason"], ctx)
    student = v["student_id"]
    if kind == "release":
        return lambda ctx: decide_release(student, v["guardian_id"], ctx)
    if kind == "excuse":
        return lambda ctx: decide_excuse(student, ctx, v["note"])
    if kind == "call":
        return lambda ctx: decide_call(student, ctx, v["note"])
    if kind == "assign_card":
        uid = _uid(v["uid"])
        return lambda ctx: decide_assign_card(uid, student, ctx)
    return lambda ctx: decide_check_in(student, ctx, v["note"], found=kind == "found")


def _uid(text: str) -> str:
    try:
        return normalise_uid(text)
    except ValueError as error:
        raise BadRequest(f"uid: {error}", code="invalid_field") from None


async def announce(request: web.Request, event: Event) -> web.Response:
    """Tell the feedback and the live stream, and answer 201 with the event and a sentence for a person."""
    service = request.app[SERVICE]
    service.record(event)
    school = await service.recorder.query(lambda view: view.school)
    lang = "en" if request.headers.get("Accept-Language", "").lower().startswith("en") else "zh"
    answer: dict[str, Any] = {
        "accepted": SIGNALS[event.outcome] is not Signal.DENIED,
        "outcome": event.outcome.value,
        "message": describe(event, school, lang),
        "event": event_to_json(event),
    }
    return web.json_response(answer, status=201, dumps=dumps)


def _body(kind: str) -> Schema:
    _, required, optional = ACTIONS[kind]
    texts = {name: UID if name == "uid" else TEXT for name in required}
    return obj({"type": {"const": kind}} | texts, {name: NOTE for name in optional}, closed=True)


ACTION_BODY = {"oneOf": [_body(kind) for kind in ACTIONS]}
ACTED = obj({"accepted": {"type": "boolean"}, "outcome": STRING, "message": STRING, "event": EVENT})

ROUTES = (
    Route(
        "POST",
        "/api/v1/actions",
        act,
        roles(GUARD, TEACHER),
        "A manual action: check_in, found, excuse, call, release, assign_card, dismiss_card, correct (teachers: check_in only)",
        body=ACTION_BODY,
        responses=json_ok("recorded: the event; `accepted` is false for a refused release", ACTED, 201)
        | {422: ("the rules refused the action; nothing was recorded", {}),
           507: ("the device's storage is full: nothing was recorded (it records again once space is back)", {})},
    ),
)
