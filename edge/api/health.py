"""Provides `GET /healthz` (public liveness, nothing personal) and `GET /api/v1/health` (the device's state).

Both say how full the data folder is (`storage`: free bytes, the low-space threshold, and the
state: `ok`, `low` (still recording), `full` or `error` (taps refused until space is back)). The
school server keeps each device's `disk` from its health, so it sees a refusing device too.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from aiohttp import web

from edge.api.feed_reads import FEED_READS
from edge.api.keys import CONFIG, SERVICE
from edge.core.places import reader_label
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


async def device_healthz(request: web.Request) -> web.Response:
    """The device's liveness, with how full its data folder is: a full disk is the one thing it cannot fix itself."""
    query(request, ())
    storage = request.app[SERVICE].recorder.storage.status()
    keys = ("free_bytes", "threshold_bytes", "state")  # nothing more without a token: no card, no name
    return web.json_response({"status": "ok", "storage": {key: storage[key] for key in keys}})


async def health(request: web.Request) -> web.Response:
    query(request, ())
    app = request.app
    config, service = app[CONFIG], app[SERVICE]
    recorder = service.recorder
    boot_id, boottime_ns = recorder.boot.stamp()

    def from_store(view: View) -> tuple[int, dict[str, Any], dict[str, str]]:
        rooms = {room_id: room.name for room_id, room in view.school.rooms.items()}
        return acknowledged(view.store), view.store.datasets_installed(), rooms

    server_ack, datasets, rooms = await recorder.query(from_store)
    lang = "en" if request.headers.get("Accept-Language", "").lower().startswith("en") else "zh"
    states = service.reader_states
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
             "name": reader_label(r.place.role.value, rooms.get(r.place.room_id, r.place.room_id), r.name, lang),
             "state": states.get(r.spec.id, "unknown")}
            for r in config.readers
        ],  # fmt: skip
        "log": {"epoch": recorder.store.epoch, "head_seq": await app[FEED_READS].head_seq()},
        "sync": {"server_ack": server_ack},
        "datasets": datasets,
        "live_clients": len(app[LIVE].clients),
        "disk": recorder.storage.status(),
    }
    return web.json_response(body, dumps=dumps)


STATE = {"type": "string", "enum": ["ok", "low", "full", "error"]}
STORAGE = obj(
    {"free_bytes": {"type": "integer"}, "total_bytes": {"type": "integer"}, "threshold_bytes": {"type": "integer"},
     "state": STATE, "reserve": {"type": "boolean"}},
    {"since": STRING, "refused": {"type": "integer"}, "what": STRING, "detail": STRING},
)  # fmt: skip

HEALTH = obj(
    {
        "device": STRING,
        "version": STRING,
        "clock": ANY_OBJECT,
        "readers": {"type": "array", "items": ANY_OBJECT},
        "log": obj({"epoch": STRING, "head_seq": {"type": "integer"}}),
        "sync": ANY_OBJECT,
        "datasets": ANY_OBJECT,
        "disk": STORAGE,
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

DEVICE_HEALTHZ = Route(
    "GET",
    "/healthz",
    device_healthz,
    frozenset(),
    "Liveness and the data folder's free space, without a token and without personal data",
    responses=json_ok(
        "the API is up, and how full the data folder is (`state`: ok, low, full or error)",
        obj({"status": {"type": "string", "enum": ["ok"]},
             "storage": obj({"free_bytes": {"type": "integer"}, "threshold_bytes": {"type": "integer"}, "state": STATE})}),
    ),  # fmt: skip
)

ROUTES = (
    DEVICE_HEALTHZ,
    Route(
        "GET",
        "/api/v1/health",
        health,
        roles(SERVER, GUARD, TEACHER),
        "Device, version, clock, readers, log head, sync state, datasets, disk",
        responses=json_ok("the device's state", HEALTH),
    ),
)
