"""A full disk: the data folder on a small tmpfs the test mounts, filled up and freed again.

A tap that cannot be stored is refused visibly (`not_recorded`, the fault pattern, an alert on the
live stream, 507 for a manual action, the state in health and metrics); the device never stops
(alerts falling due and readers going down stay in the task group); it starts on a full disk,
refusing; it records again by itself once space is back; nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import tty
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from edge.cli.sample import sample_school
from edge.core.codec import school_to_datasets
from edge.core.errors import StorageError, StorageFull, StoreError
from edge.core.model import Event, EventKind, Outcome, School
from edge.core.plan import plan_day
from edge.device.boot import SimBoot
from edge.device.config import ConfigError, parse_config
from edge.device.recorder import Recorder
from edge.device.service import EdgeService, kiosk_feedback
from edge.device.storage import RESERVE_NAME, StoragePolicy, StorageState
from edge.device.store import Store, storage_error
from hardware.clock import SimClock
from hardware.feedback import DEFAULT_PATTERNS, Pattern
from hardware.readers import ReaderSpec, make_reader
from hardware.sim import SimReader
from hardware.supervisor import supervise
from tests.school import READERS

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 30, 18, 20, tzinfo=TZ)  # a Monday, five minutes into evening study
MiB = 1024 * 1024
DISK = 8 * MiB
WAIT = 30.0  # s: a hang guard only, never slept (a loaded 2-core CI machine took more than 8)
TOKENS = {role: f"full-disk-token-for-{role}-0123456789" for role in ("server", "guard", "admin", "sim")}


# -- a small disk ---------------------------------------------------------------------------------


@dataclass
class SmallDisk:
    """A tmpfs of `DISK` bytes mounted for one test; `fill()` takes every free byte, `free()` gives them back."""

    path: Path

    @property
    def filler(self) -> Path:
        return self.path / "filler"

    def fill(self) -> None:
        # Unbuffered: a buffered file would hold what the disk refused and fail again on close.
        for size in (65536, 512):  # then the last pages, in 512s
            with open(self.filler, "ab", buffering=0) as out, contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * size)
        assert os.statvfs(self.path).f_bavail == 0

    def take(self, size: int) -> None:
        with open(self.filler, "ab") as out:
            out.write(b"\0" * size)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    folder = tmp_path / "data"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root and mount rights): {mounted.stderr.strip()}")
    try:
        yield SmallDisk(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)



@cache
def school() -> School:
    return sample_school(1)


def evening_cards() -> list[tuple[str, str]]:
    """(card UID, holder) of every child expected at evening study on START's day, in a fixed order."""
    plan = plan_day(school(), START.date(), TZ)
    children = sorted({s for sid, ids in plan.expected.items() if ".evening." in sid for s in ids})
    by_holder = {c.holder_id: c.uid for c in school().cards.values() if c.status.value == "active"}
    return [(by_holder[child], child) for child in children if child in by_holder]


def reader_event(n: int) -> Event:
    return Event(f"{n:032x}", EventKind.READER, Outcome.READER_UP, START, "gate-1", reader_id=f"r{n}")


class Pty:
    """A serial cable made of a pty pair: the device opens `link`; `tap()` prints a card number as an ascii reader does."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.plug()

    def plug(self) -> None:
        self.controller, self.reader_end = os.openpty()
        tty.setraw(self.reader_end)
        self.link.with_suffix(".new").unlink(missing_ok=True)
        self.link.with_suffix(".new").symlink_to(os.ttyname(self.reader_end))
        os.replace(self.link.with_suffix(".new"), self.link)

    def unplug(self) -> None:
        """Close the controller: the device's reads fail as on a pulled USB cable."""
        os.close(self.controller)
        os.close(self.reader_end)

    def tap(self, uid: str) -> None:
        os.write(self.controller, uid.encode() + b"\r\n")


# -- the error translation, with a real SQLite file ------------------------------------------------


def test_a_full_disk_is_storage_full_naming_the_write_and_nothing_is_half_written(disk: SmallDisk) -> None:
    path = disk.path / "rollcall.sqlite3"
    store = Store.open(path)
    store.append(reader_event(1), store.load_projection())
    disk.fill()
    with pytest.raises(StorageFull) as raised:
        for n in range(2, 10_000):  # the WAL may hold a few pages' room: the disk says no soon after
            store.append(reader_event(n), store.load_projection())
    assert raised.value.what == f"reader r{n} (reader_up)" and "database or disk is full" in raised.value.detail
    with pytest.raises(StorageFull, match="meta storage_probe"):
        store.set_meta("storage_probe", "x" * 100_000)
    head = store.head_seq()
    disk.free()
    assert store.append(reader_event(99_999), store.load_projection()).seq == head + 1  # no gap, no half
    store.close()
    disk.fill()
    # Opening needs 32 KiB for the WAL index: SQLite says "disk I/O error", the store says full.
    with pytest.raises(StorageFull, match="opening rollcall.sqlite3"):
        Store.open(path)
    disk.free()
    reopened = Store.open(path)
    assert reopened.head_seq() == head + 1 and reopened.check() == []
    reopened.close()


def test_only_the_disk_refusing_a_write_is_a_storage_error(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite3")
    with pytest.raises(sqlite3.OperationalError) as syntax:
        conn.execute("SELEC 1")
    conn.close()
    assert storage_error(syntax.value, "a query", tmp_path) is None  # a bug stays a bug (a 500)
    full = storage_error(OSError(errno.ENOSPC, "No space left on device"), "the WAL", tmp_path)
    assert isinstance(full, StorageFull) and full.what == "the WAL" and "ENOSPC" in full.detail
    failing = storage_error(OSError(errno.EIO, "Input/output error"), "the WAL", tmp_path)
    assert type(failing) is StorageError and "EIO" in failing.detail
    assert storage_error(OSError(errno.ENOENT, "No such file"), "the WAL", tmp_path) is None


def test_the_low_storage_threshold_is_a_validated_config_key() -> None:
    base: dict[str, Any] = {"device": {"id": "gate-1", "data_dir": "/tmp/x"}}
    assert parse_config(base, "edge.toml").low_free_bytes == 64 * MiB
    assert parse_config(base | {"storage": {"low_free_mib": 200}}, "edge.toml").low_free_bytes == 200 * MiB
    with pytest.raises(ConfigError, match=r"edge.toml: storage.low_free_mib: must be from 1 to \d+ \(MiB\), not 0"):
        parse_config(base | {"storage": {"low_free_mib": 0}}, "edge.toml")
    with pytest.raises(ConfigError, match="storage.low_free_mib"):
        parse_config(base | {"storage": {"low_free_mib": "lots"}}, "edge.toml")
    with pytest.raises(ConfigError, match="storage.low_free"):
        parse_config(base | {"storage": {"low_free": 5}}, "edge.toml")


# -- the in-process service: alerts falling due and a reader going down on a full disk ------------


async def next_event(live: asyncio.Queue[Event | None], wanted: Callable[[Event], bool]) -> Event:
    async with asyncio.timeout(WAIT):
        while True:
            event = await live.get()
            if event is not None and wanted(event):
                return event


async def test_the_service_outlives_a_full_disk_warns_before_it_and_records_again_after(
    disk: SmallDisk, tmp_path: Path
) -> None:
    cards = evening_cards()
    policy = StoragePolicy(low_free_bytes=4 * MiB)
    recorder = Recorder(disk.path / "rollcall.sqlite3", "gate-1", TZ, READERS, SimBoot(), storage=policy)
    await recorder.open()
    await recorder.install_datasets(school_to_datasets(school()), version=1)
    assert (disk.path / RESERVE_NAME).stat().st_size == policy.reserve_bytes
    played: list[str] = []

    class Buzzer:  # the kiosk's sink as the GPIO one is called: signal and pattern
        def play(self, signal: str, pattern: Pattern) -> None:
            played.append(signal)

    clock = SimClock(START)
    pty = Pty(tmp_path / "ttyReader")
    spec = ReaderSpec("gate-in", "ascii", str(pty.link), {"format": "hex"})
    service = EdgeService(recorder, clock, [spec], 0.0, [kiosk_feedback([Buzzer()], DEFAULT_PATTERNS)])
    live = service.subscribers.subscribe()
    running = asyncio.create_task(service.run(tick_seconds=0.02, probe_seconds=0.02))
    try:
        assert (await next_event(live, lambda e: e.kind is EventKind.READER)).seq > 0

        disk.take(recorder.storage.usage()[0] - 3 * MiB)  # 3 MiB left: below the 4 MiB threshold
        low = await next_event(live, lambda e: e.reason == "storage_low")
        assert low.seq > 0 and low.kind is EventKind.ALERT and recorder.storage.state is StorageState.LOW

        disk.fill()
        refused = None
        for uid, holder in cards[:20]:  # the WAL may still have room for a tap or two
            pty.tap(uid)
            tap = await next_event(live, lambda e, uid=uid: e.kind is EventKind.TAP and e.card_uid == uid)
            if not tap.seq:
                refused = (tap, holder)
                break
        assert refused is not None, "the disk never refused a tap"
        tap, holder = refused
        assert (tap.outcome, tap.reason, tap.subject, tap.data["intended"]) == (
            Outcome.NOT_RECORDED, "storage_full", holder, "on_campus")  # fmt: skip
        assert played[-1] == "fault" and recorder.storage.state is StorageState.FULL

        clock.set(START + timedelta(minutes=6))  # 18:26: the evening's missing alerts fall due
        missing = await next_event(live, lambda e: e.kind is EventKind.ALERT and e.reason == "missing")
        assert missing.seq == 0 and missing.data["not_recorded"] == "storage_full"
        pty.unplug()
        down = await next_event(live, lambda e: e.kind is EventKind.READER)
        assert (down.outcome, down.seq) == (Outcome.READER_DOWN, 0) and played[-1] == "fault"
        await asyncio.sleep(0.2)  # ten ticks and probes on a full disk
        assert not running.done()
        assert service.reader_states["gate-in"] == "down"

        disk.free()  # the probe finds the space: the refusal is recorded, then the alerts
        back = await next_event(live, lambda e: e.reason == "storage_full" and e.seq > 0)
        assert back.data["refused"] >= 2 and back.data["until"]
        recorded = await next_event(live, lambda e: e.reason == "missing" and e.seq > 0)
        assert recorded.data["key"] == missing.data["key"]
        pty.plug()  # the reader up again (not the outage's own events, recorded once space came back)
        assert (await next_event(live, lambda e: e.outcome is Outcome.READER_UP and e.seq > 0)).seq > 0
        uid, holder = cards[-1]
        pty.tap(uid)
        again = await next_event(live, lambda e: e.kind is EventKind.TAP)
        assert again.seq > 0 and again.subject == holder and again.outcome is Outcome.ON_CAMPUS
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        with contextlib.suppress(OSError):
            pty.unplug()
    stored = await recorder.query(lambda view: [e for e in view.store.events()])
    await recorder.close()
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    assert not any(e.outcome is Outcome.NOT_RECORDED for e in stored)


async def test_a_full_disk_with_no_reserve_is_one_clear_refusal_to_start(disk: SmallDisk) -> None:
    path = disk.path / "rollcall.sqlite3"
    Store.open(path).close()
    disk.fill()
    recorder = Recorder(path, "gate-1", TZ, READERS, SimBoot())
    with pytest.raises(StoreError, match="no reserve to give up; free some space in"):
        await recorder.open()
    await recorder.close()


# -- the real `rollcall edge`, with a pty reader ---------------------------------------------------


class EdgeProcess:
    """`rollcall edge --config FILE` in a child process; its log lines kept, to wait for and to read."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.lines: list[str] = []
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None
        self._news = asyncio.Event()

    async def start(self) -> None:
        self.lines.clear()
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "edge.cli", "edge", "--config", str(self.config), stderr=asyncio.subprocess.PIPE
        )
        self._reading = asyncio.create_task(self._read())
        self.url = "http://" + (await self.line(r"api listening on http://(\S+)"))[1].group(1)

    async def _read(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        while line := await self._process.stderr.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._news.set()

    async def line(self, pattern: str, after: int = 0) -> tuple[int, re.Match[str]]:
        """The first log line from `after` on that matches `pattern` (waiting for it), and its index."""
        try:
            return await asyncio.wait_for(self._line(pattern, after), WAIT)
        except TimeoutError:
            raise AssertionError(f"no log line matches {pattern!r}; the last ones:\n" + "\n".join(self.lines[-30:])) from None

    async def _line(self, pattern: str, after: int) -> tuple[int, re.Match[str]]:
        if True:
            while True:
                for index in range(after, len(self.lines)):
                    if found := re.search(pattern, self.lines[index]):
                        return index, found
                after = len(self.lines)
                self._news.clear()
                if self._process is not None and self._process.returncode is not None:
                    raise AssertionError(f"the device exited {self._process.returncode}: " + "\n".join(self.lines[-20:]))
                await self._news.wait()

    async def stop(self) -> int:
        assert self._process is not None
        if self._process.returncode is None:
            self._process.terminate()
        code = await asyncio.wait_for(self._process.wait(), WAIT)
        if self._reading is not None:
            await self._reading
        return code


def edge_toml(data_dir: Path, port: Path) -> str:
    tokens = "\n".join(
        f'[[api.tokens]]\nrole = "{role}"\nname = "{role}-1"\nsha256 = "{hashlib.sha256(token.encode()).hexdigest()}"'
        for role, token in TOKENS.items()
    )
    return f"""
[device]
id = "gate-1"
data_dir = "{data_dir}"
production = false
debounce_seconds = 0

[api]
listen = "127.0.0.1:0"
{tokens}

[sim]
start = "{START.isoformat()}"

[storage]
low_free_mib = 2

[[readers]]
id = "gate-in"
protocol = "ascii"
port = "{port}"
format = "hex"
role = "gate-in"
"""


def bearer(role: str, lang: str = "zh") -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}", "Accept-Language": lang}


@pytest.fixture
async def edge(disk: SmallDisk, tmp_path: Path) -> AsyncIterator[tuple[EdgeProcess, Pty]]:
    store = Store.open(disk.path / "rollcall.sqlite3")
    store.install_datasets(school_to_datasets(school()), version=1)
    store.close()
    pty = Pty(tmp_path / "ttyReader")
    (tmp_path / "edge.toml").write_text(edge_toml(disk.path, pty.link), encoding="utf-8")
    device = EdgeProcess(tmp_path / "edge.toml")
    try:
        yield device, pty
    finally:
        if device._process is not None and device._process.returncode is None:
            await device.stop()
        with contextlib.suppress(OSError):
            pty.unplug()


TAP_LINE = r"tap seq=(\d+) reader=gate-in card={uid} holder=(\S+) outcome=(\w+) reason=(\S+) signal=(\w+)"


async def tap(device: EdgeProcess, pty: Pty, uid: str) -> tuple[int, re.Match[str]]:
    start = len(device.lines)
    pty.tap(uid)
    return await device.line(TAP_LINE.format(uid=uid), start)


async def pulled(http: aiohttp.ClientSession, device: EdgeProcess) -> dict[int, dict[str, Any]]:
    """Every event in the device's log, as the school server pulls them (no epoch: no acknowledgement)."""
    async with http.get(f"{device.url}/api/v1/events", params={"after": "0", "limit": "5000"},
                        headers=bearer("server")) as answer:  # fmt: skip
        assert answer.status == 200, await answer.text()
        return {e["seq"]: e for e in (await answer.json())["events"]}


async def storage_state(http: aiohttp.ClientSession, device: EdgeProcess) -> str:
    async with http.get(f"{device.url}/healthz") as answer:
        assert answer.status == 200
        return str((await answer.json())["storage"]["state"])


async def test_a_real_device_refuses_taps_on_a_full_disk_visibly_and_records_again_when_space_is_back(
    disk: SmallDisk, edge: tuple[EdgeProcess, Pty]
) -> None:
    device, pty = edge
    cards = iter(evening_cards())
    await device.start()
    await device.line(r"reader seq=\d+ reader=gate-in .*outcome=reader_up")
    acknowledged: dict[int, str] = {}  # seq -> card: every tap the device said it stored
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{device.url}/api/v1/live?token={TOKENS['guard']}&lang=en")
        assert (await ws.receive_json(timeout=WAIT))["type"] == "snapshot"
        for _ in range(2):
            uid, _holder = next(cards)
            _, found = await tap(device, pty, uid)
            assert int(found[1]) > 0 and found[3] == "on_campus" and found[5] == "ok"
            acknowledged[int(found[1])] = uid

        disk.fill()
        for _ in range(20):  # the WAL may still have room for a tap or two: those are stored, and count
            uid, holder = next(cards)
            index, found = await tap(device, pty, uid)
            if int(found[1]) == 0:
                break
            acknowledged[int(found[1])] = uid
        assert (found[1], found[2], found[3], found[4], found[5]) == ("0", holder, "not_recorded", "storage_full", "fault")
        await device.line(r"feedback signal=fault beeps=5 led=red", index)  # the kiosk's buzzer and red light
        await device.line(r"write_failed what=tap gate-in card \w+ \(on_campus\) .*database or disk is full")

        seen: list[dict[str, Any]] = []
        async with asyncio.timeout(WAIT):
            while not any(m["event"]["outcome"] == "not_recorded" for m in seen):
                message = await ws.receive_json()
                if message["type"] == "event":
                    seen.append(message)
        alert = next(m for m in seen if m["event"]["reason"] == "storage_full" and m["event"]["kind"] == "alert")
        assert alert["event"]["seq"] == 0 and "storage full" in alert["text"]
        refused = next(m for m in seen if m["event"]["outcome"] == "not_recorded")
        assert refused["event"]["card_uid"] == uid and refused["view"]["signal"] == "fault"

        assert await storage_state(http, device) == "full"
        async with http.get(f"{device.url}/api/v1/health", headers=bearer("guard")) as answer:
            disk_state = (await answer.json())["disk"]
        assert disk_state["state"] == "full" and disk_state["refused"] >= 1 and disk_state["free_bytes"] < 64 * 1024
        async with http.get(f"{device.url}/metrics", headers=bearer("server")) as answer:
            metrics = await answer.text()
        assert "rollcall_storage_refusing 1\n" in metrics and 'rollcall_events_total{outcome="not_recorded"} 1' in metrics
        child = next(cards)[1]
        for lang, words in (("zh", "设备存储已满"), ("en", "storage is full")):
            async with http.post(f"{device.url}/api/v1/actions", json={"type": "check_in", "student_id": child},
                                 headers=bearer("guard", lang)) as answer:  # fmt: skip
                assert answer.status == 507
                body = await answer.json()
            assert body["error"]["code"] == "storage_full" and words in body["error"]["message"], body
        assert set(acknowledged) <= set(await pulled(http, device))  # the server can still pull

        disk.free()  # the next tap finds the space: no restart, nobody's hand
        uid, holder = next(cards)
        _, found = await tap(device, pty, uid)
        assert int(found[1]) > 0 and found[2] == holder and found[3] == "on_campus"
        acknowledged[int(found[1])] = uid
        log = await pulled(http, device)
        outage = next(e for e in log.values() if e["kind"] == "alert" and e["reason"] == "storage_full")
        assert outage["data"]["refused"] >= 2  # the tap and the check-in, at least: the server learns of them
        assert await storage_state(http, device) == "ok"
        await ws.close()
    assert await device.stop() == 0

    # Started on a full disk: it comes up, answers health, refuses taps; then records once space is back.
    disk.fill()
    await device.start()
    await device.line(r"reserve_released")
    async with aiohttp.ClientSession() as http:
        assert await storage_state(http, device) == "full"
        uid, holder = next(cards)
        _, found = await tap(device, pty, uid)
        assert (found[1], found[3], found[5]) == ("0", "not_recorded", "fault")
        log = await pulled(http, device)
        assert {seq: log[seq]["card_uid"] for seq in acknowledged} == acknowledged  # nothing acknowledged lost
        disk.free()
        uid, holder = next(cards)
        _, found = await tap(device, pty, uid)
        assert int(found[1]) > 0 and found[3] == "on_campus"
        assert await storage_state(http, device) == "ok"
        assert (disk.path / RESERVE_NAME).exists()  # made again, for the next full disk
    assert await device.stop() == 0
    assert not [line for line in device.lines if "Traceback" in line], "\n".join(device.lines)


async def test_a_read_the_device_fails_to_handle_still_gets_the_fault_pattern(tmp_path: Path) -> None:
    played: list[str] = []

    class Buzzer:
        def play(self, signal: str, pattern: Pattern) -> None:
            played.append(signal)

    made: list[SimReader] = []
    opened = asyncio.Event()

    def factory(spec: ReaderSpec, clock: Any) -> Any:
        made.append(reader := make_reader(spec, clock))
        opened.set()
        return reader

    # Never opened: its first write fails as a bug would (not a storage error: no translation).
    recorder = Recorder(tmp_path / "x.sqlite3", "gate-1", TZ, READERS, SimBoot())
    clock = SimClock(START)
    service = EdgeService(recorder, clock, [], 0.0, [kiosk_feedback([Buzzer()], DEFAULT_PATTERNS)])
    live = service.subscribers.subscribe()
    spec = ReaderSpec("gate-in", "sim")
    running = asyncio.create_task(supervise(factory, spec, clock, service.handle, lambda *_: None,
                                            on_failed=service._read_failed))  # fmt: skip
    try:
        await asyncio.wait_for(opened.wait(), WAIT)
        made[0].tap("04A1B2C3")
        event = await next_event(live, lambda e: e.kind is EventKind.TAP)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert (event.outcome, event.reason, event.card_uid, event.seq) == (Outcome.NOT_RECORDED, "device_error", "04A1B2C3", 0)
    assert "the recorder is not open" in event.data["detail"] and played == ["fault"]
