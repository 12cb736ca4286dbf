"""End to end over a socat pty pair: frames become events, an unplug marks the reader down, a replug brings it back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.core.codec import school_to_datasets
from edge.core.model import Card, CardKind, Event, EventKind, Outcome, Reader, ReaderRole
from edge.device.boot import SimBoot
from edge.device.recorder import Recorder
from edge.device.service import EdgeService
from hardware.clock import SystemClock
from hardware.readers import ReaderSpec
from tests.school import SCHOOL

pytestmark = pytest.mark.skipif(shutil.which("socat") is None, reason="socat is not installed")

TZ = ZoneInfo("Asia/Shanghai")
UID = "14008EC793"  # the RDM6300 golden frame's five bytes
FRAME = bytes.fromhex("02 31 34 30 30 38 45 43 37 39 33 43 45 03")
WAIT = 8.0  # s: the supervisor reopens within 5 s of the port coming back; never slept


class Cable:
    """A serial cable made of two ptys; `unplug()` kills socat exactly as a USB unplug looks to pyserial."""

    def __init__(self, folder: Path) -> None:
        self.reader_end, self.card_end = folder / "ttyReader", folder / "ttyCard"
        self.process: asyncio.subprocess.Process | None = None

    async def plug(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            "socat",
            "-d",
            "-d",
            f"pty,raw,echo=0,link={self.reader_end}",
            f"pty,raw,echo=0,link={self.card_end}",
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.process.stderr is not None
        async with asyncio.timeout(WAIT):  # both links exist once socat says it is transferring
            while b"starting data transfer loop" not in await self.process.stderr.readline():
                pass

    async def unplug(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def tap(self) -> None:
        fd = os.open(self.card_end, os.O_WRONLY | os.O_NOCTTY)
        try:
            os.write(fd, FRAME * 3)  # a card held on the reader repeats its frame; it is one read
        finally:
            os.close(fd)


async def next_event(queue: asyncio.Queue[Event | None], kind: EventKind) -> Event:
    async with asyncio.timeout(WAIT):
        while True:
            event = await queue.get()
            if event is not None and event.kind is kind:
                return event


@pytest.fixture
async def cable(tmp_path: Path) -> AsyncIterator[Cable]:
    made = Cable(tmp_path)
    await made.plug()
    yield made
    await made.unplug()


async def test_frames_become_events_and_an_unplugged_reader_comes_back(tmp_path: Path, cable: Cable) -> None:
    school = replace(SCHOOL, cards={**SCHOOL.cards, UID: Card(UID, CardKind.STUDENT, "s-anna")})
    readers = {"gate-in": Reader("gate-in", ReaderRole.GATE_IN)}
    recorder = Recorder(tmp_path / "edge.sqlite3", "edge-1", TZ, readers, SimBoot())
    await recorder.open()
    await recorder.install_datasets(school_to_datasets(school), version=1)
    spec = ReaderSpec("gate-in", "rdm6300", str(cable.reader_end))
    service = EdgeService(recorder, SystemClock(TZ), [spec], debounce_seconds=0.0)
    live = service.subscribers.subscribe()
    running = asyncio.create_task(service.run(tick_seconds=3600))
    try:
        assert (await next_event(live, EventKind.READER)).outcome is Outcome.READER_UP
        cable.tap()
        first = await next_event(live, EventKind.TAP)
        assert (first.card_uid, first.subject, first.outcome) == (UID, "s-anna", Outcome.ON_CAMPUS)

        await cable.unplug()
        down = await next_event(live, EventKind.READER)
        assert down.outcome is Outcome.READER_DOWN and service.reader_states["gate-in"] == "down"
        assert "returned no data" in down.data["detail"] or "Errno" in down.data["detail"]

        await cable.plug()
        assert (await next_event(live, EventKind.READER)).outcome is Outcome.READER_UP
        cable.tap()
        again = await next_event(live, EventKind.TAP)
        assert (again.card_uid, again.outcome) == (
            UID,
            Outcome.ALREADY_IN,
        )  # recorded, and not a second arrival
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    stored = await recorder.query(lambda view: [(e.kind, e.outcome) for e in view.store.events()])
    await recorder.close()
    assert stored.count((EventKind.TAP, Outcome.ON_CAMPUS)) == 1  # three frames, one read
    assert (EventKind.READER, Outcome.READER_DOWN) in stored


async def test_readers_test_prints_one_json_object_a_read(tmp_path: Path) -> None:
    import json
    import sys
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edge.cli", "readers", "test", os.ttyname(slave), "--protocol", "rdm6300",
        "--json", "--count", "1", stdout=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(WAIT):
            # A held tag repeats its frame every ~65 ms; the port is cleared when it opens, so keep sending.
            while process.returncode is None:
                os.write(master, FRAME)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 0.065)
        assert process.stdout is not None
        line = json.loads((await process.stdout.read()).decode())
    finally:
        os.close(master)
        os.close(slave)
    assert (line["uid"], line["protocol"]) == (UID, "rdm6300")
    assert line["renderings"]["dec10"] == "0009357203"  # the number printed on that fob
