"""Provides the typed keys of the API's application and request state, and the API's tunable limits."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from edge.config import EdgeConfig
from edge.service import EdgeService

if TYPE_CHECKING:  # the components import this module for their keys; their types are only named here
    from edge.api.auth import Authenticator
    from edge.api.feed_reads import FeedReads
    from edge.api.live import LiveHub
    from edge.api.metrics import Metrics
    from edge.api.routing import Route

ROLES = ("server", "guard", "teacher", "admin", "sim")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: the token's role and its configured name (the audit log and events' actor)."""

    role: str
    name: str = ""

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name}" if self.name else self.role


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """Limits and intervals; the defaults are the device's, tests shorten the waits."""

    feed_limit: int = 5000  # events per page: ~1.7 MB of JSON, about 30 ms to build on a Pi 4
    max_wait: float = 30.0  # s a long-poll may hold; below common proxies' 60 s idle timeouts
    tick_seconds: float = 15.0  # alert checks: the earliest alert is due minutes after a start
    purge_seconds: float = 3600.0  # retention is counted in days; hourly is ample
    body_limit: int = 64 * 1024  # an action or a tap batch is well under 1 KiB an item
    dataset_limit: int = 32 * 1024 * 1024  # 5,000 students' cards and guardians are ~3 MB of JSON
    live_recent: int = 50  # events in a live snapshot: a guard's screen shows about 30 lines
    live_queue: int = 1000  # events buffered for one live client before it must resnapshot
    live_send_timeout: float = 30.0  # s a live client may take to accept one message before it is dropped
    run_service: bool = True  # start the readers and the alert clock with the app


CONFIG = web.AppKey("config", EdgeConfig)
SERVICE = web.AppKey("service", EdgeService)
OPTIONS = web.AppKey("options", ApiOptions)
STOPPING = web.AppKey("stopping", asyncio.Event)  # set when the app shuts down: long-polls answer at once
HALT = web.AppKey("halt", asyncio.Event)  # set to end the process (`serve`): a signal, or the service failing
FAILURES: web.AppKey[list[BaseException]] = web.AppKey("failures")  # why the background service died
AUTH: web.AppKey[Authenticator] = web.AppKey("auth")
FEED_READS: web.AppKey[FeedReads] = web.AppKey("feed_reads")
LIVE: web.AppKey[LiveHub] = web.AppKey("live")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
ROUTES: web.AppKey[tuple[Route, ...]] = web.AppKey("routes")
IDENTITY = web.RequestKey("identity", Identity)
