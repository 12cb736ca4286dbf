"""Provides `audit(request, what)`: one durable audit row for a read of personal data or an override.

Written through the recorder's thread (the store's one writer) and awaited before the answer
goes out, so nothing personal leaves the device unrecorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from edge.api.keys import IDENTITY, SERVICE
from edge.privacy import audit as write_audit


def audit_entry(request: web.Request, at: datetime, what: Mapping[str, Any]) -> dict[str, str]:
    """The audit row for this request: who (token name and role), from where, which route, about whom."""
    identity = request[IDENTITY]
    route = request.match_info.route.resource
    return {
        "at": at.isoformat(),
        "actor": identity.actor,
        "role": identity.role,
        "address": request.remote or "",
        "route": f"{request.method} {route.canonical if route else request.path}",
        "what": json.dumps(what, ensure_ascii=False, sort_keys=True),
    }


async def audit(request: web.Request, what: Mapping[str, Any]) -> None:
    service = request.app[SERVICE]
    entry = audit_entry(request, service.clock.now(), what)
    await service.recorder.write(lambda store: write_audit(store, entry))
