"""The console against the school server: the same screens, school-wide, and its actions forwarded to the device."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from edge.core.codec import school_to_datasets
from hardware.clock import SimClock
from sync import datasets
from tests.api.conftest import school
from tests.sync.conftest import (
    EVENING,
    SERVER_TOKENS,
    Edge,
    Running,
    caught_up,
    eventually,
    server_config,
    start_server,
)
from tests.tui.conftest import CONSOLE_NOW, until
from tui.app import GuardApp
from tui.screens.alerts import AlertsScreen


@dataclass
class School:
    edge: Edge
    running: Running

    @property
    def url(self) -> str:
        return str(self.running.client.make_url("")).rstrip("/")


@pytest.fixture
async def school_server(tmp_path: Path) -> AsyncIterator[School]:
    edge = await Edge(tmp_path / "edge").start()
    config = server_config(tmp_path / "server", [("gate-1", edge.url)])
    running = await start_server(config, SimClock(EVENING + timedelta(minutes=20)))  # 18:40: headcount due
    now = running.school.clock.now()
    await running.school.writer.run(lambda s: datasets.add_versions(s.db, school_to_datasets(school()), "test", now))
    running.school.datasets_changed()
    yield School(edge, running)
    await running.client.close()
    await edge.stop()


async def test_the_console_shows_the_whole_school_and_acts_through_the_server(school_server: School) -> None:
    edge, running = school_server.edge, school_server.running
    await edge.tap(3)
    await eventually(caught_up(running, edge), what="the server's pull")
    app = GuardApp(school_server.url, SERVER_TOKENS["guard"], "zh", clock=lambda: CONSOLE_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.board.online and len(app.board.feed) == 3 and bool(app.board.sessions),
                    "the school-wide snapshot")  # fmt: skip
        tapped = await edge.tap(1, offset=9)
        await until(pilot, lambda: tapped[0].subject in [line.subject for line in app.board.feed], "the pulled tap")
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        await until(pilot, lambda: screen.highlighted is not None and screen.highlighted.student is not None, "alerts")
        found = screen.highlighted
        assert found is not None and found.student is not None
        await pilot.press("f")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the question")
        await pilot.press("enter")  # forwarded to the device, recorded there, pulled back
        await until(pilot, lambda: any(n.severity == "information" for n in app._notifications), "the answer")
        await until(pilot, lambda: found.student.id in [line.subject for line in app.board.feed], "the found event",
                    seconds=20)  # fmt: skip
