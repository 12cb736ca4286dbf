"""Readers and actors by the names people read: a configured reader name, a default from role and room."""

from __future__ import annotations

from edge.core.places import actor_label, reader_label
from edge.device.config import parse_config
from tests.api.conftest import Device, auth


def test_a_reader_has_the_name_the_config_gives_it_and_none_is_needed() -> None:
    raw = {
        "device": {"id": "d1", "data_dir": "data", "production": False},
        "sim": {},
        "readers": [
            {"id": "gate-in", "protocol": "sim", "role": "gate-in", "name": " 东门入口 "},
            {"id": "room-r301", "protocol": "sim", "role": "room", "room": "r301"},
        ],
    }
    config = parse_config(raw, "edge.toml")
    assert [r.name for r in config.readers] == ["东门入口", ""]


def test_default_names_say_the_role_and_room_never_the_id() -> None:
    assert reader_label("gate-in", "", "", "zh") == "校门入口"
    assert reader_label("room", "301教室", "", "zh") == "301教室门口"
    assert reader_label("room", "Room 301", "", "en") == "Room 301 door"
    assert reader_label("gate-in", "", "东门入口", "en") == "东门入口"
    assert actor_label("guard:demo-guard", "zh") == "门卫"
    assert actor_label("guard:王师傅", "zh") == "门卫 王师傅"
    assert actor_label("rollcall", "zh") == "系统"
    assert actor_label("robot", "en") == "other"


async def test_health_names_each_reader(device: Device) -> None:
    response = await device.client.get("/api/v1/health", headers=auth("guard"))
    names = {r["id"]: r["name"] for r in (await response.json())["readers"]}
    assert names["gate-in"] == "校门入口"
    assert all(name and name != reader_id for reader_id, name in names.items())
    english = await device.client.get("/api/v1/health", headers=auth("guard") | {"Accept-Language": "en"})
    assert {r["id"]: r["name"] for r in (await english.json())["readers"]}["gate-in"] == "gate, way in"
