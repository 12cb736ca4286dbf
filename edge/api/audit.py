"""Provides `audit(request, what)`: one durable audit row for a read of personal data or an override.

Written through the recorder's thread (the store's one writer) and awaited before the answer
goes out, so nothing personal leaves the device unrecorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge.api.keys import IDENTITY, SERVICE
from edge.privacy import audit as write_audit


async def audit(request: web.Request, what: Mapping[str, Any]) -> None:
    service = request.app[SERVICE]
    identity = request[IDENTITY]
    route = request.match_info.route.resource
    entry = {
        "at": service.clock.now().isoformat(),
        "actor": identity.actor,
        "role": identity.role,
        "address": request.remote or "",
        "route": f"{request.method} {route.canonical if route else request.path}",
        "what": json.dumps(what, ensure_ascii=False, sort_keys=True),
    }
    await service.recorder.write(lambda store: write_audit(store, entry))
