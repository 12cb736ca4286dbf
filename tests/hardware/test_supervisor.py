"""Tests supervision: down on failure, reopen with backoff, up again; end to end over a socat pty pair."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from hardware.clock import Clock, SimClock
from hardware.readers import CardReader, ReaderSpec, make_reader
from hardware.reads import CardRead
from hardware.supervisor import ReaderState, supervise

from .conftest import WAIT

SPEC = ReaderSpec("gate", "scripted", "/dev/ttyUSB0")
FRAME_14008EC793 = bytes.fromhex("02 31 34 30 30 38 45 43 37 39 33 43 45 03")
FRAME_67003B51C6 = bytes.fromhex("02 36 37 30 30 33 42 35 31 43 36 43 42 03")


class ScriptedReader:
    """A reader whose open fails with `open_error`, or yields `uids` then fails with `read_error`."""

    def __init__(self, spec: ReaderSpec, clock: Clock, open_error: Exception | None = None,
                 uids: tuple[str, ...] = (), read_error: Exception | None = None) -> None:
        self.spec, self.clock = spec, clock
        self.open_error, self.uids, self.read_error = open_error, uids, read_error
        self.closed = False

    async def open(self) -> None:
        if self.open_error is not None:
            raise self.open_error

    async def reads(self) -> AsyncIterator[CardRead]:
        for uid in self.uids:
            yield CardRead(self.spec.id, uid, self.clock.now(), self.clock.monotonic())
        if self.read_error is not None:
            raise self.read_error
        await asyncio.Event().wait()  # a healthy reader waiting for the next card

    async def close(self) -> None:
        self.closed = True


class Recorder:
    def __init__(self) -> None:
        self.states: list[tuple[str, ReaderState, str]] = []
        self.reads: asyncio.Queue[CardRead] = asyncio.Queue()
        self.changed = asyncio.Event()
        self.sleeps: list[float] = []

    def on_state(self, reader_id: str, state: ReaderState, reason: str) -> None:
        self.states.append((reader_id, state, reason))
        self.changed.set()

    async def sleep(self, seconds: float) -> None:
        """Records the backoff and lets the loop run once, taking no time."""
        self.sleeps.append(seconds)
        self.changed.set()
        await asyncio.sleep(0)

    async def state(self, state: ReaderState) -> str:
        """Wait until the latest state is `state`; its reason."""
        async with asyncio.timeout(WAIT * 3):
            while not self.states or self.states[-1][1] != state:
                self.changed.clear()
                await self.changed.wait()
        return self.states[-1][2]

    async def read(self) -> CardRead:
        return await asyncio.wait_for(self.reads.get(), WAIT)


def factory(*readers: Callable[[ReaderSpec, Clock], ScriptedReader]) -> Callable[[ReaderSpec, Clock], CardReader]:
    made: list[ScriptedReader] = []
    script = list(readers)

    def make(spec: ReaderSpec, clock: Clock) -> CardReader:
        made.append(script.pop(0)(spec, clock) if script else ScriptedReader(spec, clock))
        return made[-1]

    make.made = made  # type: ignore[attr-defined]
    return make


def opening_fails(error: Exception) -> Callable[[ReaderSpec, Clock], ScriptedReader]:
    return lambda spec, clock: ScriptedReader(spec, clock, open_error=error)


def reading(*uids: str, then: Exception | None = None) -> Callable[[ReaderSpec, Clock], ScriptedReader]:
    return lambda spec, clock: ScriptedReader(spec, clock, uids=uids, read_error=then)


async def run(task_body: Awaitable[None], until: Callable[[], Awaitable[object]]) -> None:
    task = asyncio.ensure_future(task_body)
    try:
        await until()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_down_backoff_up_and_reads_forwarded(clock: SimClock) -> None:
    record = Recorder()
    make = factory(
        opening_fails(FileNotFoundError(2, "No such file or directory")),
        opening_fails(OSError(16, "Device or resource busy")),
        reading("E43AC9D2", "51E69621", then=OSError("device reports readiness to read but returned no data")),
        reading("04C43BC21C2680"),
    )

    async def until() -> None:
        assert [(await record.read()).uid for _ in range(3)] == ["E43AC9D2", "51E69621", "04C43BC21C2680"]

    await run(supervise(make, SPEC, clock, record.reads.put_nowait, record.on_state, sleep=record.sleep), until)
    assert record.states == [
        ("gate", "down", "FileNotFoundError: [Errno 2] No such file or directory"),
        ("gate", "up", ""),
        ("gate", "down", "OSError: device reports readiness to read but returned no data"),
        ("gate", "up", ""),
    ]
    assert record.sleeps == [0.2, 0.4, 0.2]  # doubling, back to the start once the reader opened
    assert all(reader.closed for reader in make.made)  # type: ignore[attr-defined]


async def test_backoff_is_capped_and_down_is_reported_once(clock: SimClock) -> None:
    record = Recorder()
    make = factory(*[opening_fails(OSError("gone"))] * 20)

    async def until() -> None:
        async with asyncio.timeout(WAIT):
            while len(record.sleeps) < 7:
                record.changed.clear()
                await record.changed.wait()

    await run(supervise(make, SPEC, clock, record.reads.put_nowait, record.on_state, sleep=record.sleep), until)
    assert record.sleeps[:7] == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0]
    assert record.states == [("gate", "down", "OSError: gone")]


async def test_a_bad_config_or_a_failing_consumer_never_raises_out(clock: SimClock) -> None:
    record = Recorder()
    seen: list[str] = []

    def bad_factory(spec: ReaderSpec, clock: Clock) -> CardReader:
        raise ValueError("unknown reader protocol 'scripted'")

    async def until_down() -> None:
        await record.state("down")

    await run(supervise(bad_factory, SPEC, clock, record.reads.put_nowait, record.on_state, sleep=record.sleep),
              until_down)
    assert record.states[0][2] == "ValueError: unknown reader protocol 'scripted'"

    async def on_read(read: CardRead) -> None:
        seen.append(read.uid)
        if len(seen) == 1:
            raise RuntimeError("consumer bug")
        record.reads.put_nowait(read)

    async def until_second_read() -> None:
        assert (await record.read()).uid == "51E69621"

    record = Recorder()
    make = factory(reading("E43AC9D2", "51E69621"))
    await run(supervise(make, SPEC, clock, on_read, record.on_state, sleep=record.sleep), until_second_read)
    assert record.states == [("gate", "up", "")]


class Socat:
    """A socat pty pair: the test writes to `a`, the reader opens `b`; stop() is an unplug."""

    def __init__(self, folder: Path) -> None:
        self.a, self.b = str(folder / "ttyA"), str(folder / "ttyB")
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            "socat", "-d", "-d", f"pty,raw,echo=0,link={self.a}", f"pty,raw,echo=0,link={self.b}",
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.process.stderr is not None
        async with asyncio.timeout(WAIT):
            while b"starting data transfer loop" not in await self.process.stderr.readline():
                pass

    def send(self, data: bytes) -> None:
        fd = os.open(self.a, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()  # SIGTERM: socat removes its links, as udev does on an unplug
            await self.process.wait()


@pytest.fixture
async def socat(tmp_path: Path) -> AsyncIterator[Socat]:
    pair = Socat(tmp_path)
    await pair.start()
    yield pair
    await pair.stop()


@pytest.mark.skipif(shutil.which("socat") is None, reason="needs socat (apt-get install socat)")
async def test_unplug_and_replug_over_socat(socat: Socat, clock: SimClock) -> None:
    record = Recorder()
    spec = ReaderSpec("gate", "rdm6300", socat.b)

    async def scenario() -> None:
        await record.state("up")
        socat.send(FRAME_14008EC793)
        assert (await record.read()).uid == "14008EC793"
        await socat.stop()  # the USB adapter is pulled
        reason = await record.state("down")
        assert "device reports readiness to read but returned no data" in reason
        await socat.start()  # ... and plugged back in at the same by-id path
        await record.state("up")
        socat.send(FRAME_67003B51C6)
        assert (await record.read()).uid == "67003B51C6"

    loop = asyncio.get_running_loop()
    started = loop.time()
    await run(supervise(make_reader, spec, clock, record.reads.put_nowait, record.on_state), scenario)
    assert [state for _, state, _ in record.states] == ["up", "down", "up"]
    assert loop.time() - started < 5


async def test_a_read_the_consumer_fails_to_handle_is_handed_to_on_failed_for_the_fault_signal(clock: SimClock) -> None:
    record = Recorder()
    failed: list[tuple[str, str]] = []

    async def on_read(read: CardRead) -> None:
        if read.uid == "E43AC9D2":
            raise OSError(28, "No space left on device")  # what a consumer's full disk looks like, untranslated
        record.reads.put_nowait(read)

    def on_failed(read: CardRead, error: Exception) -> None:
        failed.append((read.uid, str(error)))

    async def until_second_read() -> None:
        assert (await record.read()).uid == "51E69621"  # the reader stayed up and went on

    make = factory(reading("E43AC9D2", "51E69621"))
    await run(supervise(make, SPEC, clock, on_read, record.on_state, sleep=record.sleep, on_failed=on_failed),
              until_second_read)  # fmt: skip
    assert failed == [("E43AC9D2", "[Errno 28] No space left on device")]
    assert record.states == [("gate", "up", "")]
