"""Fixtures for the console's tests: a real edge application on loopback with the sample school, and the console on it.

The device is the API tests' (`tests/api/conftest.py`): a sim device served by aiohttp's
TestServer on 127.0.0.1, taps injected through `POST /api/v1/sim/taps` and time moved through
`POST /api/v1/sim/clock`, exactly as a drill would. The console is the real `GuardApp`, headless
under Textual's Pilot, with its own clock fixed so "offline since" is deterministic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from textual.pilot import Pilot
from textual.widgets import Input

from edge.api import create_app
from edge.cli.run import build_service
from edge.core.codec import school_to_datasets
from edge.core.model import CardKind
from tests.api.conftest import OPTIONS, TOKENS, Device, auth, config_for, school, start_device
from tui.app import GuardApp

TZ = ZoneInfo("Asia/Shanghai")
CONSOLE_NOW = datetime(2026, 11, 30, 18, 20, tzinfo=TZ)  # the console's own clock: "offline since 18:20"


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes two screenshots of the same screen differ."""
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture
async def device(tmp_path: Path) -> AsyncIterator[Device]:
    started = await start_device(tmp_path)
    yield started
    await started.client.close()


async def start_device_on(tmp_path: Path, port: int) -> Device:
    """A device like `start_device`'s, on a port chosen beforehand (a console may already be trying it)."""
    config = config_for(tmp_path / "data")
    service = build_service(config)
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(config, service, OPTIONS), port=port))
    await client.start_server()
    await service.recorder.install_datasets(school_to_datasets(school()), version=1)
    return Device(client, service, config, school())


def url_of(device: Device) -> str:
    return str(device.client.make_url("")).rstrip("/")


def console(
    device: Device | str, lang: str = "zh", export_dir: Path | None = None, monotonic: Callable[[], float] | None = None
) -> GuardApp:
    """The console on `device`, its clocks fixed (the status bar's seconds do not tick unless `monotonic` is given)."""
    url = device if isinstance(device, str) else url_of(device)
    return GuardApp(url, TOKENS["guard"], lang, export_dir, clock=lambda: CONSOLE_NOW, monotonic=monotonic or (lambda: 0.0))


@asynccontextmanager
async def running(app: GuardApp, size: tuple[int, int] = (100, 30)) -> AsyncIterator[Pilot[None]]:
    """The console, connected and with the device's sessions read, under a Pilot."""
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.board.online and bool(app.board.sessions), "the console to connect")
        yield pilot


async def until(pilot: Pilot[Any], done: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Let the app run until `done()` holds; fail naming `what` after `seconds`."""
    for _ in range(int(seconds / 0.02)):
        if done():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def tap(device: Device, reader: str, uid: str) -> dict[str, Any]:
    response = await device.client.post("/api/v1/sim/taps", json={"reader_id": reader, "uid": uid}, headers=auth("sim"))
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body["events"][0] or {}


async def set_clock(device: Device, at: str) -> None:
    response = await device.client.post("/api/v1/sim/clock", json={"at": at}, headers=auth("sim"))
    assert response.status == 200, await response.text()


async def arrive(device: Device, students: list[str], room: bool = True) -> None:
    """Tap each student in at the gate, then (unless `room` is False) at their evening room's door: one request."""
    taps = []
    for student in students:
        taps.append({"reader_id": "gate-in", "uid": device.card_of(student)})
        if room:
            taps.append({"reader_id": f"room-{room_of(device, student)}", "uid": device.card_of(student)})
    if taps:
        response = await device.client.post("/api/v1/sim/taps", json=taps, headers=auth("sim"))
        assert response.status == 201, await response.text()


def room_of(device: Device, student: str) -> str:
    return next(e.room_id for e in device.school.enrolments if e.student_id == student and e.service_id == "evening")


async def report(device: Device, session_id: str) -> dict[str, Any]:
    response = await device.client.get(f"/api/v1/sessions/{session_id}/report", headers=auth("guard"))
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


def evening_session(device: Device, student: str) -> str:
    return f"2026-11-30.evening.{room_of(device, student)}"


def teacher_card(device: Device) -> tuple[str, str]:
    """(staff id, card UID) of a duty teacher."""
    card = next(c for c in device.school.cards.values() if c.kind is CardKind.STAFF and c.holder_id.startswith("t"))
    return card.holder_id, card.uid
