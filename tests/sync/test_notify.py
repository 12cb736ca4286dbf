"""Alerts reach webhooks in three formats (generic JSON, WeCom robot, DingTalk robot), retried, never twice.

The receiver is a real aiohttp server on loopback that records every request and can be told to
fail: HTTP 500, or a robot's `errcode`. The alert comes from real devices' events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from edge.core.codec import school_to_datasets
from hardware.clock import SimClock
from sync import datasets
from sync.view import SchoolAlert
from tests.api.conftest import school
from tests.sync.conftest import (
    EVENING,
    Edge,
    Running,
    card_of,
    evening_students,
    eventually,
    server_config,
    start_server,
)

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL (tests.pgstore)

SECRET = "SEC0123456789abcdef"


@dataclass
class Sink:
    """Records every POST; fails the first `fail[path]` of them (500 for the webhook, errcode for robots)."""

    url: str = ""
    received: list[tuple[str, float, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)

    def accepted(self, path: str) -> list[dict[str, Any]]:
        return [body for p, _, body, query in self.received if p == path and query.get("ok") == "1"]


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    found = Sink()

    async def receive(request: web.Request) -> web.Response:
        body = await request.json()
        path = request.path
        failing = found.fail.get(path, 0) > 0
        if failing:
            found.fail[path] -= 1
        query = dict(request.query) | {"ok": "0" if failing else "1"}
        found.received.append((path, time.monotonic(), body, query))
        if path == "/dingtalk":
            stamp, sign = request.query["timestamp"], request.query["sign"]
            expected = base64.b64encode(
                hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest()
            )
            assert sign == expected.decode() and abs(int(stamp) - time.time() * 1000) < 60_000
        if path == "/hook":
            return web.json_response({}, status=500 if failing else 200)
        return web.json_response(
            {"errcode": 310000 if failing else 0, "errmsg": "keywords not in content" if failing else "ok"}
        )

    app = web.Application()
    app.router.add_post("/{kind}", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield found
    await runner.cleanup()


def targets(sink: Sink) -> list[dict[str, Any]]:
    kinds = ["not_in_room"]
    return [
        {"kind": "webhook", "url": f"{sink.url}/hook", "alerts": kinds, "min_interval": 0, "name": "office"},
        {"kind": "wecom", "url": f"{sink.url}/wecom?key=abc", "alerts": kinds, "min_interval": 0},
        {"kind": "dingtalk", "url": f"{sink.url}/dingtalk?access_token=x", "secret": SECRET, "keyword": "点名",
         "alerts": kinds, "min_interval": 0},
    ]  # fmt: skip


async def with_school(running: Running) -> None:
    now = running.school.clock.now()
    await running.school.writer.run(
        lambda s: datasets.add_versions(s.db, school_to_datasets(school()), "test", now)
    )
    running.school.notifier.retry_first, running.school.notifier.retry_most = 0.05, 0.2  # type: ignore[union-attr]


async def test_an_alert_from_two_devices_reaches_three_formats_once_each_after_retries(
    tmp_path: Path, sink: Sink
) -> None:
    gate = await Edge(tmp_path / "gate").start()
    child = evening_students()[0]
    await gate.tap(1)  # at the gate at 18:20, never at the room's reader: on campus, not in room
    clock = SimClock(EVENING + timedelta(minutes=6))  # 18:26: the headcount was due at 18:25
    config = server_config(tmp_path / "server", [("gate-1", gate.url)], notify=targets(sink))
    sink.fail = {"/hook": 2, "/wecom": 1, "/dingtalk": 2}
    running = await start_server(config, clock)
    try:
        await with_school(running)
        await eventually(lambda: len(running.held()) == 1)
        await running.school.refresh()
        found = await running.school.check_alerts()
        assert [a.student_id for a in found if a.kind == "not_in_room"] == [child]
        await eventually(
            lambda: all(sink.accepted(p) for p in ("/hook", "/wecom", "/dingtalk")), what="all three"
        )
        for _ in range(3):  # the alert still holds at each check, and the server restarts: no second message
            await running.school.check_alerts()
        await running.client.close()
        running = await start_server(config, clock)
        await running.school.check_alerts()
        await eventually(lambda: not sink.fail or sum(sink.fail.values()) == 0)
        hook, wecom, dingtalk = (sink.accepted(p) for p in ("/hook", "/wecom", "/dingtalk"))
        assert len(hook) == len(wecom) == len(dingtalk) == 1
        assert [p for p, *_ in sink.received].count("/hook") == 3  # two refused, then accepted
        assert (
            hook[0]["id"] == next(a.key for a in found if a.kind == "not_in_room")
            and hook[0]["kind"] == "not_in_room"
        )
        assert hook[0]["school"] == "school" and hook[0]["student"] == {
            "class": school().students[child].class_name
        }
        assert wecom[0] == {"msgtype": "text", "text": {"content": wecom[0]["text"]["content"]}}
        assert dingtalk[0]["msgtype"] == "text" and dingtalk[0]["text"]["content"].startswith(
            "点名 【已进校门未到教室】"
        )
        name = school().students[child].name
        everything = json.dumps([body for _, _, body, _ in sink.received], ensure_ascii=False)
        assert name not in everything and name[0] + "*" in everything  # no child's name leaves the campus
        assert card_of(child) not in everything
    finally:
        await running.client.close()
        await gate.stop()


async def test_retries_back_off_and_give_up_after_an_hour(tmp_path: Path, sink: Sink) -> None:
    from datetime import UTC, datetime

    wall = [datetime.now(UTC)]
    config = server_config(tmp_path / "server", [], notify=targets(sink)[:1])
    running = await start_server(config)
    try:
        notifier = running.school.notifier
        assert notifier is not None
        notifier.retry_first, notifier.retry_most = 0.1, 10.0
        sink.fail = {"/hook": 100}
        alert = SchoolAlert("not_in_room", "not_in_room:s:x", "2026-11-30.evening.r301", "x")
        assert await notifier.enqueue([alert], school()) == 1
        assert await notifier.enqueue([alert], school()) == 0  # queued once, whatever happens
        await eventually(lambda: len(sink.received) >= 4, what="four attempts")
        times = [at for _, at, _, _ in sink.received]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert gaps[1] > gaps[0] * 1.2 and gaps[2] > gaps[1] * 1.2  # exponential, with jitter
        notifier.wall = lambda: wall[0] + timedelta(hours=2)  # an hour on, still refused: it gives up

        async def status() -> str:
            return str(
                await running.school.writer.run(
                    lambda s: s.db.execute("SELECT status FROM outbox").fetchone()[0]
                )
            )

        await eventually(lambda: status(), what="a status")
        await eventually(lambda: _is(status(), "failed"), what="the message given up")
        attempts = len(sink.received)
        await running.school.check_alerts()
        assert len(sink.received) == attempts  # and not queued again
    finally:
        await running.client.close()


async def _is(value: Any, expected: str) -> bool:
    return bool(await value == expected)
