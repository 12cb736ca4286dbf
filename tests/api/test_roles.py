"""Every route with no token, a wrong token and each role: 401, 401, then 403 or 2xx as the role table says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from edge.web.routing import APP_ROUTES, Route
from tests.api.conftest import ROLES, TOKENS, Device, auth, start_device
from tests.api.requests import VALID, Call

# The role table, as the issue and DESIGN.md §7 give it; admin may use everything protected.
EXPECTED_ROLES = {
    ("GET", "/healthz"): set(),
    ("GET", "/api/v1/openapi.json"): set(),
    ("GET", "/api/v1/health"): {"server", "guard", "teacher", "admin"},
    ("GET", "/api/v1/events"): {"server", "admin"},
    ("GET", "/api/v1/live"): {"guard", "admin"},
    ("GET", "/api/v1/sessions"): {"guard", "teacher", "admin"},
    ("GET", "/api/v1/sessions/{id}/report"): {"guard", "teacher", "admin"},
    ("GET", "/api/v1/alerts"): {"guard", "admin"},
    ("POST", "/api/v1/sessions/{id}/report/sign"): {"guard", "teacher", "admin"},
    ("POST", "/api/v1/actions"): {"guard", "teacher", "admin"},
    ("GET", "/api/v1/students"): {"guard", "admin"},
    ("GET", "/api/v1/datasets"): {"server", "admin"},
    ("PUT", "/api/v1/datasets/{name}"): {"server", "admin"},
    ("PUT", "/api/v1/datasets/calendar"): {"server", "admin"},
    ("POST", "/api/v1/sim/taps"): {"sim", "admin"},
    ("POST", "/api/v1/sim/clock"): {"sim", "admin"},
    ("GET", "/metrics"): {"server", "admin"},
}


async def call(device: Device, request: Call, headers: dict[str, str]) -> tuple[int, Any]:
    """(status, JSON body or None); the live route is a WebSocket handshake."""
    client = device.client
    if request.url == "/api/v1/live":
        try:
            ws = await client.ws_connect(request.url, headers=headers)
        except aiohttp.WSServerHandshakeError as error:
            return error.status, None
        first = await ws.receive_json()
        await ws.close()
        return 101, first
    response = await client.request(request.method, request.url, json=request.json, headers=headers)
    body = await response.json() if response.content_type == "application/json" else None
    return response.status, body


async def test_every_route_is_in_the_role_table(device: Device) -> None:
    registered = {(r.method, r.path): r.roles for r in device.client.app[APP_ROUTES]}
    assert registered.keys() == EXPECTED_ROLES.keys() == VALID.keys()
    assert {key: set(roles) for key, roles in registered.items()} == EXPECTED_ROLES


@pytest.mark.parametrize("key", sorted(EXPECTED_ROLES), ids=lambda k: f"{k[0]} {k[1]}")
async def test_each_route_answers_each_caller(tmp_path: Path, key: tuple[str, str]) -> None:
    device = await start_device(tmp_path)
    try:
        route: Route = next(r for r in device.client.app[APP_ROUTES] if (r.method, r.path) == key)
        for caller, headers in [("nobody", {}), ("stranger", {"Authorization": "Bearer not-a-real-token"})]:
            status, body = await call(device, VALID[key](device), headers)
            if route.roles:
                assert status == 401, caller
                assert body is None or body["error"]["code"] == "unauthenticated"
            else:
                assert status == 200, caller
        for role in ROLES:
            status, body = await call(device, VALID[key](device), auth(role))
            if role in EXPECTED_ROLES[key] or not route.roles:
                assert 200 <= status < 300 or status == 101, (role, status, body)
            else:
                assert status == 403, (role, status, body)
                assert body is None or (body["error"]["code"] == "forbidden" and role in body["error"]["message"])
    finally:
        await device.client.close()


async def test_401_and_403_are_told_apart(device: Device) -> None:
    nobody = await device.client.get("/api/v1/events")
    wrong_role = await device.client.get("/api/v1/events", headers=auth("guard"))
    assert nobody.status == 401 and nobody.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await nobody.json())["error"]["message"].startswith("no token")
    assert wrong_role.status == 403 and "WWW-Authenticate" not in wrong_role.headers
    assert "role 'guard' may not use GET /api/v1/events" in (await wrong_role.json())["error"]["message"]


async def test_a_teacher_may_check_in_but_not_release(device: Device) -> None:
    student = device.evening_students()[0]
    guardian = next(g.id for g in device.school.guardians.values() if student in g.children)
    refused = await device.client.post(
        "/api/v1/actions", json={"type": "release", "student_id": student, "guardian_id": guardian},
        headers=auth("teacher"),
    )
    assert refused.status == 403
    assert (await refused.json())["error"]["message"] == "role 'teacher' may not release (allowed: admin, guard)"


async def test_the_token_may_come_in_the_query_only_for_the_live_stream(device: Device) -> None:
    ws = await device.client.ws_connect(f"/api/v1/live?token={TOKENS['guard']}")
    assert (await ws.receive_json())["type"] == "snapshot"
    await ws.close()
    refused = await device.client.get(f"/api/v1/sessions?token={TOKENS['guard']}")
    assert refused.status == 401
