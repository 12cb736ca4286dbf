"""Deeply nested JSON is a 400 in the one error shape on every device route that takes a body, never a 500.

The routes come from the table the app registered (`APP_ROUTES`), so a route added later is
covered without anyone remembering this file. The server's routes: `tests/sync/test_hostile_json.py`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from edge.web.routing import APP_ROUTES, Route
from tests.api.conftest import Device, auth
from tests.api.requests import EVENING

BODY_METHODS = ("POST", "PUT", "PATCH")
# 30,000 levels: far past the decoder's recursion limit, well inside the device's 64 KiB body cap.
DEEP = {"arrays": b"[" * 30_000, "objects": b'{"a":' * 12_000, "closed": b"[" * 20_000 + b"]" * 20_000}
PATH_VALUES = {"id": EVENING, "name": "rooms"}


def filled(route: Route, values: dict[str, str]) -> str:
    """The route's path with each `{param}` filled in from `values` ("PATH:param" first, then "param")."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = values.get(f"{route.path}:{name}", values.get(name))
        assert found is not None, f"{route.method} {route.path}: give the test a value for {{{name}}}"
        return found

    return re.sub(r"\{(\w+)\}", value, route.path)


def body_routes(client: TestClient[Any, Any]) -> list[Route]:
    return [r for r in client.app[APP_ROUTES] if r.method in BODY_METHODS]


async def assert_refused_everywhere(client: TestClient[Any, Any], headers: dict[str, str],
                                    values: dict[str, str]) -> list[str]:  # fmt: skip
    """Send each deep body to each route that takes one; the routes checked."""
    checked = []
    for route in body_routes(client):
        url = filled(route, values)
        for kind, raw in DEEP.items():
            response = await client.request(route.method, url, data=raw, headers=headers)
            assert response.content_type == "application/json", (route.path, kind)
            body = await response.json()
            where = f"{route.method} {route.path} with nested {kind}: {response.status} {body}"
            assert 400 <= response.status < 500, where
            assert set(body["error"]) == {"code", "message"}, where
            if route.body is not None:  # it reads a JSON body: the refusal says why
                assert response.status == 400, where
                assert body["error"] == {"code": "invalid_json", "message": "body: not valid JSON: nested too deeply"}, where
        checked.append(f"{route.method} {route.path}")
    return checked


async def test_every_route_with_a_body_refuses_deep_nesting_with_a_400(device: Device) -> None:
    checked = await assert_refused_everywhere(device.client, auth("admin"), PATH_VALUES)
    assert {"POST /api/v1/actions", "PUT /api/v1/datasets/{name}", "POST /api/v1/sim/taps"} <= set(checked)
    # And the device goes on recording.
    uid = device.card_of(device.evening_students()[0])
    tap = await device.client.post("/api/v1/sim/taps", json={"reader_id": "gate-in", "uid": uid}, headers=auth("sim"))
    assert tap.status == 201


@pytest.mark.parametrize("depth", [5, 50])
async def test_ordinary_nesting_is_still_read(device: Device, depth: int) -> None:
    # A body nested a little is parsed and then refused for what it is, not for its depth.
    raw = b'{"type": "check_in", "student_id": ' + b"[" * depth + b"]" * depth + b"}"
    response = await device.client.post("/api/v1/actions", data=raw, headers=auth("guard"))
    body = await response.json()
    assert response.status == 400 and body["error"]["message"].startswith("student_id: expected a string"), body
