"""Provides `run_edge`: an edge device from its configuration, serving its API until SIGTERM or SIGINT.

Under systemd (Type=notify) it says READY=1 once the store and readers are up and the API answers,
pings the watchdog from its event loop and says STOPPING=1 on the way down (edge/web/notify.py).
"""

from __future__ import annotations

import logging

from edge.api import create_app
from edge.device.boot import Boot, BootInfo, SimBoot
from edge.device.config import EdgeConfig
from edge.device.recorder import Recorder
from edge.device.service import EdgeService, kiosk_feedback
from edge.device.storage import StoragePolicy
from edge.web.serve import serve_under_systemd
from hardware.clock import Clock, SimClock, SystemClock
from hardware.feedback import FeedbackSink, GpioFeedback, LogFeedback
from hardware.uid import Rendering

log = logging.getLogger("rollcall.edge")


def build_service(config: EdgeConfig) -> EdgeService:
    clock: Clock
    boot: Boot
    if config.sim is not None:
        clock, boot = SimClock(config.sim.start or SystemClock(config.timezone).now()), SimBoot()
    else:
        clock, boot = SystemClock(config.timezone), BootInfo()
    readers = {r.spec.id: r.place for r in config.readers}
    renderings = {
        r.spec.id: Rendering(r.spec.options["format"]) for r in config.readers if "format" in r.spec.options
    }
    recorder = Recorder(config.database, config.device_id, config.timezone, readers, boot, renderings,
                        StoragePolicy(low_free_bytes=config.low_free_bytes))  # fmt: skip
    sinks: list[FeedbackSink] = [LogFeedback()]
    if config.feedback.gpio is not None:
        sinks.append(GpioFeedback(*config.feedback.gpio))
    feedback = [kiosk_feedback(sinks, config.feedback.patterns)]
    return EdgeService(recorder, clock, [r.spec for r in config.readers], config.debounce_seconds, feedback)


async def run_edge(config: EdgeConfig) -> int:
    """Serve the device's API at `config.listen`, with its readers and alert clock, until SIGTERM or SIGINT."""
    service = build_service(config)
    app = create_app(config, service)
    log.info(
        "device %s starting: %d readers, database %s", config.device_id, len(service.readers), config.database
    )

    # The store and readers start with the app; READY follows once the API answers too.
    status = await serve_under_systemd(
        app, config.listen, f"device {config.device_id}: {len(service.readers)} readers"
    )
    log.info("device %s stopped", config.device_id)
    return status
