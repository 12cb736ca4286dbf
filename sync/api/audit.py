"""Provides `audit(request, what)`: one durable audit row for a read of personal data or an action, before answering."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge.api.keys import IDENTITY
from sync.api.keys import SCHOOL


async def audit(request: web.Request, what: Mapping[str, Any]) -> None:
    school = request.app[SCHOOL]
    identity = request[IDENTITY]
    route = request.match_info.route.resource
    entry = {
        "at": school.clock.now().isoformat(),
        "actor": identity.actor,
        "role": identity.role,
        "address": request.remote or "",
        "route": f"{request.method} {route.canonical if route else request.path}",
        "what": json.dumps(what, ensure_ascii=False, sort_keys=True),
    }
    await school.writer.run(lambda store: store.audit(entry))
