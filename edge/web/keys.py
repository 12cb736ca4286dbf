"""Provides the keys every Rollcall web app shares: who is calling, and the process's stop signals.

A component's own key lives beside its type (`AUTH` in `auth.py`, `LIVE` in `live.py`, `ROUTES` in
`routing.py`), so no module needs another's only to name a key, and nothing imports in a circle.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: the token's role and its configured name (the audit log and events' actor)."""

    role: str
    name: str = ""

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name}" if self.name else self.role


STOPPING = web.AppKey("stopping", asyncio.Event)  # set when the app shuts down: long-polls answer at once
HALT = web.AppKey("halt", asyncio.Event)  # set to end the process (`serve`): a signal, or the service failing
FAILURES: web.AppKey[list[BaseException]] = web.AppKey("failures")  # why the background service died
IDENTITY = web.RequestKey("identity", Identity)
