"""Provides the HTTP API's benchmarks for `make bench`, each beside its reference from the same run.

- the change feed's throughput at limit=1000 over loopback HTTP, pulled by another process that
  parses every page, against a bare SQLite select of the same rows (target: at least a third);
- tap-to-WebSocket latency with 20 live clients against one, and the tap path with 20 against none;
- the tap path while one live client never reads, against none (it must not slow down).

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
async def device(folder: Path) -> AsyncIterator[Running]:
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
    runner = web.AppRunner(create_app(config, service, ApiOptions(run_service=False)), access_log=None)
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
