"""The device's disk, as the guard sees it: its own verdict (low, full) on every screen and on F6."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Static

from tests.api.conftest import Device
from tests.tui.conftest import console, running, until
from tui import tasks
from tui.widgets.status_bar import StatusBar


async def test_a_disk_running_low_is_said_on_every_screen_by_the_devices_own_threshold(
    device: Device, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "HEALTH_EVERY", 0.2)  # the console reads health every 10 s; a test need not wait
    app = console(device)
    async with running(app) as pilot:
        await until(pilot, lambda: app.board.health is not None, "the device's health")
        assert "存储" not in app.screen.query_one(StatusBar)._right().plain  # plenty of room: nothing said
        storage = device.service.recorder.storage
        storage.policy = replace(storage.policy, low_free_bytes=storage.usage()[0] * 2)  # low by its threshold
        await device.service.probe_storage()
        await until(pilot, lambda: app.board.health is not None and app.board.health.disk_state == "low",
                    "the low disk, from the device's health")  # fmt: skip
        for key in ("f1", "f4", "f6"):
            await pilot.press(key)
            await until(pilot, lambda: "存储空间不足" in app.screen.query_one(StatusBar)._right().plain, key)
        assert "存储空间不足" in str(app.screen.query_one("#device-info", Static).render())
