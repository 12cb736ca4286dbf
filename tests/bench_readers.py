"""Provides the card-reader benchmarks: decoding and read-to-event latency over a pty, beside a raw pty read.

Both sides read the same bytes from the same kind of pty in the same run; the ratio is what to watch.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
import tty
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from zoneinfo import ZoneInfo

from edge.core.codec import school_to_datasets
from edge.core.model import Card, CardKind, Reader, ReaderRole, School, Student
from edge.device.boot import SimBoot
from edge.device.recorder import Recorder
from edge.device.service import EdgeService
from hardware.clock import SystemClock
from hardware.readers import ReaderSpec, make_reader

TZ = ZoneInfo("Asia/Shanghai")
Row = Callable[[str, str, str, str], None]


def frame(uid: bytes) -> bytes:
    checksum = reduce(lambda a, b: a ^ b, uid)
    return b"\x02" + uid.hex().upper().encode() + f"{checksum:02X}".encode() + b"\x03"


def uids(count: int) -> list[bytes]:
    return [bytes([0x14]) + (n + 1).to_bytes(4, "big") for n in range(count)]


def _pty() -> tuple[int, int]:
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave


def _feed(master: int, stream: bytes) -> threading.Thread:
    """Write the stream from another thread, as a reader's UART would, so neither side waits on the other."""

    def write() -> None:
        view = memoryview(stream)
        while view:
            view = view[os.write(master, view[:4096]) :]

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


async def _decode_all(count: int) -> tuple[float, float]:
    stream = b"".join(frame(uid) for uid in uids(count))
    master, slave = _pty()  # raw: read the bytes as fast as they come
    started = time.perf_counter()
    writer, got = _feed(master, stream), 0
    while got < len(stream):
        got += len(os.read(slave, 65536))
    raw = time.perf_counter() - started
    writer.join()
    os.close(master)
    os.close(slave)
    master, slave = _pty()  # ours: the rdm6300 reader decodes them into reads
    reader = make_reader(ReaderSpec("gate", "rdm6300", os.ttyname(slave)), SystemClock(TZ))
    await reader.open()
    reads = reader.reads()
    started = time.perf_counter()
    writer = _feed(master, stream)
    async with asyncio.timeout(60):
        for _ in range(count):
            await anext(reads)
    ours = time.perf_counter() - started
    writer.join()
    await reader.close()
    os.close(master)
    os.close(slave)
    return ours, raw


def bench_decoder(row: Row, count: int) -> None:
    ours, raw = asyncio.run(_decode_all(count))
    row(f"RDM6300 frames decoded from a pty ({count:,})", f"{count / ours:,.0f} frames/s",
        f"raw pty read of the same bytes {count / raw:,.0f} frames/s", f"{raw / ours:.2f}x of raw")  # fmt: skip


async def _raw_latency(master: int, slave: int, payload: bytes) -> float:
    loop = asyncio.get_running_loop()
    arrived = asyncio.Event()
    got = bytearray()

    def readable() -> None:
        got.extend(os.read(slave, 256))
        if len(got) >= len(payload):
            arrived.set()

    loop.add_reader(slave, readable)
    try:
        started = time.perf_counter()
        os.write(master, payload)
        await asyncio.wait_for(arrived.wait(), 5)
        return time.perf_counter() - started
    finally:
        loop.remove_reader(slave)


async def _event_latencies(folder: Path, count: int) -> tuple[list[float], list[float], list[float]]:
    master, slave = os.openpty()
    tty.setraw(slave)
    port = os.ttyname(slave)
    tags = uids(count)
    school = School(
        students={f"s{n}": Student(f"s{n}", f"学生{n}", "male", 3, "三年级1班") for n in range(count)},  # type: ignore[arg-type]
        cards={
            uid.hex().upper(): Card(uid.hex().upper(), CardKind.STUDENT, f"s{n}")
            for n, uid in enumerate(tags)
        },
    )
    recorder = Recorder(folder / "readers.sqlite3", "bench", TZ, {"gate": Reader("gate", ReaderRole.GATE_IN)},
                        SimBoot())  # fmt: skip
    await recorder.open()
    await recorder.install_datasets(school_to_datasets(school), version=1)
    clock = SystemClock(TZ)
    service = EdgeService(recorder, clock, [], debounce_seconds=0.0)
    reader = make_reader(ReaderSpec("gate", "rdm6300", port), clock)
    await reader.open()
    reads = reader.reads()
    raw, decoded, ours = [], [], []
    try:
        for tag in tags:
            payload = frame(tag)
            # Raw: the same bytes through a pty of the same kind, read as soon as they are readable.
            other_master, other_slave = os.openpty()
            tty.setraw(other_slave)
            raw.append(await _raw_latency(other_master, other_slave, payload))
            os.close(other_master)
            os.close(other_slave)
            started = time.perf_counter()
            os.write(master, payload)
            read = await asyncio.wait_for(anext(reads), 5)
            decoded.append(time.perf_counter() - started)
            await service.handle(read)
            ours.append(time.perf_counter() - started)
    finally:
        await reader.close()
        await recorder.close()
        os.close(master)
        os.close(slave)
    return decoded, ours, raw


def bench_read_to_event(row: Row, folder: Path, count: int) -> None:
    decoded, ours, raw = asyncio.run(_event_latencies(folder, count))
    ref = statistics.median(raw) * 1000
    for what, times in (("frame to CardRead", decoded), ("frame to durable event", ours)):
        mine = statistics.median(times) * 1000
        row(f"RDM6300 {what} over a pty ({count} taps)", f"{mine:.3f} ms median",
            f"raw pty read of the same bytes {ref:.3f} ms", f"{mine / ref:.1f}x")  # fmt: skip
