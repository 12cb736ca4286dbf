"""Provides `GET /api/v1/health` (the server, and each device's pull: lag in events and seconds) and `GET /metrics`."""

from __future__ import annotations

import shutil
from datetime import datetime
from importlib import metadata
from typing import Any

from aiohttp import web

from edge.api.health import HEALTHZ
from edge.web.errors import dumps
from edge.web.live import LIVE
from edge.web.parse import query
from edge.web.routing import ANY_OBJECT, GUARD, SERVER, STRING, TEACHER, Route, json_ok, obj, roles
from hardware.clock import SystemClock
from sync import datasets
from sync.api.keys import SCHOOL
from sync.notify import outbox_counts
from sync.server import SchoolServer
from sync.status import DeviceStatus
from sync.store import ServerStore


def device_line(school: SchoolServer, status: DeviceStatus, now: datetime) -> dict[str, Any]:
    device = school.config.device(status.device)
    clock = status.clock
    return {
        "id": status.device,
        "url": device.url if device else "",
        "state": status.state,
        "offline": status.offline(school.config.pull.offline_after),
        "epoch": status.epoch,
        "after": status.after,
        "head_seq": status.head_seq,
        "lag_events": status.lag_events,
        "lag_seconds": round(status.lag_seconds(), 3),
        "last_contact": status.last_contact.isoformat() if status.last_contact else None,
        "last_error": status.last_error,
        "errors": dict(status.errors),
        "stored": status.stored,
        "time_flags": dict(status.flags),
        "clock": {"boot_id": clock.boot_id, "trusted": clock.trusted} if clock else None,
        "datasets_behind": status.datasets_behind,
        "push_error": status.push_error,
        "disk": status.health.get("disk"),
    }


def _from_store(store: ServerStore) -> dict[str, Any]:
    return {
        "head": int(store.db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]),
        "datasets": {
            v.name: {"version": v.version, "sha256": v.sha256} for v in datasets.latest(store.db).values()
        },
        "alarms": store.alarms(),
        "outbox": {f"{target}:{state}": n for (target, state), n in outbox_counts(store).items()},
        "unplaced": store.unplaced(),
    }


async def health(request: web.Request) -> web.Response:
    query(request, ())
    school = request.app[SCHOOL]
    now = school.clock.now()
    held = await school.writer.run(_from_store)
    devices = [device_line(school, status, now) for status in school.statuses.values()]
    readers = [
        {"id": f"{status.device}/{r.get('id', '')}", "device": status.device, "role": r.get("role", ""),
         "room": r.get("room", ""), "state": r.get("state", "unknown")}
        for status in school.statuses.values() for r in status.readers()
    ]  # fmt: skip
    disk = shutil.disk_usage(school.config.data_dir)
    body = {
        "device": school.config.server_id,  # the same key as a device's health: a console shows either
        "role": "server",
        "version": _version(),
        "clock": {"now": now.isoformat(), "trusted": True, "simulated": not _system_clock(school)},
        "readers": readers,
        "log": {"head_seq": held["head"]},
        "sync": {"devices": len(devices), "caught_up": sum(d["state"] == "caught_up" for d in devices)},
        "devices": devices,
        "datasets": held["datasets"],
        "alarms": held["alarms"],
        "notifications": held["outbox"],
        "unplaced_events": held["unplaced"],
        "live_clients": len(request.app[LIVE].clients),
        "disk": {"free_bytes": disk.free, "total_bytes": disk.total},
    }
    return web.json_response(body, dumps=dumps)


def _system_clock(school: SchoolServer) -> bool:
    return isinstance(school.clock, SystemClock)


def _version() -> str:
    try:
        return metadata.version("rollcall")
    except metadata.PackageNotFoundError:
        return "unknown"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _gauge(lines: list[str], name: str, help_text: str, kind: str, values: list[tuple[str, float]]) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {value:g}" for labels, value in values]


async def metrics(request: web.Request) -> web.Response:
    query(request, ())
    school = request.app[SCHOOL]
    held = await school.writer.run(_from_store)
    statuses = list(school.statuses.values())

    def each(value: Any) -> list[tuple[str, float]]:
        return [(f'{{device="{_label(s.device)}"}}', float(value(s))) for s in statuses]

    lines: list[str] = []
    _gauge(
        lines,
        "rollcall_server_device_lag_events",
        "Events on the device not yet on the server.",
        "gauge",
        each(lambda s: s.lag_events),
    )
    lag = each(lambda s: s.lag_seconds())
    _gauge(
        lines,
        "rollcall_server_device_lag_seconds",
        "Seconds since the server last held all of the device's log (0 while it does).",
        "gauge",
        lag,
    )
    _gauge(
        lines,
        "rollcall_server_device_up",
        "1 when the device answered within pull.offline_after.",
        "gauge",
        each(lambda s: 0 if s.offline(school.config.pull.offline_after) else 1),
    )
    _gauge(
        lines,
        "rollcall_server_ingest_stopped",
        "1 when the device's ingest is stopped (a gap: see the alarms).",
        "gauge",
        each(lambda s: s.state == "stopped"),
    )
    _gauge(
        lines,
        "rollcall_server_events_stored_total",
        "Events stored since the process started.",
        "counter",
        each(lambda s: s.stored),
    )
    _gauge(
        lines,
        "rollcall_server_pull_errors_total",
        "Failed pulls since the process started.",
        "counter",
        each(lambda s: sum(s.errors.values())),
    )
    _gauge(
        lines,
        "rollcall_server_datasets_behind",
        "Datasets the device does not hold at the server's version.",
        "gauge",
        [(labels, v) for labels, v in each(lambda s: s.datasets_behind) if v >= 0],
    )
    _gauge(
        lines,
        "rollcall_server_log_head",
        "The server log's last row id (every device's events).",
        "gauge",
        [("", held["head"])],
    )
    _gauge(
        lines,
        "rollcall_server_dataset_version",
        "The latest version of each dataset.",
        "gauge",
        [(f'{{name="{name}"}}', v["version"]) for name, v in sorted(held["datasets"].items())],
    )
    _gauge(
        lines,
        "rollcall_server_alarms_open",
        "Alarms not yet resolved (gaps, rolled-back logs).",
        "gauge",
        [("", len(held["alarms"]))],
    )
    kinds: dict[str, int] = {}
    for alert in school.alerts:
        kinds[alert.kind] = kinds.get(alert.kind, 0) + 1
    _gauge(
        lines,
        "rollcall_server_alerts",
        "Alerts that hold now, by kind.",
        "gauge",
        [(f'{{kind="{kind}"}}', n) for kind, n in sorted(kinds.items())],
    )
    _gauge(
        lines,
        "rollcall_server_notifications",
        "Notifications by target and state (pending, sent, failed).",
        "gauge",
        [
            (f'{{target="{_label(k.rpartition(":")[0])}",state="{k.rpartition(":")[2]}"}}', n)
            for k, n in sorted(held["outbox"].items())
        ],
    )
    _gauge(
        lines,
        "rollcall_server_events_unplaced",
        "Events whose time is not known (untrusted, or in the future).",
        "gauge",
        [(f'{{flag="{flag}"}}', n) for flag, n in sorted(held["unplaced"].items())],
    )
    _gauge(lines, "rollcall_server_live_clients", "Live (WebSocket) clients connected.", "gauge",
           [("", len(request.app[LIVE].clients))])  # fmt: skip
    body = ("\n".join(lines) + "\n").encode("utf-8")
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


HEALTH = obj(
    {
        "device": STRING,
        "role": {"const": "server"},
        "version": STRING,
        "clock": ANY_OBJECT,
        "readers": {"type": "array", "items": ANY_OBJECT},
        "log": obj({"head_seq": {"type": "integer"}}),
        "devices": {"type": "array", "items": ANY_OBJECT},
        "datasets": ANY_OBJECT,
        "alarms": {"type": "array", "items": ANY_OBJECT},
        "disk": ANY_OBJECT,
    }
)

ROUTES = (
    HEALTHZ,
    Route(
        "GET",
        "/api/v1/health",
        health,
        roles(SERVER, GUARD, TEACHER),
        "The server and each device: pull state, lag in events and seconds, clocks, datasets, alarms, disk",
        responses=json_ok("the server's state", HEALTH),
    ),
    Route(
        "GET",
        "/metrics",
        metrics,
        roles(SERVER),
        "Prometheus metrics: per-device lag, errors, stopped ingest, datasets, alerts, notifications",
        responses={200: ("Prometheus text format 0.0.4", {"text/plain": {"type": "string"}})},
    ),
)
