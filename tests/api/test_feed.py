"""The change feed: pages in seq order, the cursor, 409 on another epoch, long-poll wake-up, gzip, acknowledgement."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any

from edge.core.codec import event_to_json
from edge.device.privacy import acknowledged
from hardware.reads import CardRead
from tests.api.conftest import Device, auth, watch_subscriptions


async def tap(device: Device, n: int) -> None:
    """`n` taps at the gate, each a new event (distinct cards, so the repeat filter lets them through)."""
    clock = device.service.clock
    for student in device.evening_students()[:n]:
        await device.service.handle(CardRead("gate-in", device.card_of(student), clock.now(), clock.monotonic()))


async def pull(device: Device, query: str, role: str = "server") -> tuple[int, Any]:
    response = await device.client.get(f"/api/v1/events?{query}", headers=auth(role))
    return response.status, await response.json()


async def test_pages_follow_the_cursor_until_has_more_is_false(device: Device) -> None:
    await tap(device, 25)
    epoch = device.service.recorder.store.epoch
    seen: list[int] = []
    after, pages = 0, []
    while True:
        status, page = await pull(device, f"epoch={epoch}&after={after}&limit=10")
        assert status == 200 and page["epoch"] == epoch and page["head_seq"] == 25
        seen += [e["seq"] for e in page["events"]]
        pages.append((len(page["events"]), page["has_more"]))
        after = page["next_after"]
        if not page["has_more"]:
            break
    assert pages == [(10, True), (10, True), (5, False)]
    assert seen == list(range(1, 26)) and after == 25
    status, empty = await pull(device, f"epoch={epoch}&after=25")
    assert empty["events"] == [] and empty["next_after"] == 25 and not empty["has_more"]


async def test_the_feed_carries_each_event_exactly_as_event_to_json_shapes_it(device: Device) -> None:
    await tap(device, 3)
    student = device.evening_students()[5]
    await device.client.post("/api/v1/actions", json={"type": "check_in", "student_id": student, "note": "忘带卡 ✓"},
                             headers=auth("guard"))  # fmt: skip
    _, page = await pull(device, "after=0")
    stored = await device.service.recorder.query(lambda view: [event_to_json(e) for e in view.store.events()])
    assert page["events"] == stored
    assert page["events"][-1]["actor"] == "guard:guard-1" and page["events"][-1]["data"]["note"] == "忘带卡 ✓"
    assert page["events"][0]["clock_trusted"] is True


async def test_another_epoch_is_409_with_the_current_one(device: Device) -> None:
    await tap(device, 2)
    status, body = await pull(device, "epoch=0123456789abcdef&after=2")
    assert status == 409
    assert body["error"]["code"] == "epoch_mismatch" and body["epoch"] == device.service.recorder.store.epoch
    assert "pull again from after=0" in body["error"]["message"]
    acked = await device.service.recorder.query(lambda view: acknowledged(view.store))
    assert acked == 0  # a cursor from another database acknowledges nothing here


async def test_a_long_poll_wakes_when_a_tap_is_recorded(device: Device) -> None:
    epoch = device.service.recorder.store.epoch
    subscribed = watch_subscriptions(device.service)
    waiting = asyncio.create_task(pull(device, f"epoch={epoch}&after=0&wait=30"))
    await asyncio.wait_for(subscribed.wait(), timeout=3)  # the poll is listening (then reads, then waits)
    subscribers = device.service.subscribers
    await tap(device, 1)
    status, page = await asyncio.wait_for(waiting, timeout=3)  # far less than the 30 s asked for
    assert status == 200 and [e["seq"] for e in page["events"]] == [1]
    assert len(subscribers) == 0  # the poll let go of its subscription


async def test_a_long_poll_with_nothing_new_answers_an_empty_page_when_the_wait_is_over(device: Device) -> None:
    status, page = await asyncio.wait_for(pull(device, "after=0&wait=0.05"), timeout=3)
    assert status == 200 and page["events"] == [] and not page["has_more"]


async def test_gzip_when_the_client_asks_for_it(device: Device) -> None:
    await tap(device, 20)
    headers = auth("server") | {"Accept-Encoding": "gzip"}
    response = await device.client.get("/api/v1/events?after=0", headers=headers, auto_decompress=False)
    assert response.headers["Content-Encoding"] == "gzip"
    compressed = await response.read()
    page = json.loads(gzip.decompress(compressed))
    assert len(page["events"]) == 20 and len(compressed) < len(json.dumps(page)) / 3
    identity = auth("server") | {"Accept-Encoding": "identity"}
    plain = await device.client.get("/api/v1/events?after=0", headers=identity, auto_decompress=False)
    assert "Content-Encoding" not in plain.headers


async def test_the_servers_pull_is_its_acknowledgement_and_never_passes_the_head(device: Device) -> None:
    await tap(device, 5)
    epoch = device.service.recorder.store.epoch

    async def acked() -> int:
        return await device.service.recorder.query(lambda view: acknowledged(view.store))

    await pull(device, f"epoch={epoch}&after=3")
    assert await acked() == 3
    await pull(device, f"epoch={epoch}&after=2")  # a replay does not move it back
    assert await acked() == 3
    await pull(device, f"epoch={epoch}&after=999")  # nor past what exists
    assert await acked() == 5
    await pull(device, "after=4", role="admin")  # an admin reading the feed acknowledges nothing
    await tap(device, 8)
    await pull(device, "after=7", role="admin")
    assert await acked() == 5


async def test_limit_is_capped(device: Device) -> None:
    status, body = await pull(device, "after=0&limit=5001")
    assert status == 400 and "from 1 to 5000" in body["error"]["message"]
