"""Fixtures for the school server's tests: real edge devices and the real server on loopback, its store on either back end.

An `Edge` is the device's own application (`edge.api.create_app`) served by aiohttp on a fixed
loopback port, so it can be stopped and started again at the same address mid-pull. The server
runs in the test's process (`sync.app.create_app` under aiohttp's `TestServer`), with a
simulated clock set to the sample school's evening and short timeouts, so faults are found and
retried in tens of milliseconds.

The server's store is a real SQLite file, or a real PostgreSQL database (`tests.pgstore`): a
module that marks its tests `pytest.mark.usefixtures("backend")` runs each on both, and
`server_config` and the helpers that read the store (`server_held`, `Running.count`) follow the
fixture's choice.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from edge.api import create_app as create_edge_app
from edge.api.keys import ApiOptions
from edge.cli.run import build_service
from edge.core.codec import event_to_row, school_to_datasets
from edge.core.model import Event, EventKind, Outcome
from edge.device.boot import Boot
from edge.device.config import EdgeConfig
from edge.device.service import EdgeService
from edge.device.store import Store
from hardware.clock import SimClock
from hardware.reads import CardRead
from sync.app import ServerOptions, create_app
from sync.config import ServerConfig, parse_server_config
from sync.server import SchoolServer
from sync.store import ServerStore
from tests import pgstore
from tests.api.conftest import START, TOKENS, config_for, school

TZ = ZoneInfo("Asia/Shanghai")
EVENING = datetime.fromisoformat(START)  # 2026-11-30 18:20, five minutes into evening study
SERVER_TOKENS = {
    role: f"server-token-for-{role}-0123456789" for role in ("server", "guard", "teacher", "admin")
}
# The edge answers a long-poll after at most 2 s here; nothing else runs on its own.
EDGE_OPTIONS = ApiOptions(max_wait=2.0, tick_seconds=3600.0, purge_seconds=3600.0, run_service=False)
FAST_PULL = {"batch": 200, "wait": 0.5, "timeout": 1.0, "backoff_first": 0.02, "backoff_most": 0.25,
             "offline_after": 30.0, "health_every": 60.0}  # fmt: skip

Key = tuple[str, str, int, str]  # (device, epoch, seq, uuid)
STORE = {"url": ""}  # the PostgreSQL store of the test under way (`backend`); "" = SQLite in data_dir


def store_target(folder: Path) -> Path | str:
    """The store a test opens itself: the `backend` fixture's PostgreSQL database, or a SQLite file in `folder`."""
    return STORE["url"] or folder / "server.sqlite3"


@pytest.fixture(params=pgstore.BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The test once on SQLite and once on a fresh PostgreSQL database (which `server_config` then names)."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    with pgstore.database() as url:
        STORE["url"] = url
        try:
            yield "postgresql"
        finally:
            STORE["url"] = ""


@pytest.fixture(params=pgstore.BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerStore]:
    """The server's store alone, on SQLite and on a fresh PostgreSQL database, gate-1's stream e1 begun."""
    with pgstore.target(request.param, tmp_path) as target:
        found = ServerStore.open(target, TZ)
        found.switch_epoch("gate-1", "e1", 0, EVENING + timedelta(hours=1))
        yield found
        found.close()


class Edge:
    """An edge device with the sample school, its API served on 127.0.0.1 at a port that survives restarts."""

    def __init__(self, folder: Path, device_id: str = "gate-1", options: ApiOptions = EDGE_OPTIONS) -> None:
        self.folder = folder
        self.device_id = device_id
        self.options = options
        self.port = 0
        self.runner: web.AppRunner | None = None
        self._service: EdgeService | None = None

    @property
    def config(self) -> EdgeConfig:
        return replace(config_for(self.folder), device_id=self.device_id)

    @property
    def database(self) -> Path:
        return self.config.database

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service(self) -> EdgeService:
        if self._service is None:
            raise RuntimeError("the edge is not running")
        return self._service

    async def start(self, datasets: bool = True, boot: Boot | None = None) -> Edge:
        self._service = build_service(self.config)
        if boot is not None:
            self._service.recorder.boot = boot
        app = create_edge_app(self.config, self._service, self.options)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = self.runner.addresses[0][1]
        installed = await self._service.recorder.query(lambda view: view.store.dataset_version("students"))
        if datasets and not installed:
            await self._service.recorder.install_datasets(school_to_datasets(school()), version=1)
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        self.runner, self._service = None, None

    async def tap(self, count: int, reader: str = "gate-in", offset: int = 0) -> list[Event]:
        """`count` taps by different evening students (each a new event, past the repeat filter)."""
        plan_students = evening_students()
        clock = self.service.clock
        events = []
        for student in plan_students[offset : offset + count]:
            read = CardRead(reader, card_of(student), clock.now(), clock.monotonic())
            event = await self.service.handle(read)
            assert event is not None
            events.append(event)
        return events

    def epoch(self) -> str:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            return str(conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()[0])

    def held(self) -> set[Key]:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            return {
                (self.device_id, e, s, u) for e, s, u in conn.execute("SELECT epoch, seq, uuid FROM events")
            }

    def count(self) -> int:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def fill(database: Path, count: int, start: datetime, device_id: str = "gate-1", students: int = 2000,
         taps_a_day: int = 4, boot_id: str = "fill-boot", trusted: bool = True) -> None:  # fmt: skip
    """`count` valid taps appended straight into a device's log: `students` a day, `taps_a_day` each, from `start`.

    The day's taps: gate in, room, a second room tap, gate out (walked home), spread over the
    evening; the rows are the recorder's (`event_to_row`), in one transaction.
    """
    store = Store.open(database)
    rows = []
    outcomes = ((EventKind.TAP, Outcome.ON_CAMPUS, "gate-in"), (EventKind.TAP, Outcome.CHECKED_IN, "room-r301"),
                (EventKind.TAP, Outcome.ALREADY_IN, "room-r301"), (EventKind.TAP, Outcome.WALKED_HOME, "gate-out"))  # fmt: skip
    per_day = students * taps_a_day
    for n in range(count):
        day, rest = divmod(n, per_day)
        tap, student = divmod(rest, students)
        kind, outcome, reader = outcomes[tap % len(outcomes)]
        at = start + timedelta(days=day, minutes=tap * 25, seconds=student % 1200)
        session = f"{at.date().isoformat()}.evening.r301"
        event = Event(uuid.uuid4().hex, kind, outcome, at, device_id, reader_id=reader, card_uid=f"{student:08X}",
                      subject=f"x{student:05d}", data={"session": session}, boot_id=boot_id,
                      boottime_ns=1_000_000_000 + n, clock_trusted=trusted, epoch=store.epoch)  # fmt: skip
        row = event_to_row(event)
        del row["seq"]
        rows.append(row)
    with store.db.atomic():
        store.db.table("events").insert_all(rows, batch_size=5000)
    store.close()


def evening_students() -> list[str]:
    from edge.core.plan import plan_day

    plan = plan_day(school(), EVENING.date(), TZ)
    return sorted({s for sid, ids in plan.expected.items() if ".evening." in sid for s in ids})


def card_of(holder: str) -> str:
    return next(
        c.uid for c in school().cards.values() if c.holder_id == holder and c.status.value == "active"
    )


def server_config(folder: Path, edges: Iterable[tuple[str, str]], notify: list[dict[str, Any]] | None = None,
                  **pull: Any) -> ServerConfig:  # fmt: skip
    raw: dict[str, Any] = {
        "server": {"id": "school", "data_dir": str(folder)},
        "api": {
            "tokens": [
                {"role": role, "name": f"{role}-1", "sha256": hashlib.sha256(token.encode()).hexdigest()}
                for role, token in SERVER_TOKENS.items()
            ]
        },  # fmt: skip
        "pull": FAST_PULL | pull,
        "push": {"every": 0.5},
        "devices": [
            {"id": device, "url": url, "token": TOKENS["server"], "action_token": TOKENS["admin"]}
            for device, url in edges
        ],  # fmt: skip
        "notify": notify or [],
    }
    if STORE["url"]:
        raw["store"] = {"url": STORE["url"]}
    return parse_server_config(raw, "server.toml")


@dataclass
class Running:
    school: SchoolServer
    client: TestClient[Any, Any]
    config: ServerConfig

    def held(self) -> set[Key]:
        return server_held(self.config.store)

    def count(self, devices: Iterable[str]) -> int:
        names = sorted(devices)
        sql = f"SELECT COUNT(*) FROM events WHERE device IN ({', '.join('?' * len(names))})"  # noqa: S608
        return int(pgstore.rows(self.config.store, sql, names)[0][0])

    async def get(self, path: str, role: str = "admin") -> tuple[int, Any]:
        response = await self.client.get(path, headers=auth(role))
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {SERVER_TOKENS[role]}"}


def server_held(store: Path | str) -> set[Key]:
    """What the server's store holds (either back end)."""
    return {(d, e, s, u) for d, e, s, u in pgstore.rows(store, "SELECT device, epoch, seq, uuid FROM events")}


async def start_server(config: ServerConfig, clock: SimClock | None = None, seed: int = 7,
                       options: ServerOptions | None = None) -> Running:  # fmt: skip
    import random

    school_server = SchoolServer(config, clock or SimClock(EVENING), random.Random(seed))
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(config, school_server, options)))
    await client.start_server()
    return Running(school_server, client, config)


async def eventually(
    check: Callable[[], Any], within: float = 20.0, every: float = 0.05, what: str = ""
) -> None:
    """Wait until `check()` (sync or async) is true; fail after `within` seconds saying what was awaited."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what or check}")
        await asyncio.sleep(every)


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Edge]:
    device = await Edge(tmp_path / "edge").start()
    yield device
    await device.stop()


def caught_up(running: Running, *edges: Edge) -> Callable[[], bool]:
    """The server holds exactly these devices' events (and whatever it holds of other devices)."""
    names = {e.device_id for e in edges}

    def check() -> bool:
        # Counts first (cheap, every 50 ms), the whole sets once they agree.
        if running.count(names) != sum(e.count() for e in edges):
            return False
        return {key for key in running.held() if key[0] in names} == set().union(*(e.held() for e in edges))

    return check


Awaited = Callable[[], Awaitable[Any]]
Options = Mapping[str, Any]
