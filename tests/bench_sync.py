"""Provides the school server's benchmarks for `make bench`, each beside its reference from the same run.

- pulling one device's log over loopback (the device and the server each in their own process,
  as on a school's network), events/s against a bare SQLite-to-SQLite copy of the same rows in
  pages of the same size, each page one WAL+FULL commit (target: at least a third of it);
- 20 devices pulled at once: total events/s, and the server process's peak memory;
- a device offline for 7 days (2,000 students, 4 taps each a day: 56,000 events) catching up.

Run as a module with `edges FOLDER N` it serves N devices' APIs (one process, printing their ports);
with `pull CONFIG TOTAL` it runs the server until it holds TOTAL events and prints what it took.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from edge.device.store import Store

Row = Callable[[str, str, str, str], None]

TZ = ZoneInfo("Asia/Shanghai")
TOKEN = "bench-server-token-0123456789abcdef"
COLUMNS = ("uuid", "epoch", "device_id", "reader_id", "kind", "card_uid", "subject", "outcome", "reason", "at",
           "boot_id", "boottime_ns", "clock_trusted", "actor", "data")  # fmt: skip
WEEK = 7 * 2000 * 4


def fill(database: Path, count: int, device_id: str, start: datetime) -> None:
    """`count` taps straight into a device's log (2,000 students, 4 taps each a day), in one transaction."""
    store = Store.open(database)
    epoch, per_day = store.epoch, 2000 * 4
    taps = (("gate-in", "tap", "on_campus"), ("room-r301", "tap", "checked_in"), ("room-r301", "tap", "already_in"),
            ("gate-out", "tap", "walked_home"))  # fmt: skip
    rows = []
    for n in range(count):
        day, rest = divmod(n, per_day)
        tap, student = divmod(rest, 2000)
        reader, kind, outcome = taps[tap]
        at = start + timedelta(days=day, minutes=tap * 25, seconds=student % 1200)
        data = json.dumps({"session": f"{at.date().isoformat()}.evening.r301"})
        rows.append((uuid.uuid4().hex, epoch, device_id, reader, kind, f"{student:08X}", f"x{student:05d}", outcome, "",
                     at.isoformat(), "bench-boot", 10**9 + n, 1, "", data))  # fmt: skip
    with store.db.atomic():
        insert = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608
        store.db.conn.executemany(insert, rows)
    store.close()


def bare_copy(source: Path, target: Path, batch: int, servers_table: bool = False) -> tuple[int, float]:
    """The reference: page the rows out of one file and into another, one WAL+FULL commit a page.

    Into a plain table; or, with `servers_table`, into the server's own (its unique key and indexes),
    which says how much of the difference is the schema and how much HTTP and JSON.
    """
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    if servers_table:
        from sync.store import ServerStore

        ServerStore.open(target, TZ).close()
    dst = sqlite3.connect(target, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=FULL")
    if servers_table:
        columns = ("device", "seq", *COLUMNS, "day", "time_flag", "received_at")
        select = f"SELECT 'dev', seq, {', '.join(COLUMNS)}, substr(at, 1, 10), 'trusted', '' FROM events "  # noqa: S608
    else:
        dst.execute(f"CREATE TABLE events (seq INTEGER PRIMARY KEY, {', '.join(COLUMNS)})")
        columns = ("seq", *COLUMNS)
        select = f"SELECT seq, {', '.join(COLUMNS)} FROM events "  # noqa: S608
    select += "WHERE seq > ? ORDER BY seq LIMIT ?"
    insert = f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
    seq_at = columns.index("seq")
    started, after, copied = time.perf_counter(), 0, 0
    while rows := src.execute(select, (after, batch)).fetchall():
        dst.execute("BEGIN")
        dst.executemany(insert, rows)
        dst.execute("COMMIT")
        after, copied = rows[-1][seq_at], copied + len(rows)
    elapsed = time.perf_counter() - started
    src.close()
    dst.close()
    return copied, elapsed


# -- the two processes ----------------------------------------------------------------------------


async def serve_edges(folder: Path, count: int) -> None:
    from aiohttp import web

    from edge.api import create_app
    from edge.api.keys import ApiOptions
    from edge.cli.run import build_service
    from edge.device.config import parse_config

    runners, ports = [], []
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    for n in range(count):
        raw = {"device": {"id": f"dev-{n:02d}", "data_dir": str(folder / f"dev-{n:02d}")},
               "api": {"tokens": [{"role": "server", "sha256": digest}]}}  # fmt: skip
        config = parse_config(raw, "bench.toml")
        runner = web.AppRunner(
            create_app(config, build_service(config), ApiOptions(run_service=False)), access_log=None
        )
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        ports.append(runner.addresses[0][1])
    print(json.dumps(ports), flush=True)
    await asyncio.get_running_loop().run_in_executor(
        None, sys.stdin.read
    )  # until the parent closes our stdin
    for runner in runners:
        await runner.cleanup()


async def pull_all(config_path: Path, total: int) -> dict[str, Any]:
    from aiohttp import web

    from sync.app import create_app
    from sync.config import load_server_config
    from sync.server import SchoolServer

    config = load_server_config(config_path)
    school = SchoolServer(config)
    runner = web.AppRunner(create_app(config, school), access_log=None)
    await runner.setup()  # opens the store and starts every puller
    # Timed from the first answer of a device: the process's start and the store's opening are not
    # pulling (they are a fixed half second, a third of the quick run's 50,000 events).
    while all(s.last_contact is None for s in school.statuses.values()):  # noqa: ASYNC110 (counters, no event)
        await asyncio.sleep(0.001)
    started = time.perf_counter()
    while sum(s.after for s in school.statuses.values()) < total:  # noqa: ASYNC110 (counters, no event)
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    await runner.cleanup()
    return {
        "events": sum(s.stored for s in school.statuses.values()),
        "elapsed": elapsed,
        "peak_kib": _peak_kib(),
    }


def _peak_kib() -> int:
    """VmHWM, the process's peak resident memory (not ru_maxrss, which a child inherits across exec)."""
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line.split()[1] for line in status if line.startswith("VmHWM:")))


def write_server_config(folder: Path, ports: list[int], batch: int, gzip: bool) -> Path:
    lines = ["[server]", 'id = "bench"', f'data_dir = "{folder / "server"}"', 'listen = "127.0.0.1:0"', "",
             "[pull]", f"batch = {batch}", f"gzip = {'true' if gzip else 'false'}", ""]  # fmt: skip
    for n, port in enumerate(ports):
        lines += [
            "[[devices]]",
            f'id = "dev-{n:02d}"',
            f'url = "http://127.0.0.1:{port}"',
            f'token = "{TOKEN}"',
            "",
        ]
    path = folder / "server.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


async def pull_run(folder: Path, devices: int, total: int, batch: int, gzip: bool) -> dict[str, Any]:
    """Serve `devices` prefilled devices from one process, pull them all from another; what the server said."""
    edges = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bench_sync", "edges", str(folder), str(devices),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert edges.stdout is not None and edges.stdin is not None
    ports = json.loads(await edges.stdout.readline())
    config = write_server_config(folder, ports, batch, gzip)
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench_sync",
        "pull",
        str(config),
        str(total),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await server.communicate()
    edges.stdin.close()
    await edges.wait()
    if server.returncode != 0:
        raise RuntimeError(f"the server's pull failed with status {server.returncode}")
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    if result["events"] != total:
        raise RuntimeError(f"the server stored {result['events']} events, the devices hold {total}")
    return result


def _fresh(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- the figures ----------------------------------------------------------------------------------


def bench_pull_one(row: Row, folder: Path, count: int, batch: int = 1000) -> float:
    base = _fresh(folder / "pull-one")
    fill(base / "dev-00" / "rollcall.sqlite3", count, "dev-00", datetime(2026, 9, 1, 17, 50, tzinfo=TZ))
    copied, bare = bare_copy(base / "dev-00" / "rollcall.sqlite3", base / "bare.sqlite3", batch)
    reference = copied / bare
    schema = copied / bare_copy(base / "dev-00" / "rollcall.sqlite3", base / "schema.sqlite3", batch, True)[1]
    rate = 0.0
    for gzip in (False, True):
        run = _fresh(base / f"gzip-{gzip}")
        (run / "dev-00").symlink_to(base / "dev-00", target_is_directory=True)
        result = asyncio.run(pull_run(run, 1, count, batch, gzip))
        mine = result["events"] / result["elapsed"]
        rate = rate or mine
        row(f"pull {count:,} events from one device over loopback, pages of {batch}{', gzip' if gzip else ''}",
            f"{mine:,.0f} events/s", f"bare SQLite-to-SQLite copy {reference:,.0f} rows/s",
            f"{mine / reference:.2f}x of bare (target >= 0.33)")  # fmt: skip
        if not gzip:
            row("  the same bare copy into the server's own table (its key and indexes)", f"{schema:,.0f} rows/s",
                f"bare copy {reference:,.0f} rows/s", f"{schema / reference:.2f}x: the schema's share")  # fmt: skip
        if not gzip:
            bare_again = (
                copied / bare_copy(base / "dev-00" / "rollcall.sqlite3", base / "bare2.sqlite3", batch)[1]
            )
            reference = (reference + bare_again) / 2  # before and after: the disk's drift hits both
    return rate


def bench_pull_twenty(row: Row, folder: Path, per_device: int, single: float) -> None:
    base = _fresh(folder / "pull-twenty")
    for n in range(20):
        fill(base / f"dev-{n:02d}" / "rollcall.sqlite3", per_device, f"dev-{n:02d}",
             datetime(2026, 9, 1, 17, 50, tzinfo=TZ))  # fmt: skip
    result = asyncio.run(pull_run(base, 20, 20 * per_device, 1000, True))
    total = result["events"] / result["elapsed"]
    row(f"20 devices pulled at once, {per_device:,} events each (gzip)", f"{total:,.0f} events/s in all",
        f"one device alone {single:,.0f} events/s", f"{total / single:.2f}x")  # fmt: skip
    row("server process peak RSS while pulling 20 devices", f"{result['peak_kib'] / 1024:.1f} MB",
        f"{20 * per_device:,} events stored", f"{result['peak_kib'] / 1024 / 20:.1f} MB a device")  # fmt: skip


def bench_catchup(row: Row, folder: Path) -> None:
    base = _fresh(folder / "catchup")
    fill(base / "dev-00" / "rollcall.sqlite3", WEEK, "dev-00", datetime(2026, 11, 23, 17, 50, tzinfo=TZ))
    copied, bare = bare_copy(base / "dev-00" / "rollcall.sqlite3", base / "bare.sqlite3", 1000)
    result = asyncio.run(pull_run(base, 1, WEEK, 1000, True))
    row("catch-up after 7 days offline (2,000 students x 4 taps a day)", f"{result['elapsed']:.1f} s for {WEEK:,} events",
        f"bare copy of the same rows {bare:.2f} s", f"{bare / result['elapsed']:.2f}x of bare")  # fmt: skip


def main(argv: list[str]) -> None:
    if argv[0] == "edges":
        asyncio.run(serve_edges(Path(argv[1]), int(argv[2])))
    elif argv[0] == "pull":
        print(json.dumps(asyncio.run(pull_all(Path(argv[1]), int(argv[2])))), flush=True)
    else:
        raise SystemExit(f"python -m tests.bench_sync edges FOLDER N | pull CONFIG TOTAL, not {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
