"""The simulation endpoints: taps and the clock where `[sim]` is on; 404 everywhere else, even for admin."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import Device, auth, start_device


async def test_sim_routes_are_404_without_sim(tmp_path: Path) -> None:
    device = await start_device(tmp_path, sim=False)
    try:
        for path, body in (("/api/v1/sim/taps", {"reader_id": "gate-in", "uid": "E43AC9D2"}),
                           ("/api/v1/sim/clock", {"advance_seconds": 60})):  # fmt: skip
            response = await device.client.post(path, json=body, headers=auth("admin"))
            assert response.status == 404
            assert (await response.json())["error"] == {"code": "not_found", "message": f"no route {path}"}
        refused = await device.client.get("/api/v1/health", headers=auth("sim"))
        assert refused.status == 403  # the sim role has nothing else to do
    finally:
        await device.client.close()


async def test_taps_go_through_the_repeat_filter_and_the_rules(device: Device) -> None:
    card = device.card_of(device.evening_students()[0])
    taps = [{"reader_id": "gate-in", "uid": card}, {"reader_id": "gate-in", "uid": card},
            {"reader_id": "gate-9", "uid": "E4:3A:C9:D2"}]  # fmt: skip
    response = await device.client.post("/api/v1/sim/taps", json=taps, headers=auth("sim"))
    events = (await response.json())["events"]
    assert response.status == 201
    assert events[0]["outcome"] == "on_campus" and events[1] is None  # the same card within 3 s is one read
    assert events[2]["outcome"] == "unknown_reader" and events[2]["card_uid"] == "E43AC9D2"


async def test_the_clock_is_set_or_advanced(device: Device) -> None:
    set_to = await device.client.post("/api/v1/sim/clock", json={"at": "2026-11-30T19:00:00"}, headers=auth("sim"))
    assert (await set_to.json())["now"] == "2026-11-30T19:00:00+08:00"  # a naive time is the device's zone
    moved = await device.client.post("/api/v1/sim/clock", json={"advance_seconds": 90.5}, headers=auth("sim"))
    assert (await moved.json())["now"] == "2026-11-30T19:01:30.500000+08:00"
    assert device.service.clock.now().isoformat() == "2026-11-30T19:01:30.500000+08:00"
