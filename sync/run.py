"""Provides `run_server`: the school server from its configuration, serving its API until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from edge import notify
from edge.api.serve import serve
from sync.app import create_app
from sync.config import ServerConfig
from sync.server import SchoolServer

log = logging.getLogger("rollcall.sync")


async def run_server(config: ServerConfig) -> int:
    """Pull every device, push datasets, serve the API at `config.listen`; 0 on a clean stop, 1 after a failure."""
    school = SchoolServer(config)
    app = create_app(config, school)
    log.info(
        "server %s starting: %d devices, database %s", config.server_id, len(config.devices), config.database
    )

    def ready(address: str) -> None:
        notify.ready(f"server {config.server_id}: {len(config.devices)} devices, API on http://{address}")

    async def stopping(app: web.Application) -> None:
        notify.stopping(f"server {config.server_id} stopping")

    app.on_shutdown.insert(0, stopping)
    pinger = asyncio.create_task(notify.watchdog_loop(), name="systemd-watchdog")
    try:
        status = await serve(app, config.listen, on_ready=ready)
    finally:
        pinger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pinger
    log.info("server %s stopped", config.server_id)
    return status
