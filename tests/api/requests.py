"""A valid request for every route of the API, so table tests can call each one as each role."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge.cli.sample import SAMPLE_PIN
from edge.core.codec import dataset_sha256, to_plain
from tests.api.conftest import Device

EVENING = "2026-11-30.evening.r301"
_versions = itertools.count(2)


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    json: Any = None


def _dataset(device: Device) -> Call:
    rows = [{"id": room.id, "name": room.name} for room in device.school.rooms.values()]
    return Call("PUT", "/api/v1/datasets/rooms", {"version": next(_versions), "sha256": dataset_sha256(rows), "rows": rows})


def _calendar(device: Device) -> Call:
    calendar = to_plain(device.school.calendar)
    body = {"version": next(_versions), "sha256": dataset_sha256(calendar), "rows": calendar}
    return Call("PUT", "/api/v1/datasets/calendar", body)


def _teacher(device: Device) -> str:
    return next(s.id for s in device.school.staff.values() if s.role.value == "duty_teacher")


# (method, path template) -> a call that succeeds for every role the route admits.
VALID: dict[tuple[str, str], Callable[[Device], Call]] = {
    ("GET", "/healthz"): lambda d: Call("GET", "/healthz"),
    ("GET", "/api/v1/openapi.json"): lambda d: Call("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/health"): lambda d: Call("GET", "/api/v1/health"),
    ("GET", "/api/v1/events"): lambda d: Call("GET", "/api/v1/events?after=0&limit=10"),
    ("GET", "/api/v1/live"): lambda d: Call("GET", "/api/v1/live"),
    ("GET", "/api/v1/sessions"): lambda d: Call("GET", "/api/v1/sessions?date=2026-11-30"),
    ("GET", "/api/v1/sessions/{id}/report"): lambda d: Call("GET", f"/api/v1/sessions/{EVENING}/report"),
    ("GET", "/api/v1/alerts"): lambda d: Call("GET", "/api/v1/alerts"),
    ("POST", "/api/v1/sessions/{id}/report/sign"): lambda d: Call(
        "POST", f"/api/v1/sessions/{EVENING}/report/sign", {"staff_id": _teacher(d), "pin": SAMPLE_PIN}
    ),
    ("POST", "/api/v1/actions"): lambda d: Call(
        "POST", "/api/v1/actions", {"type": "check_in", "student_id": d.evening_students()[0], "note": "忘带卡"}
    ),
    ("GET", "/api/v1/students"): lambda d: Call("GET", "/api/v1/students?q=zs"),
    ("GET", "/api/v1/datasets"): lambda d: Call("GET", "/api/v1/datasets"),
    ("PUT", "/api/v1/datasets/{name}"): _dataset,
    ("PUT", "/api/v1/datasets/calendar"): _calendar,
    ("POST", "/api/v1/sim/taps"): lambda d: Call(
        "POST", "/api/v1/sim/taps", {"reader_id": "gate-in", "uid": d.card_of(d.evening_students()[1])}
    ),
    ("POST", "/api/v1/sim/clock"): lambda d: Call("POST", "/api/v1/sim/clock", {"advance_seconds": 1}),
    ("GET", "/metrics"): lambda d: Call("GET", "/metrics"),
}
