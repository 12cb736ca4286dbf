"""Provides the device API's own keys (its configuration, service and options) and its tunable limits.

The keys every web app shares are in `edge.web.keys`; a component's key lives beside its type.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from edge.device.config import EdgeConfig
from edge.device.service import EdgeService


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
