"""Provides `run_server`: the school server from its configuration, serving its API until SIGTERM or SIGINT."""

from __future__ import annotations

import logging

from edge.web.serve import serve_under_systemd
from sync.app import create_app
from sync.config import ServerConfig
from sync.server import SchoolServer

log = logging.getLogger("rollcall.sync")


async def run_server(config: ServerConfig) -> int:
    """Pull every device, push datasets, serve the API at `config.listen`; 0 on a clean stop, 1 after a failure."""
    school = SchoolServer(config)
    app = create_app(config, school)
    log.info(
        "server %s starting: %d devices, database %s",
        config.server_id,
        len(config.devices),
        config.store_label,
    )

    status = await serve_under_systemd(
        app, config.listen, f"server {config.server_id}: {len(config.devices)} devices"
    )
    log.info("server %s stopped", config.server_id)
    return status
