"""Provides `POST /api/v1/sessions/{id}/report/sign`: a zero report signed by a staff member who shows who they are.

`{"staff_id": ..., "pin": ..., "card_event": ...}`: a console (a guard's or teacher's token) must
bring the signer's proof — `card_event`, the uuid of their staff card's tap at a reader in the last
two minutes, or `pin`, the PIN the office set for them (edge.core.pins). An admin token (the school
server forwarding its office page, whose user signed in with their own password) may leave both out.
Wrong PINs are throttled per staff member on this device (`WRONG_LIMIT` in `WRONG_WINDOW` locks
PIN signing for `LOCK_FOR`); the PIN is neither logged, audited nor recorded.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiohttp import web

from edge.api.actions import announce
from edge.api.audit import audit
from edge.api.keys import OPTIONS, SERVICE
from edge.core.model import School, StaffRole
from edge.core.pins import WRONG_LIMIT, PinThrottle
from edge.core.rules import ActionError, Context, Decision, Proof, decide_sign
from edge.web.errors import NotFound
from edge.web.keys import IDENTITY
from edge.web.parse import field, fields, read_json
from edge.web.routing import ADMIN

log = logging.getLogger("rollcall.api")


class WrongPins:
    """The device's wrong-PIN throttle (in memory, changed on the event loop only)."""

    def __init__(self) -> None:
        self.throttle = PinThrottle()


WRONG_PINS = web.AppKey("wrong_pins", WrongPins)
SIGN_FIELDS = ("staff_id", "pin", "card_event")


def signers(school: School) -> list[dict[str, Any]]:
    """Who may sign a report, for the console to offer by name: the duty teachers and leaders, with
    whether the office set them a PIN (never the hash)."""
    found = [s for s in school.staff.values() if s.role is not StaffRole.GUARD]
    return [{"id": s.id, "name": s.name, "role": s.role.value, "pin": bool(s.pin_hash)}
            for s in sorted(found, key=lambda s: (s.name, s.id))]  # fmt: skip


async def sign(request: web.Request) -> web.Response:
    service, pins = request.app[SERVICE], request.app[WRONG_PINS]
    body = fields(await read_json(request, request.app[OPTIONS].body_limit), SIGN_FIELDS)
    staff_id, session_id = field(body, "staff_id", str), request.match_info["id"]
    pin, card_event = field(body, "pin", str, ""), field(body, "card_event", str, "")
    identity = request[IDENTITY]
    now = service.clock.now()
    must_prove = identity.role != ADMIN or "pin" in body or "card_event" in body
    locked_until = pins.throttle.locked_until(staff_id, now)
    store = service.recorder.store

    def decide(ctx: Context) -> Decision:
        if session_id not in ctx.plan.sessions:
            raise NotFound(
                f"no session {session_id!r} today ({ctx.plan.day.isoformat()}): only today's reports are signed"
            )
        # The decider runs on the store's own thread, so it may read the card's tap from the log there.
        proof = (
            Proof(pin, store.event(card_event) if card_event else None, locked_until) if must_prove else None
        )
        return decide_sign(session_id, staff_id, ctx, proof)

    try:
        event = await service.recorder.act(decide, now, identity.actor)
    except ActionError as refused:
        if refused.code == "pin_wrong":
            raise _wrong_pin(pins, staff_id, now) from None
        raise
    if event.reason == "console_pin":
        pins.throttle = pins.throttle.after_right(staff_id)
    await audit(request, {"session": session_id, "staff": staff_id, "proof": event.reason, "seq": event.seq})
    return await announce(request, event)


def _wrong_pin(pins: WrongPins, staff_id: str, now: datetime) -> ActionError:
    """Count the wrong PIN; the one that reaches the limit is answered as the lock it starts."""
    pins.throttle = pins.throttle.after_wrong(staff_id, now)
    until, left = pins.throttle.locked_until(staff_id, now), pins.throttle.tries_left(staff_id, now)
    log.warning("wrong signing PIN for staff %s (%s more before a lock)", staff_id, 0 if until else left)
    if until is not None:
        at = until.strftime("%H:%M")
        return ActionError(f"too many wrong PINs for staff member {staff_id}: PIN signing is locked until {at}",
                           "pin_locked", until=at)  # fmt: skip
    return ActionError(f"wrong PIN for staff member {staff_id}: {left} of {WRONG_LIMIT} tries left",
                       "pin_wrong", left=str(left))  # fmt: skip
