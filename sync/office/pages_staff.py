"""Provides the office's signing PINs: `POST /office/staff/{id}/pin` sets a staff member's PIN (4-8 digits).

The PIN is kept only as its salted hash (edge.core.pins), as the staff dataset's `pin_hash`: the next
version of that dataset takes it to every device, where a console signing a zero report as that
staff member must give it (or tap their staff card). The PIN is neither stored, logged nor audited.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from edge.core.pins import hash_pin, valid_pin
from sync.office.pages_uploads import uploads_page
from sync.office.publish import publish, rows_of
from sync.office.web import audit, field, need, text
from sync.store import ServerStore


async def set_pin(request: web.Request) -> web.StreamResponse:
    user = need(request, "uploads")
    staff_id, pin = request.match_info["id"], field(request, "pin", 16)
    if not valid_pin(pin):
        return await uploads_page(request, message=text(request, "office.staff.pin_invalid"), status=422)
    pin_hash = await asyncio.to_thread(hash_pin, pin)

    def with_pin(store: ServerStore) -> dict[str, Any]:
        staff = rows_of(store, "staff")
        if not any(row.get("id") == staff_id for row in staff):
            return {}
        return {
            "staff": [row | {"pin_hash": pin_hash} if row.get("id") == staff_id else row for row in staff]
        }

    made = await publish(request, with_pin, f"office pin for {staff_id} {user.role}:{user.username}")
    if not made:
        return await uploads_page(
            request, message=text(request, "office.staff.no_such", id=staff_id), status=404
        )
    await audit(request, {"pin_set": staff_id, "versions": made})
    return await uploads_page(request, message=text(request, "office.staff.pin_set", id=staff_id))


ROUTES = (("POST", "/staff/{id}/pin", set_pin),)
