"""`POST /api/v1/actions` with `dismiss_card` (issue 12): an unknown or lost card set aside is the device's event.

It is recorded with the guard as its actor and the reason, told to every live console, pulled by the
school server through the change feed, and taken back by a `correct` like the other guard actions.
"""

from __future__ import annotations

from typing import Any

from hardware.reads import CardRead
from tests.api.conftest import Device, auth


async def act(device: Device, body: dict[str, Any], role: str = "guard") -> tuple[int, Any]:
    response = await device.client.post("/api/v1/actions", json=body, headers=auth(role) | {"Accept-Language": "en"})
    return response.status, await response.json()


async def test_a_dismissal_is_an_event_every_console_and_the_server_see_and_it_is_taken_back(device: Device) -> None:
    clock = device.service.clock
    tapped = await device.service.handle(CardRead("gate-in", "DEADBEEF", clock.now(), clock.monotonic()))
    assert tapped is not None and tapped.outcome.value == "unknown_card"
    async with device.client.ws_connect("/api/v1/live?lang=en", headers=auth("guard")) as live:
        assert (await live.receive_json())["type"] == "snapshot"
        status, answer = await act(device, {"type": "dismiss_card", "uid": "de:ad:be:ef", "reason": "a visitor's bus card"})
        assert status == 201 and answer["accepted"] and answer["outcome"] == "card_dismissed", answer
        event = answer["event"]
        assert (event["kind"], event["card_uid"], event["actor"]) == ("dismiss_card", "DEADBEEF", "guard:guard-1")
        assert event["data"] == {"uid": "DEADBEEF", "note": "a visitor's bus card"}
        told = await live.receive_json()  # another console learns it from its live stream
        assert told["event"]["uuid"] == event["uuid"]

    pulled = await device.client.get("/api/v1/events?after=0", headers=auth("server"))
    assert [e["kind"] for e in (await pulled.json())["events"]] == ["tap", "dismiss_card"]

    status, undone = await act(device, {"type": "correct", "event": event["uuid"], "reason": "wrong card"})
    assert status == 201 and undone["outcome"] == "corrected", undone
    assert undone["event"]["reason"] == "dismissal_taken_back" and undone["event"]["data"]["target"] == event["uuid"]
    assert undone["event"]["card_uid"] == "DEADBEEF"
    status, again = await act(device, {"type": "correct", "event": event["uuid"], "reason": "again"})
    assert status == 422 and again["refusal"]["code"] == "already_corrected"


async def test_a_dismissal_of_a_childs_own_card_or_without_a_reason_is_refused_and_records_nothing(device: Device) -> None:
    card = device.card_of(device.evening_students()[0])
    recorder = device.service.recorder
    head = await recorder.query(lambda view: view.store.head_seq())
    status, answer = await act(device, {"type": "dismiss_card", "uid": card, "reason": "found on the floor"})
    assert status == 422 and answer["refusal"]["code"] == "card_not_unresolved", answer
    for body in ({"type": "dismiss_card", "uid": "DEADBEEF", "reason": " "}, {"type": "dismiss_card", "uid": "DEADBEEF"}):
        status, answer = await act(device, body)
        assert status == 400 and answer["error"]["message"].startswith("reason"), answer
    status, answer = await act(device, {"type": "dismiss_card", "uid": "DEADBEEF", "reason": "x"}, role="teacher")
    assert status == 403
    assert await recorder.query(lambda view: view.store.head_seq()) == head
