"""Dataset pushes: hash-checked, validated row by row, never older, and the last good version stays on any error."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from edge.core.codec import canonical_json, dataset_sha256, to_plain
from tests.api.conftest import Device, auth


async def push(device: Device, name: str, version: int, rows: Any, sha: str | None = None) -> tuple[int, Any]:
    body = {"version": version, "sha256": sha or dataset_sha256(rows), "rows": rows}
    response = await device.client.put(f"/api/v1/datasets/{name}", json=body, headers=auth("server"))
    return response.status, await response.json()


async def installed(device: Device) -> dict[str, Any]:
    response = await device.client.get("/api/v1/datasets", headers=auth("server"))
    return dict((await response.json())["datasets"])


def rooms(device: Device, rename: str = "") -> list[dict[str, Any]]:
    return [{"id": r.id, "name": rename + r.name} for r in device.school.rooms.values()]


async def room_names(device: Device) -> set[str]:
    return await device.service.recorder.query(lambda view: {r.name for r in view.school.rooms.values()})


def test_the_hash_is_over_the_documented_bytes() -> None:
    rows = [{"name": "三年级", "id": "c3", "n": [1, 2]}]
    documented = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    assert canonical_json(rows) == documented == '[{"id":"c3","n":[1,2],"name":"三年级"}]'.encode()
    assert dataset_sha256(rows) == hashlib.sha256(documented).hexdigest()


async def test_a_good_push_is_swapped_in_and_listed(device: Device) -> None:
    status, answer = await push(device, "rooms", 2, rooms(device, "新"))
    assert status == 200 and answer == {"name": "rooms", "version": 2, "sha256": dataset_sha256(rooms(device, "新")),
                                        "installed": True}  # fmt: skip
    assert all(name.startswith("新") for name in await room_names(device))
    listed = await installed(device)
    assert listed["rooms"]["version"] == 2 and listed["rooms"]["sha256"] == answer["sha256"]
    assert listed["students"]["version"] == 1


async def test_a_calendar_is_an_object(device: Device) -> None:
    calendar = to_plain(device.school.calendar) | {"holidays": ["2026-12-25"]}
    status, _ = await push(device, "calendar", 2, calendar)
    assert status == 200


async def test_every_error_keeps_the_last_good_version(device: Device) -> None:
    good = rooms(device, "好")
    assert (await push(device, "rooms", 3, good))[0] == 200
    wrong_hash = await push(device, "rooms", 4, rooms(device, "坏"), sha=dataset_sha256(good))
    assert wrong_hash[0] == 422 and wrong_hash[1]["error"]["code"] == "sha256_mismatch"
    assert "sha256 of the rows is" in wrong_hash[1]["error"]["message"]
    bad_row = rooms(device, "坏")
    del bad_row[1]["name"]
    invalid = await push(device, "rooms", 4, bad_row)
    assert invalid[0] == 422 and invalid[1]["error"] == {"code": "invalid_dataset",
                                                           "message": "rooms row 2: missing field 'name'"}  # fmt: skip
    students = [to_plain(s) for s in device.school.students.values()]
    students[2]["gender"] = "unknown"
    invalid_value = await push(device, "students", 4, students)
    assert invalid_value[0] == 422 and invalid_value[1]["error"]["message"].startswith("students row 3: ")
    older = await push(device, "rooms", 2, rooms(device, "旧"))
    assert older[0] == 409 and older[1]["error"] == {"code": "version_not_newer",
                                                      "message": "dataset 'rooms' version 2 is not newer than 3"}  # fmt: skip
    equal = await push(device, "rooms", 3, rooms(device, "旧"))
    assert equal[0] == 409
    assert all(name.startswith("好") for name in await room_names(device))
    assert (await installed(device))["rooms"]["version"] == 3
