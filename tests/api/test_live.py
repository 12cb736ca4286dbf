"""The live stream: a snapshot, then each event; a client that never reads neither blocks taps nor misses its cue."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from edge.core.model import Event, EventKind, Outcome
from edge.web.live import LIVE
from hardware.reads import CardRead
from tests.api.conftest import OPTIONS, TOKENS, Device, auth, start_device, watch_subscriptions


async def tap(device: Device, student: str, reader: str = "gate-in") -> Event | None:
    clock = device.service.clock
    return await device.service.handle(CardRead(reader, device.card_of(student), clock.now(), clock.monotonic()))


async def test_a_snapshot_then_every_new_event(device: Device) -> None:
    first = device.evening_students()[0]
    await tap(device, first)
    ws = await device.client.ws_connect("/api/v1/live?lang=en", headers=auth("guard"))
    snapshot = await ws.receive_json()
    assert snapshot["type"] == "snapshot" and snapshot["head_seq"] == 1
    assert [e["subject"] for e in snapshot["recent"]] == [first]
    evening = [s for s in snapshot["sessions"] if s["service_id"] == "evening"]
    assert len(evening) == 4 and sum(s["counts"]["enrolled"] for s in evening) == 150
    assert "alerts" in snapshot and "not_yet_arrived" in evening[0]["counts"]
    second = device.evening_students()[1]
    await tap(device, second)
    message = await asyncio.wait_for(ws.receive_json(), timeout=3)
    assert message["type"] == "event" and message["event"]["seq"] == 2 and message["event"]["subject"] == second
    assert "on campus" in message["text"] and device.school.students[second].name in message["text"]
    await ws.close()


async def test_alerts_reach_the_stream_as_events(device: Device) -> None:
    ws = await device.client.ws_connect(f"/api/v1/live?token={TOKENS['admin']}")
    assert (await ws.receive_json())["type"] == "snapshot"
    response = await device.client.post("/api/v1/sim/clock", json={"at": "2026-11-30T18:40:00+08:00"},
                                        headers=auth("sim"))  # fmt: skip
    raised = (await response.json())["alerts"]
    assert raised and {a["outcome"] for a in raised} == {"alert"}
    message = await asyncio.wait_for(ws.receive_json(), timeout=3)
    assert message["event"]["kind"] == "alert" and message["event"]["seq"] == raised[0]["seq"]
    await ws.close()


# -- a client that never reads ------------------------------------------------------------------


async def stuck_client(device: Device) -> socket.socket:
    """A WebSocket client with a tiny receive buffer that, after the handshake, reads nothing."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: it sets the window
    sock.setblocking(False)
    server = device.client.server
    await loop.sock_connect(sock, (server.host, server.port))
    request = (
        f"GET /api/v1/live?token={TOKENS['guard']} HTTP/1.1\r\nHost: {server.host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(sock, 1)  # byte by byte: leave everything after the headers unread
    assert head.startswith(b"HTTP/1.1 101")
    return sock


START = datetime.fromisoformat("2026-11-30T18:20:00+08:00")


def filler(n: int) -> Event:
    """A large event that exists only on the stream, to fill a stuck client's buffers quickly."""
    return Event(uuid.uuid4().hex, EventKind.TAP, Outcome.UNKNOWN_CARD, START, "gate-1", reader_id="gate-in",
                 card_uid=f"{n:08X}", data={"pad": "x" * 2000}, seq=10_000 + n)  # fmt: skip




@pytest.fixture
async def small_queue(tmp_path: Path) -> AsyncIterator[Device]:
    device = await start_device(tmp_path, options=replace(OPTIONS, live_queue=16))
    yield device
    await device.client.close()


async def test_a_client_that_never_reads_does_not_slow_taps_and_is_told_to_resnapshot(small_queue: Device) -> None:
    device, loop = small_queue, asyncio.get_running_loop()
    subscribed = watch_subscriptions(device.service)
    sock = await stuck_client(device)
    await asyncio.wait_for(subscribed.wait(), timeout=3)  # its sender listens, then sends the snapshot
    subscribers = device.service.subscribers
    sent = 0
    while len(subscribers) and sent < 20_000:  # until its queue overflowed and it was let go
        device.service.record(filler(sent))
        sent += 1
        await asyncio.sleep(0)  # let its sender run: it blocks once the socket is full
    assert not len(subscribers), "the stuck client's queue never overflowed"
    students = device.evening_students()[:20]
    for student in students:  # the tap path, the stuck client still connected (timeout: a hang guard)
        assert await asyncio.wait_for(tap(device, student), timeout=10) is not None
    received = b""
    async with asyncio.timeout(10):
        while b'"type": "resnapshot"' not in received:  # reading again lets the sender catch up
            received += await loop.sock_recv(sock, 65536)
        while received.count(b'"type": "snapshot"') < 2:  # the fresh snapshot after the cue
            received += await loop.sock_recv(sock, 65536)
    assert device.client.app[LIVE].resnapshots == 1
    sock.close()


async def test_a_console_that_connects_late_gets_the_days_problem_cards_from_before_its_recent_events(
    device: Device,
) -> None:
    """An unknown card at the gate, then more taps than a snapshot's recent window: the snapshot still
    carries that card's tap (and a dismissed card's tap with its dismissal), so the console's list of
    unresolved cards is the whole day's."""
    clock = device.service.clock
    for uid in ("DEAD0001", "DEAD0002"):
        await device.service.handle(CardRead("gate-in", uid, clock.now(), clock.monotonic()))
    dismissed = await device.client.post("/api/v1/actions", headers=auth("guard"),
                                         json={"type": "dismiss_card", "uid": "DEAD0002", "reason": "test card"})  # fmt: skip
    assert dismissed.status == 201, await dismissed.text()
    students = device.evening_students()
    for student in students[: OPTIONS.live_recent + 5]:
        await tap(device, student)

    ws = await device.client.ws_connect("/api/v1/live?lang=zh", headers=auth("guard"))
    snapshot = await ws.receive_json()
    await ws.close()

    recent = {e["seq"] for e in snapshot["recent"]}
    cards = [(e["card_uid"], e["outcome"]) for e in snapshot["cards"]]
    assert len(recent) == OPTIONS.live_recent and not recent & {e["seq"] for e in snapshot["cards"]}
    assert cards == [("DEAD0001", "unknown_card"), ("DEAD0002", "unknown_card"), ("DEAD0002", "card_dismissed")]
    assert len(snapshot["cards_views"]) == 3
