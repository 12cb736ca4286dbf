"""The live stream serialises each event once per language and roster, and every client gets those very bytes.

A count of the texts made (`LiveHub.messages.made`) and the bytes each client received show the
sharing; the messages are compared with what the stream always sent (`event_to_json`, `view`).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

from edge.core.codec import event_to_json, school_to_datasets
from edge.core.feed import view
from edge.core.model import Event, School
from edge.web.live import LIVE
from tests.api.conftest import Device, auth
from tests.api.test_live import tap


async def connect(device: Device, lang: str) -> Any:
    ws = await device.client.ws_connect(f"/api/v1/live?lang={lang}", headers=auth("guard"))
    assert (await ws.receive_json())["type"] == "snapshot"
    return ws


async def events(ws: Any, count: int) -> list[str]:
    """The next `count` event messages as the text that came over the wire."""
    found: list[str] = []
    async with asyncio.timeout(5):
        while len(found) < count:
            text = await ws.receive_str()
            if json.loads(text)["type"] == "event":
                found.append(text)
    return found


def expected(event: Event, school: School, lang: str) -> dict[str, Any]:
    parts = view(event, school, lang)
    return {"type": "event", "event": event_to_json(event), "text": parts["text"], "view": parts}


async def test_each_event_is_serialised_once_per_language_and_every_client_gets_the_same_bytes(device: Device) -> None:
    chinese = [await connect(device, "zh") for _ in range(4)]
    english = [await connect(device, "en") for _ in range(2)]
    hub = device.client.app[LIVE]
    before = hub.messages.made
    tapped = [await tap(device, student) for student in device.evening_students()[:5]]
    received = {id(ws): await events(ws, 5) for ws in chinese + english}
    assert hub.messages.made - before == 5 * 2  # not 5 x 6: one text per event and language
    assert len({tuple(received[id(ws)]) for ws in chinese}) == 1
    assert len({tuple(received[id(ws)]) for ws in english}) == 1
    for lang, clients in (("zh", chinese), ("en", english)):
        for event, text in zip(tapped, received[id(clients[0])], strict=True):
            assert event is not None
            assert json.loads(text) == expected(event, device.school, lang)  # the shape the stream always sent
    for ws in chinese + english:
        await ws.close()


async def test_a_client_whose_snapshot_holds_another_roster_gets_its_own_text(device: Device) -> None:
    student = device.evening_students()[0]
    before = await connect(device, "en")
    renamed = replace(device.school.students[student], name="Renamed Child")
    school = replace(device.school, students=device.school.students | {student: renamed})
    await device.service.recorder.install_datasets(school_to_datasets(school), version=2)
    after = await connect(device, "en")
    made = device.client.app[LIVE].messages.made
    await tap(device, student)
    (old,), (new,) = await events(before, 1), await events(after, 1)
    assert device.client.app[LIVE].messages.made - made == 2
    assert device.school.students[student].name in json.loads(old)["text"]
    assert "Renamed Child" in json.loads(new)["text"]
    await before.close()
    await after.close()
