"""Provides `audit(request, what)`: one durable audit row for a read of personal data or an override.

Written through the recorder's thread (the store's one writer) and awaited before the answer
goes out, so nothing personal leaves the device unrecorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge.api.keys import SERVICE
from edge.device.privacy import audit as write_audit
from edge.web.audit import audit_entry


async def audit(request: web.Request, what: Mapping[str, Any]) -> None:
    service = request.app[SERVICE]
    entry = audit_entry(request, service.clock.now(), what)
    await service.recorder.write(lambda store: write_audit(store, entry))
