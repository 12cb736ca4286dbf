"""Provides `GET /healthz` (public liveness, nothing personal) and `GET /api/v1/health` (the device's state)."""

from __future__ import annotations

import shutil
from importlib import metadata
from typing import Any

from aiohttp import web

from edge.api.feed_reads import FEED_READS
from edge.api.keys import CONFIG, SERVICE
from edge.device.privacy import acknowledged
from edge.device.recorder import View
from edge.web.errors import dumps
from edge.web.live import LIVE
from edge.web.parse import query
from edge.web.routing import ANY_OBJECT, GUARD, SERVER, STRING, TEACHER, Route, json_ok, obj, roles


def _version() -> str:
    try:
        return metadata.version("rollcall")
    except metadata.PackageNotFoundError:
        return "unknown"


async def healthz(request: web.Request) -> web.Response:
    query(request, ())
    return web.json_response({"status": "ok"})


async def health(request: web.Request) -> web.Response:
    query(request, ())
    app = request.app
    config, service = app[CONFIG], app[SERVICE]
    recorder = service.recorder
    boot_id, boottime_ns = recorder.boot.stamp()

    def from_store(view: View) -> tuple[int, dict[str, Any]]:
        return acknowledged(view.store), view.store.datasets_installed()

    server_ack, datasets = await recorder.query(from_store)
    states = service.reader_states
    disk = shutil.disk_usage(config.data_dir)
    body = {
        "device": config.device_id,
        "version": _version(),
        "clock": {
            "now": service.clock.now().isoformat(),
            "trusted": recorder.boot.clock_trusted(),
            "boot_id": boot_id,
            "boottime_ns": boottime_ns,
            "simulated": config.sim is not None,
        },
        "readers": [
            {"id": r.spec.id, "protocol": r.spec.protocol, "role": r.place.role.value, "room": r.place.room_id,
             "state": states.get(r.spec.id, "unknown")}
            for r in config.readers
        ],  # fmt: skip
        "log": {"epoch": recorder.store.epoch, "head_seq": await app[FEED_READS].head_seq()},
        "sync": {"server_ack": server_ack},
        "datasets": datasets,
        "live_clients": len(app[LIVE].clients),
        "disk": {"free_bytes": disk.free, "total_bytes": disk.total},
    }
    return web.json_response(body, dumps=dumps)


HEALTH = obj(
    {
        "device": STRING,
        "version": STRING,
        "clock": ANY_OBJECT,
        "readers": {"type": "array", "items": ANY_OBJECT},
        "log": obj({"epoch": STRING, "head_seq": {"type": "integer"}}),
        "sync": ANY_OBJECT,
        "datasets": ANY_OBJECT,
        "disk": ANY_OBJECT,
    }
)

HEALTHZ = Route(
    "GET",
    "/healthz",
    healthz,
    frozenset(),
    "Liveness, without a token and without personal data",
    responses=json_ok("the API is up", obj({"status": {"type": "string", "enum": ["ok"]}})),
)

ROUTES = (
    HEALTHZ,
    Route(
        "GET",
        "/api/v1/health",
        health,
        roles(SERVER, GUARD, TEACHER),
        "Device, version, clock, readers, log head, sync state, datasets, disk",
        responses=json_ok("the device's state", HEALTH),
    ),
)
