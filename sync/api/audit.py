"""Provides `audit(request, what)`: one durable audit row for a read of personal data or an action, before answering."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge.web.audit import audit_entry
from sync.api.keys import SCHOOL


async def audit(request: web.Request, what: Mapping[str, Any]) -> None:
    school = request.app[SCHOOL]
    entry = audit_entry(request, school.clock.now(), what)
    await school.writer.run(lambda store: store.audit(entry))
