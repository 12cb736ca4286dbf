"""Fixtures for the API tests: a sim device with the sample school, served over loopback by aiohttp's TestServer."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from edge.api import create_app
from edge.api.keys import ApiOptions
from edge.cli.run import build_service
from edge.cli.sample import sample_school
from edge.core.codec import school_to_datasets
from edge.core.model import School
from edge.core.plan import plan_day
from edge.device.config import EdgeConfig, parse_config
from edge.device.service import EdgeService

ROLES = ("server", "guard", "teacher", "admin", "sim")
TOKENS = {role: f"test-token-for-{role}-0123456789" for role in ROLES}
START = "2026-11-30T18:20:00+08:00"  # a Monday, five minutes into evening study


@cache
def school() -> School:
    return sample_school(1)


def config_for(data_dir: Path, sim: bool = True) -> EdgeConfig:
    readers: list[dict[str, Any]] = [
        {"id": "gate-in", "protocol": "sim" if sim else "ascii", "role": "gate-in"},
        {"id": "gate-out", "protocol": "sim" if sim else "ascii", "role": "gate-out"},
    ]
    readers += [
        {"id": f"room-{room}", "protocol": "sim" if sim else "ascii", "role": "room", "room": room}
        for room in school().rooms
    ]
    raw: dict[str, Any] = {
        "device": {"id": "gate-1", "data_dir": str(data_dir), "production": False},
        "api": {
            "tokens": [
                {"role": role, "name": f"{role}-1", "sha256": hashlib.sha256(token.encode()).hexdigest()}
                for role, token in TOKENS.items()
            ]
        },
        "readers": readers if sim else [],
    }
    if sim:
        raw["sim"] = {"start": START}
    return parse_config(raw, "test.toml")


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@dataclass
class Device:
    client: TestClient[Any, Any]
    service: EdgeService
    config: EdgeConfig
    school: School

    def evening_students(self) -> list[str]:
        plan = plan_day(self.school, self.service.clock.now().date(), self.config.timezone)
        return sorted({s for sid, ids in plan.expected.items() if ".evening." in sid for s in ids})

    def card_of(self, holder: str) -> str:
        return next(c.uid for c in self.school.cards.values() if c.holder_id == holder and c.status.value == "active")


def watch_subscriptions(service: EdgeService) -> asyncio.Event:
    """An event set when anyone next subscribes to the service's stream (a long-poll, a live client)."""
    subscribed = asyncio.Event()
    original = service.subscribers.subscribe

    def subscribe(size: int | None = None) -> asyncio.Queue[Any]:
        queue = original(size)
        subscribed.set()
        return queue

    service.subscribers.subscribe = subscribe  # type: ignore[method-assign]
    return subscribed


# No alert clock and no purge loop of their own: each test ticks and purges when it means to.
OPTIONS = ApiOptions(max_wait=5.0, tick_seconds=3600.0, purge_seconds=3600.0, run_service=False)


async def start_device(tmp_path: Path, sim: bool = True, options: ApiOptions = OPTIONS,
                       datasets: Mapping[str, Any] | None = None) -> Device:
    config = config_for(tmp_path / "data", sim)
    service = build_service(config)
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(config, service, options)))
    await client.start_server()
    await service.recorder.install_datasets(dict(datasets or school_to_datasets(school())), version=1)
    return Device(client, service, config, school())


@pytest.fixture
async def device(tmp_path: Path) -> AsyncIterator[Device]:
    started = await start_device(tmp_path)
    yield started
    await started.client.close()
