"""The one error shape on every route: bad JSON, wrong types, unknown fields, big bodies, bad query values.

Each refusal is a 4xx `{"error": {"code": ..., "message": ...}}` whose message names what was
wrong; afterwards the device still records taps. Only a bug is a 500, in the same shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from edge.web.routing import APP_ROUTES
from tests.api.conftest import OPTIONS, Device, auth, start_device
from tests.api.requests import EVENING, VALID

SMALL = replace(OPTIONS, body_limit=2048, dataset_limit=64 * 1024)
EMPTY_OBJECT_FOR = {"/api/v1/sim/clock": "body: give exactly one of at, advance_seconds"}

# route -> [(method, url, body, status, code, words in the message)]; body: bytes are sent raw.
BAD: dict[tuple[str, str], list[tuple[str, str, Any, int, str, str]]] = {
    ("GET", "/healthz"): [("GET", "/healthz?verbose=1", None, 400, "invalid_parameter", "verbose: unknown query")],
    ("GET", "/api/v1/openapi.json"): [("GET", "/api/v1/openapi.json?v=2", None, 400, "invalid_parameter", "v: unknown")],
    ("GET", "/api/v1/health"): [("GET", "/api/v1/health?x=", None, 400, "invalid_parameter", "x: unknown")],
    ("GET", "/api/v1/events"): [
        ("GET", "/api/v1/events?after=-1", None, 400, "invalid_parameter", "after: expected a whole number"),
        ("GET", "/api/v1/events?limit=abc", None, 400, "invalid_parameter", "limit: expected a whole number from 1 to 5000"),
        ("GET", "/api/v1/events?limit=0", None, 400, "invalid_parameter", "limit:"),
        ("GET", "/api/v1/events?wait=forever", None, 400, "invalid_parameter", "wait: expected a number from 0 to 30"),
        ("GET", "/api/v1/events?wait=nan", None, 400, "invalid_parameter", "wait:"),
        ("GET", "/api/v1/events?after=1&after=2", None, 400, "invalid_parameter", "after: given more than once"),
        ("GET", "/api/v1/events?since=3", None, 400, "invalid_parameter", "since: unknown query parameter"),
    ],
    ("GET", "/api/v1/live"): [("GET", "/api/v1/live", None, 400, "websocket_required", "Upgrade: websocket")],
    ("GET", "/api/v1/sessions"): [
        ("GET", "/api/v1/sessions?date=yesterday", None, 400, "invalid_parameter", "date: expected a date as YYYY-MM-DD"),
    ],
    ("GET", "/api/v1/sessions/{id}/report"): [
        ("GET", f"/api/v1/sessions/{EVENING}/report?format=pdf", None, 400, "invalid_parameter", "format: expected one of"),
        ("GET", "/api/v1/sessions/2026-11-30.evening.r999/report", None, 404, "not_found", "no session"),
        ("GET", "/api/v1/sessions/yesterday/report", None, 404, "not_found", "starts with its date"),
    ],
    ("GET", "/api/v1/alerts"): [("GET", "/api/v1/alerts?all=1", None, 400, "invalid_parameter", "all: unknown")],
    ("POST", "/api/v1/sessions/{id}/report/sign"): [
        ("POST", f"/api/v1/sessions/{EVENING}/report/sign", b"{staff_id:", 400, "invalid_json", "body: not valid JSON"),
        ("POST", f"/api/v1/sessions/{EVENING}/report/sign", {"staff_id": 7}, 400, "invalid_field", "staff_id: expected a string, got 7"),
        ("POST", f"/api/v1/sessions/{EVENING}/report/sign", {"staff_id": "t1", "by": "me"}, 400, "invalid_field", "body.by: unknown field"),
        ("POST", f"/api/v1/sessions/{EVENING}/report/sign", {}, 400, "invalid_field", "staff_id: missing"),
        ("POST", f"/api/v1/sessions/{EVENING}/report/sign", {"staff_id": "nobody"}, 422, "action_refused", "unknown staff member 'nobody'"),
        ("POST", "/api/v1/sessions/2026-12-01.evening.r301/report/sign", {"staff_id": "t"}, 404, "not_found", "only today's"),
    ],
    ("POST", "/api/v1/actions"): [
        ("POST", "/api/v1/actions", b"", 400, "invalid_json", "body: expected JSON, got an empty body"),
        ("POST", "/api/v1/actions", b"\xff\xfe", 400, "invalid_json", "not UTF-8"),
        ("POST", "/api/v1/actions", b'{"type": NaN}', 400, "invalid_json", "NaN is not JSON"),
        ("POST", "/api/v1/actions", [1, 2], 400, "invalid_field", "body: expected an object, got [1, 2]"),
        ("POST", "/api/v1/actions", {"type": "teleport"}, 400, "invalid_field", "type: expected one of check_in"),
        ("POST", "/api/v1/actions", {"type": "check_in", "student_id": True}, 400, "invalid_field", "student_id: expected a string, got true"),
        ("POST", "/api/v1/actions", {"type": "check_in", "student_id": ""}, 400, "invalid_field", "student_id: must not be empty"),
        ("POST", "/api/v1/actions", {"type": "check_in", "student_id": "s1", "uid": "AB"}, 400, "invalid_field", "body.uid: unknown field"),
        ("POST", "/api/v1/actions", {"type": "assign_card", "student_id": "s1", "uid": "zz"}, 400, "invalid_field", "uid: not a card UID"),
        ("POST", "/api/v1/actions", {"type": "check_in", "student_id": "x" * 501}, 400, "invalid_field", "longer than 500"),
        ("POST", "/api/v1/actions", {"type": "check_in", "note": "x" * 3000}, 413, "payload_too_large", "at most 2048"),
        ("POST", "/api/v1/actions", {"type": "check_in", "student_id": "s9999"}, 422, "action_refused", "unknown student 's9999'"),
    ],
    ("GET", "/api/v1/students"): [
        ("GET", "/api/v1/students", None, 400, "invalid_parameter", "q: missing"),
        ("GET", "/api/v1/students?q=zs&limit=1000", None, 400, "invalid_parameter", "limit: expected a whole number from 1 to 100"),
    ],
    ("GET", "/api/v1/datasets"): [("GET", "/api/v1/datasets?name=rooms", None, 400, "invalid_parameter", "name: unknown")],
    ("PUT", "/api/v1/datasets/{name}"): [
        ("PUT", "/api/v1/datasets/pets", {"version": 2}, 404, "not_found", "no dataset 'pets'"),
        ("PUT", "/api/v1/datasets/rooms", {"version": "2", "sha256": "0" * 64, "rows": []}, 400, "invalid_field", "version: expected an integer"),
        ("PUT", "/api/v1/datasets/rooms", {"version": 2, "sha256": "xyz", "rows": []}, 400, "invalid_field", "sha256: expected 64 hex digits"),
        ("PUT", "/api/v1/datasets/rooms", {"version": 2, "sha256": "0" * 64, "rows": {}}, 400, "invalid_field", "rows: expected an array"),
        ("PUT", "/api/v1/datasets/rooms", {"version": 2, "sha256": "0" * 64, "rows": [], "x": 1}, 400, "invalid_field", "body.x: unknown"),
        ("PUT", "/api/v1/datasets/rooms", {"version": 2, "sha256": "0" * 64, "rows": ["x" * 70_000]}, 413, "payload_too_large", "at most 65536"),
    ],
    ("PUT", "/api/v1/datasets/calendar"): [
        ("PUT", "/api/v1/datasets/calendar", {"version": 2, "sha256": "0" * 64, "rows": []}, 400, "invalid_field", "rows: expected an object, got []"),
        ("PUT", "/api/v1/datasets/calendar", {"version": 2, "sha256": "0" * 64, "rows": {}}, 422, "sha256_mismatch", "sha256 of the rows is"),
    ],
    ("POST", "/api/v1/sim/taps"): [
        ("POST", "/api/v1/sim/taps", [], 400, "invalid_field", "expected 1 to 500 taps, got 0"),
        ("POST", "/api/v1/sim/taps", [{"reader_id": "gate-in", "uid": "E4"}, {"reader_id": "gate-in"}], 400, "invalid_field", "uid: missing"),
        ("POST", "/api/v1/sim/taps", {"reader_id": "gate-in", "uid": "not hex"}, 400, "invalid_field", "body.uid: not a card UID"),
        ("POST", "/api/v1/sim/taps", "E4:3A", 400, "invalid_field", 'body: expected an object, got "E4:3A"'),
    ],
    ("POST", "/api/v1/sim/clock"): [
        ("POST", "/api/v1/sim/clock", {}, 400, "invalid_field", "give exactly one of at, advance_seconds"),
        ("POST", "/api/v1/sim/clock", {"at": "tonight"}, 400, "invalid_field", "at: not an ISO 8601"),
        ("POST", "/api/v1/sim/clock", {"advance_seconds": -5}, 400, "invalid_field", "advance_seconds: expected 0 to"),
        ("POST", "/api/v1/sim/clock", {"advance_seconds": "5"}, 400, "invalid_field", "expected a number"),
    ],
    ("GET", "/metrics"): [("GET", "/metrics?format=json", None, 400, "invalid_parameter", "format: unknown")],
}


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[Device]:
    device = await start_device(tmp_path, options=SMALL)
    yield device
    await device.client.close()


def assert_error(status: int, body: Any, expected_status: int, code: str, words: str) -> None:
    assert status == expected_status, body
    # `epoch`: the feed's 409; `refusal`: the rules' own code and parameters, for a console to say in its language
    assert set(body) <= {"error", "epoch", "refusal"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert words in body["error"]["message"]


async def test_every_route_has_bad_requests_listed(small: Device) -> None:
    assert {(r.method, r.path) for r in small.client.app[APP_ROUTES]} == BAD.keys() == VALID.keys()


@pytest.mark.parametrize("key", sorted(BAD), ids=lambda k: f"{k[0]} {k[1]}")
async def test_bad_requests_get_the_one_error_shape_and_the_device_keeps_going(small: Device, key: tuple[str, str]) -> None:
    client = small.client
    for method, url, body, status, code, words in BAD[key]:
        send: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body} if body is not None else {}
        response = await client.request(method, url, headers=auth("admin"), **send)
        assert response.content_type == "application/json"
        assert_error(response.status, await response.json(), status, code, words)
    # The wrong method on the same path: 405, same shape, with Allow.
    other = "DELETE"
    response = await client.request(other, key[1].replace("{id}", EVENING).replace("{name}", "rooms"))
    assert_error(response.status, await response.json(), 405, "method_not_allowed", "DELETE is not allowed")
    assert key[0] in response.headers["Allow"]
    # And it still works.
    tap = await client.post("/api/v1/sim/taps", json={"reader_id": "gate-in", "uid": small.card_of(small.evening_students()[0])},
                            headers=auth("sim"))  # fmt: skip
    assert tap.status == 201


async def test_an_unknown_route_is_404_in_the_shape(small: Device) -> None:
    response = await small.client.get("/api/v2/everything")
    assert_error(response.status, await response.json(), 404, "not_found", "no route /api/v2/everything")


async def test_a_chunked_body_over_the_cap_is_413(small: Device) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    response = await small.client.post("/api/v1/actions", data=chunks(), headers=auth("guard"))
    assert_error(response.status, await response.json(), 413, "payload_too_large", "at most 2048")


async def test_a_bug_is_a_500_in_the_same_shape_and_not_a_crash(small: Device, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr("edge.api.health._version", broken)
    response = await small.client.get("/api/v1/health", headers=auth("guard"))
    body = await response.json()
    assert response.status == 500 and body["error"]["code"] == "internal" and "boom" not in body["error"]["message"]
    assert (await small.client.get("/healthz")).status == 200
