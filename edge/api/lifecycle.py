"""Provides the app's long-lived resources as `cleanup_ctx` contexts, started in order, stopped in reverse.

The recorder (the database's writer) first, then the feed's read-only connection (it needs the
database the recorder created), then the service (readers and the alert clock), then the
retention purge. On shutdown, long-polls are released and live clients told the device is going.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from edge.api.feed_reads import FEED_READS
from edge.api.keys import CONFIG, OPTIONS, SERVICE
from edge.api.metrics import METRICS
from edge.core.errors import StorageError
from edge.web.serve import background, stop
from edge.web.settings import retention_cut

log = logging.getLogger("rollcall.api")


async def recorder_ctx(app: web.Application) -> AsyncIterator[None]:
    recorder = app[SERVICE].recorder
    await recorder.open()
    yield
    await recorder.close()


async def feed_reads_ctx(app: web.Application) -> AsyncIterator[None]:
    await app[FEED_READS].open()
    yield
    await app[FEED_READS].close()


async def service_ctx(app: web.Application) -> AsyncIterator[None]:
    service, observe = app[SERVICE], app[METRICS].observe
    service.feedback.append(observe)
    task = None
    if app[OPTIONS].run_service:
        task = background(app, "edge-service", lambda: service.run(app[OPTIONS].tick_seconds))
    yield
    await stop(task)
    service.feedback.remove(observe)


async def purge_ctx(app: web.Application) -> AsyncIterator[None]:
    task = background(app, "retention-purge", lambda: _purge_forever(app))
    yield
    await stop(task)


async def _purge_forever(app: web.Application) -> None:
    config, service = app[CONFIG], app[SERVICE]
    while True:
        try:
            counts = await service.recorder.purge(retention_cut(service.clock.now(), config.retention_days))
            if any(counts.values()):
                log.info("purged events=%(events)d audit=%(audit)d projection=%(projection)d", counts)
        except StorageError as error:  # a full disk: the purge waits for space like any write (logged where refused)
            log.warning("purge_not_done: %s", error)
        except Exception:  # noqa: BLE001 (a failed purge is retried next time; it must not stop the device)
            log.exception("purge_failed")
        await asyncio.sleep(app[OPTIONS].purge_seconds)
