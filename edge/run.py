"""Provides `run_edge`: an edge device from its configuration, running until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from edge.boot import Boot, BootInfo, SimBoot
from edge.config import EdgeConfig
from edge.recorder import Recorder
from edge.service import EdgeService
from hardware.clock import Clock, SimClock, SystemClock
from hardware.readers import make_reader

log = logging.getLogger("rollcall.edge")


def build_service(config: EdgeConfig) -> EdgeService:
    clock: Clock
    boot: Boot
    if config.sim is not None:
        clock, boot = SimClock(config.sim.start or SystemClock(config.timezone).now()), SimBoot()
    else:
        clock, boot = SystemClock(config.timezone), BootInfo()
    readers = {r.spec.id: r.place for r in config.readers}
    recorder = Recorder(config.database, config.device_id, config.timezone, readers, boot)
    hardware = [make_reader(r.spec, clock) for r in config.readers]
    return EdgeService(recorder, clock, hardware, config.debounce_seconds)


async def run_edge(config: EdgeConfig) -> None:
    service = build_service(config)
    await service.recorder.open()
    log.info("device %s up: %d readers, database %s", config.device_id, len(service.readers), config.database)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    running = asyncio.create_task(service.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (running, stopping):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await service.recorder.close()
        log.info("device %s stopped", config.device_id)
