"""Provides the HTTP API's benchmarks for `make bench`, each beside its reference from the same run.

- the change feed's throughput at limit=1000 over loopback HTTP, pulled by another process that
  parses every page, against a bare SQLite select of the same rows (target: at least a third);
- tap-to-WebSocket latency with 20 live clients against one, and the tap path with 20 against none;
- the tap path while one live client never reads, against none (it must not slow down);
- a burst of taps back to back until 20 and 150 live clients (in another process) hold every
  event, against the same burst with no client: each event is serialised once, not once a client.

The device, its live clients and the taps share one process and event loop (the clients' own
work competes with the device's, which on a real gate runs on the consoles' machines), and the
taps are paced 5 ms apart so each block measures taps, not the clients catching up.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from edge.api import create_app
from edge.api.keys import ApiOptions
from edge.cli.demo import demo_readers
from edge.cli.run import build_service
from edge.cli.sample import sample_school
from edge.core.codec import event_to_row, school_to_datasets
from edge.core.model import Event, EventKind, Outcome
from edge.core.plan import plan_day
from edge.device.config import parse_config
from edge.device.service import EdgeService
from edge.device.store import Store
from hardware.reads import CardRead
from tests.bench import DAY, TZ, percentile

# `row(figure, ours, reference, ratio)` of the running bench (passed in: under `python -m tests.bench`
# that module is __main__, and importing it again here would fill a second table).
Row = Callable[[str, str, str, str], None]

TOKEN = "bench-token-0123456789abcdef"
PACE = 0.005  # s between live-stream taps: enough for 20 clients to finish with the last one
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Running:
    url: str
    service: EdgeService


@asynccontextmanager
async def device(folder: Path, options: ApiOptions | None = None) -> AsyncIterator[Running]:
    """A sim device with the sample school, serving on a free loopback port, admin token `TOKEN`."""
    school = sample_school(1)
    readers = [{"id": r.id, "protocol": "sim", "role": r.role.value} | ({"room": r.room_id} if r.room_id else {})
               for r in demo_readers(school).values()]  # fmt: skip
    config = parse_config(
        {
            "device": {"id": "bench", "data_dir": str(folder), "production": False, "debounce_seconds": 0},
            "api": {"tokens": [{"role": "admin", "sha256": hashlib.sha256(TOKEN.encode()).hexdigest()}]},
            "sim": {"start": "2026-11-30T17:55:00+08:00"},
            "readers": readers,
        },
        "bench.toml",
    )
    service = build_service(config)
    runner = web.AppRunner(create_app(config, service, options or ApiOptions(run_service=False)), access_log=None)
    await runner.setup()
    if await service.recorder.query(lambda view: view.store.dataset_version("students")) == 0:
        await service.recorder.install_datasets(school_to_datasets(school), version=1)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Running(f"http://{host}:{port}", service)
    finally:
        await runner.cleanup()


# -- the change feed against a bare select ------------------------------------------------------


def fill(path: Path, count: int) -> None:
    store = Store.open(path)
    start = datetime(2026, 11, 30, 17, 55, tzinfo=TZ)
    batch = []
    for n in range(count):
        event = Event(uuid.uuid4().hex, EventKind.TAP, Outcome.CHECKED_IN, start + timedelta(seconds=n % 80_000),
                      "bench", reader_id="room-r301", card_uid=f"{n:08X}", subject=f"s{n % 2000:04d}",
                      data={"session": f"{DAY}.evening.r301"}, epoch=store.epoch)  # fmt: skip
        record = event_to_row(event)
        del record["seq"]
        batch.append(record)
    store.db.table("events").insert_all(batch, batch_size=10_000)
    store.close()


def bare_pages(path: Path) -> tuple[int, float]:
    """Page through the table as the feed does, twice; the second pass, with a warm cache, is timed."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    for _ in range(2):
        started, after, rows = time.perf_counter(), 0, 0
        while page := conn.execute("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT 1000", (after,)).fetchall():
            rows, after = rows + len(page), page[-1][0]
        elapsed = time.perf_counter() - started
    conn.close()
    return rows, elapsed


# The puller runs in its own process, as the school server does on its own machine: in one process
# the client's JSON parsing shares the garbage collector with the device's heap and ran 2x slower.
# "parse" decodes every page (what a server pays: ~3.5 ms a page of 1,000, as long as the bare
# SELECT itself); "serve" reads the bytes and decodes only the envelope before the events, which
# measures what the device delivers.
PULLER = """
import asyncio, json, sys, time, aiohttp
async def main(url, token, encoding, mode):
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": encoding}
    async with aiohttp.ClientSession() as session:
        for _ in range(2):  # the second pass, with warm caches, is the one timed
            started, after, events, more = time.perf_counter(), 0, 0, True
            while more:
                async with session.get(url, params={"after": after, "limit": 1000}, headers=headers) as response:
                    body = await response.read()
                if mode == "parse":
                    page = json.loads(body)
                    count = len(page["events"])
                else:
                    page = json.loads(body[:body.index(b',"events":[')] + b"}")
                    count = page["next_after"] - after  # the bench's seqs have no gaps
                events, after, more = events + count, page["next_after"], page["has_more"]
            elapsed = time.perf_counter() - started
    print(events, elapsed)
asyncio.run(main(*sys.argv[1:]))
"""


async def feed_pages(folder: Path, gzip: bool, parse: bool) -> tuple[int, float]:
    """Pull the whole feed as the server does, from another process."""
    async with device(folder) as running:
        puller = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PULLER, f"{running.url}/api/v1/events", TOKEN, "gzip" if gzip else "identity",
            "parse" if parse else "serve", stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await puller.communicate()
        if puller.returncode != 0:
            raise RuntimeError(f"the feed puller failed with status {puller.returncode}")
        events, elapsed = out.split()
        return int(events), float(elapsed)


def bench_feed(row: Row, folder: Path, count: int) -> None:
    data = folder / "feed"
    data.mkdir()
    fill(data / "rollcall.sqlite3", count)
    bare_rows, bare = bare_pages(data / "rollcall.sqlite3")
    for gzip, parse, label in ((False, False, "served"), (True, False, "served, gzip"),
                               (False, True, "pulled and parsed")):  # fmt: skip
        events, ours = asyncio.run(feed_pages(data, gzip, parse))
        if events != bare_rows:
            raise RuntimeError(f"the feed gave {events} events, the table holds {bare_rows}")
        mine, ref = events / ours, bare_rows / bare
        row(f"change feed, {events:,} events at limit=1000, {label}", f"{mine:,.0f} events/s",
            f"bare SELECT of the same rows {ref:,.0f} rows/s", f"{mine / ref:.2f}x of bare (target >= 0.33)")  # fmt: skip


# -- the live stream ------------------------------------------------------------------------------


def reads(running: Running, count: int) -> list[CardRead]:
    school = sample_school(1)
    plan = plan_day(school, DAY, TZ)
    students = sorted({s for ids in plan.expected.values() for s in ids})
    cards = {c.holder_id: c.uid for c in school.cards.values() if c.status.value == "active"}
    clock = running.service.clock
    found = []
    for n in range(count):
        student = students[n % len(students)]
        reader = "gate-in" if n % 2 == 0 else f"room-{plan.sessions_of[student][0].room_id}"
        found.append(CardRead(reader, cards[student], clock.now(), float(n)))
    return found


async def measure(running: Running, batch: list[CardRead], clients: list[Any]) -> tuple[list[float], list[float]]:
    """(tap path seconds, tap-to-every-client seconds) for each tap of `batch`, one tap at a time."""
    path_times, delivery = [], []
    for read in batch:
        # Taps at a gate are a second or more apart; back to back, the 20 in-process clients' own
        # parsing of the last event would still be running and would pass for a cost of the tap path.
        await asyncio.sleep(PACE)
        started = time.perf_counter()
        event = await running.service.handle(read)
        path_times.append(time.perf_counter() - started)
        if event is None:
            raise RuntimeError("the repeat filter swallowed a benchmark tap")
        for ws in clients:
            while (message := await ws.receive_json())["type"] != "event" or message["event"]["seq"] != event.seq:
                pass
        if clients:
            delivery.append(time.perf_counter() - started)
    return path_times, delivery


async def live_runs(folder: Path, taps: int) -> dict[str, tuple[list[float], list[float]]]:
    """One device, its taps in blocks: none, 1 client, 20 clients, one stuck client, none again.

    Blocks in one process on one database, so the disk's drift between runs (fsync times vary by
    tens of percent here) does not pass for a cost of the clients.
    """
    async with device(folder) as running, aiohttp.ClientSession() as session:
        batches = iter([reads(running, taps * 5)[n * taps:(n + 1) * taps] for n in range(5)])
        runs = {"none": await measure(running, next(batches), [])}
        clients = []
        for name, count in (("one", 1), ("twenty", 20)):
            while len(clients) < count:
                clients.append(await session.ws_connect(f"{running.url}/api/v1/live", headers=HEADERS))
                await clients[-1].receive_json()  # the snapshot
            runs[name] = await measure(running, next(batches), clients)
        for ws in clients:
            await ws.close()
        blocked = await stuck_socket(running.url)
        runs["stuck"] = await measure(running, next(batches), [])
        blocked.close()
        again = await measure(running, next(batches), [])
        runs["none"] = (runs["none"][0] + again[0], [])
        return runs


async def stuck_socket(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, (host, int(port)))
    await loop.sock_sendall(sock, (
        f"GET /api/v1/live?token={TOKEN} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())  # fmt: skip
    return sock  # and never read from it again


def bench_live(row: Row, folder: Path, taps: int) -> None:
    target = folder / "live"
    target.mkdir()
    runs = asyncio.run(live_runs(target, taps))
    one, twenty = statistics.median(runs["one"][1]) * 1000, statistics.median(runs["twenty"][1]) * 1000
    row(f"tap to WebSocket, 20 clients vs 1 ({taps} taps, median)", f"{twenty:.2f} ms to all 20",
        f"1 client {one:.2f} ms", f"{twenty / one:.2f}x")  # fmt: skip
    p99_one, p99_twenty = percentile(runs["one"][1], 0.99) * 1000, percentile(runs["twenty"][1], 0.99) * 1000
    row("tap to WebSocket p99, 20 clients vs 1", f"{p99_twenty:.2f} ms", f"1 client {p99_one:.2f} ms",
        f"{p99_twenty / p99_one:.2f}x")  # fmt: skip
    none = statistics.median(runs["none"][0]) * 1000
    for name, label in (("twenty", "20 live clients"), ("stuck", "a live client that never reads")):
        mine = statistics.median(runs[name][0]) * 1000
        row(f"tap path with {label} vs none", f"{mine:.3f} ms", f"no clients {none:.3f} ms",
            f"{mine / none:.2f}x (target ~1x)")  # fmt: skip


# -- a burst of taps fanned out to many live clients --------------------------------------------

# The clients run in their own process, as consoles do on their own machines, and read the
# WebSocket frames themselves: aiohttp's client in the device's process would spend more on
# parsing 150 copies of each event than the device spends on sending them, and pass for its cost.
# Each counts the event frames after its snapshot and answers pings; a resnapshot is a failure
# (the bench's queues hold the whole burst, so none should come).
CLIENTS = """
import asyncio, os, sys, time
async def client(host, port, token, events, ready):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write((f"GET /api/v1/live?token={token} HTTP/1.1\\r\\nHost: {host}\\r\\nUpgrade: websocket\\r\\n"
                  "Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n"
                  "Sec-WebSocket-Version: 13\\r\\n\\r\\n").encode())
    await reader.readuntil(b"\\r\\n\\r\\n")
    buf, seen, snapshot = bytearray(), 0, False
    while seen < events:
        data = await reader.read(1 << 18)
        if not data:
            raise SystemExit("the device closed a live client")
        buf += data
        at = 0
        while len(buf) - at >= 2:
            op, size, head = buf[at] & 0x0F, buf[at + 1] & 0x7F, 2
            if size == 126:
                size, head = int.from_bytes(buf[at + 2 : at + 4], "big"), 4
            elif size == 127:
                size, head = int.from_bytes(buf[at + 2 : at + 10], "big"), 10
            if len(buf) - at < head + size:
                break
            if op == 1 and not snapshot:
                snapshot = True
                ready.set_result(None)
            elif op == 1 and buf.startswith(b'{"type": "event"', at + head):
                seen += 1
            elif op == 1:
                raise SystemExit("a live client was told to resnapshot")
            elif op == 9:  # ping: pong with the same payload, masked with a zero key
                payload = bytes(buf[at + head : at + head + size])
                writer.write(bytes([0x8A, 0x80 | len(payload)]) + bytes(4) + payload)
            at += head + size
        del buf[:at]
    return time.monotonic()
async def main(host, port, token, count, events):
    readies = [asyncio.get_running_loop().create_future() for _ in range(int(count))]
    tasks = [asyncio.create_task(client(host, int(port), token, int(events), r)) for r in readies]
    await asyncio.gather(*readies)
    print("ready", flush=True)
    print(max(await asyncio.gather(*tasks)), flush=True)
asyncio.run(main(*sys.argv[1:]))
"""


async def burst(running: Running, batch: list[CardRead], clients: int) -> float:
    """Seconds from the first tap of `batch`, taken back to back, until `clients` live clients hold every event."""
    watchers = None
    if clients:
        host, port = running.url.removeprefix("http://").split(":")
        watchers = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLIENTS, host, port, TOKEN, str(clients), str(len(batch)),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert watchers.stdout is not None
        if await watchers.stdout.readline() != b"ready\n":
            raise RuntimeError("the live clients did not connect")
    started = time.monotonic()
    for read in batch:
        if await running.service.handle(read) is None:
            raise RuntimeError("the repeat filter swallowed a benchmark tap")
    ended = time.monotonic()
    if watchers is not None:
        out, _ = await watchers.communicate()
        if watchers.returncode != 0:
            raise RuntimeError(f"the live clients failed with status {watchers.returncode}")
        ended = float(out.split()[-1])  # the same monotonic clock: Linux's is system-wide
    return ended - started


async def burst_runs(folder: Path, taps: int, counts: tuple[int, ...]) -> dict[int, float]:
    """The burst with no client, with each count of clients, and with none again (disk drift hits both)."""
    options = ApiOptions(run_service=False, live_queue=taps + 100)  # no client falls a whole queue behind
    async with device(folder, options) as running:
        batches = iter([reads(running, taps * (len(counts) + 2))[n * taps : (n + 1) * taps]
                        for n in range(len(counts) + 2)])  # fmt: skip
        alone = [await burst(running, next(batches), 0)]
        found = {count: await burst(running, next(batches), count) for count in counts}
        alone.append(await burst(running, next(batches), 0))
        return {0: statistics.mean(alone)} | found


def bench_burst(row: Row, folder: Path, taps: int) -> None:
    target = folder / "burst"
    target.mkdir()
    runs = asyncio.run(burst_runs(target, taps, (20, 150)))
    for count in (20, 150):
        row(f"{taps:,}-tap burst until {count} live clients hold every event, vs none", f"{runs[count]:.2f} s",
            f"no clients {runs[0]:.2f} s", f"{runs[count] / runs[0]:.2f}x")  # fmt: skip
