"""Provides `audit(request, what)`: one durable audit row for a read of personal data or an override.

Written through the recorder's thread (the store's one writer) and awaited before the answer
goes out, so nothing personal leaves the device unrecorded. On a full disk the row is written
to the journal instead (a whole line), and the read is still served.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge.api.keys import SERVICE
from edge.core.errors import StorageError
from edge.device.privacy import audit as write_audit
from edge.web.audit import audit_entry

log = logging.getLogger("rollcall.api")


async def audit(request: web.Request, what: Mapping[str, Any]) -> None:
    service = request.app[SERVICE]
    entry = audit_entry(request, service.clock.now(), what)
    try:
        await service.recorder.write(lambda store: write_audit(store, entry), f"audit row ({entry['route']})")
    except StorageError:
        # A full disk must not stop the guard's reads: the row goes to the journal, whole, instead.
        log.warning("audit_not_stored entry=%s", json.dumps(entry, ensure_ascii=False, sort_keys=True))
