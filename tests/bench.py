"""Provides `make bench`: each figure beside its reference measured in the same run, as a ratio.

CI machines are noisy and an SD card is not this VM's disk, so absolute times mean little;
the ratio to a bare SQLite operation on the same disk, in the same run, is what to watch.
Run `python -m tests.bench [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from edge.cli.demo import demo_readers
from edge.cli.sample import sample_school
from edge.core.codec import event_to_row, school_to_datasets
from edge.core.model import Enrolment, Event, EventKind, Guardian, Outcome, Room, Service, TimeRule
from edge.core.plan import plan_day
from edge.core.projection import Projection
from edge.core.report import zero_report
from edge.device.boot import SimBoot
from edge.device.recorder import Recorder
from edge.device.service import EdgeService
from edge.device.store import Store
from hardware.clock import SimClock
from hardware.reads import CardRead

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 30)
ROWS: list[tuple[str, str, str, str]] = []


def row(figure: str, ours: str, reference: str, ratio: str) -> None:
    ROWS.append((figure, ours, reference, ratio))
    print(f"  {figure}: {ours}  |  {reference}  |  {ratio}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


# -- the tap path against a bare durable commit -------------------------------------------------


def bare_commits(folder: Path, count: int) -> list[float]:
    conn = sqlite3.connect(folder / "bare.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, uid TEXT, at TEXT)")
    times = []
    for n in range(count):
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (uid, at) VALUES (?, ?)", (f"{n:08X}", datetime.now(TZ).isoformat()))
        conn.execute("COMMIT")
        times.append(time.perf_counter() - started)
    conn.close()
    return times


async def tap_path(folder: Path, count: int) -> list[float]:
    school = sample_school(1)
    clock = SimClock(datetime(2026, 11, 30, 17, 55, tzinfo=TZ))
    recorder = Recorder(folder / "edge.sqlite3", "bench", TZ, demo_readers(school), SimBoot())
    await recorder.open()
    await recorder.install_datasets(school_to_datasets(school), version=1)
    lit: list[int] = []
    service = EdgeService(recorder, clock, [], debounce_seconds=0.0, feedback=[lambda e: lit.append(e.seq)])
    plan = plan_day(school, DAY, TZ)
    students = sorted({s for ids in plan.expected.values() for s in ids})
    cards = {c.holder_id: c.uid for c in school.cards.values() if c.status.value == "active"}
    taps = []
    for n in range(count):
        student = students[n % len(students)]
        session = plan.sessions_of[student][0]
        reader = "gate-in" if n % 2 == 0 else f"room-{session.room_id}"
        taps.append(CardRead(reader, cards[student], clock.now(), float(n)))
    times = []
    for read in taps:
        clock.advance(1)
        started = time.perf_counter()
        await service.handle(read)
        times.append(time.perf_counter() - started)
    await recorder.close()
    if len(lit) != count:
        raise RuntimeError(f"feedback saw {len(lit)} of {count} taps")
    return times


def bench_tap_path(folder: Path, count: int) -> None:
    bare = bare_commits(folder, count)
    ours = asyncio.run(tap_path(folder, count))
    bare += bare_commits(folder, count)  # before and after, so drift in the disk hits both
    for name, fn in (("median", statistics.median), ("p99", lambda v: percentile(v, 0.99))):
        mine, ref = fn(ours) * 1000, fn(bare) * 1000
        target = "1.5" if name == "median" else "2"
        row(
            f"tap path {name} ({count} taps)",
            f"{mine:.3f} ms",
            f"bare WAL+FULL commit {ref:.3f} ms",
            f"{mine / ref:.2f}x (target <= {target}x)",
        )


# -- the zero report at 5,000 students in 120 rooms ---------------------------------------------


def bench_zero_report() -> None:
    school = sample_school(1)
    rooms = {f"r{n:03d}": Room(f"r{n:03d}", f"{n}教室") for n in range(120)}
    rule = TimeRule(
        frozenset(range(5)),
        datetime.strptime("18:15", "%H:%M").time(),
        datetime.strptime("19:30", "%H:%M").time(),
        date(2026, 1, 1),
        date(2027, 12, 31),
    )
    service = Service("evening", "晚自习", (rule,))
    students = {f"x{n:05d}": s for n, s in enumerate(list(school.students.values()) * 11)}
    students = {
        sid: type(s)(**{**{f: getattr(s, f) for f in s.__slots__}, "id": sid})
        for sid, s in list(students.items())[:5000]
    }
    enrolments = tuple(
        Enrolment(sid, "evening", f"r{n % 120:03d}", date(2026, 1, 1), date(2027, 12, 31))
        for n, sid in enumerate(students)
    )
    # Two guardians a child, as in the sample school: the report names one and their phone.
    guardians = {
        f"g{n:05d}": Guardian(f"g{n:05d}", f"家长{n}", f"139{n:08d}", "母亲", (sid,))
        for n, sid in enumerate(list(students) * 2)
    }
    big = type(school)(students=students, guardians=guardians, rooms=rooms, services={"evening": service},
                       enrolments=enrolments)  # fmt: skip
    plan = plan_day(big, DAY, TZ)
    state = Projection().state
    now = datetime(2026, 11, 30, 19, 0, tzinfo=TZ)
    sessions = list(plan.sessions.values())

    def all_reports() -> None:
        for session in sessions:
            zero_report(big, plan, state, session, now)

    all_reports()  # warm the pinyin cache, as a running device has
    times = []
    for _ in range(15):
        started = time.perf_counter()
        all_reports()
        times.append(time.perf_counter() - started)
    bare = []
    for _ in range(15):  # reference: one pass over the same enrolments doing nothing but a dict lookup
        started = time.perf_counter()
        for session in sessions:
            for sid in plan.expected[session.id]:
                state.attendance.get((session.id, sid))
        bare.append(time.perf_counter() - started)
    mine, ref = statistics.median(times) * 1000, statistics.median(bare) * 1000
    row(
        f"zero reports, {len(students)} students ({len(guardians)} guardians) in {len(sessions)} rooms",
        f"{mine:.1f} ms",
        f"bare pass over the same rows {ref:.2f} ms",
        f"{mine / ref:.0f}x (target < 20 ms)",
    )


# -- rebuilding the projection from a long log --------------------------------------------------


def bench_rebuild(folder: Path, count: int) -> None:
    path = folder / "rebuild.sqlite3"
    store = Store.open(path)
    start = datetime(2026, 11, 30, 17, 55, tzinfo=TZ)
    outcomes = (Outcome.ON_CAMPUS, Outcome.CHECKED_IN, Outcome.PICKED_UP, Outcome.ALREADY_IN)
    batch = []
    for n in range(count):
        outcome = outcomes[n % 4]
        event = Event(
            uuid.uuid4().hex,
            EventKind.TAP,
            outcome,
            start + timedelta(days=n // 8000, seconds=n % 8000),
            "bench",
            reader_id="gate-in",
            card_uid=f"{n:08X}",
            subject=f"s{n % 2000:04d}",
            data={"session": f"{DAY}.evening.r{n % 4}"},
            epoch=store.epoch,
        )
        record = event_to_row(event)
        del record["seq"]
        batch.append(record)
    store.db.table("events").insert_all(batch, batch_size=10_000)
    store.close()

    store = Store.open(path)
    started = time.perf_counter()
    scanned = sum(1 for _ in store.db.execute("SELECT * FROM events ORDER BY seq"))
    bare = time.perf_counter() - started
    started = time.perf_counter()
    store.rebuild()
    mine = time.perf_counter() - started
    store.close()
    row(
        f"rebuild projection from {count:,} events",
        f"{count / mine:,.0f} events/s",
        f"bare SELECT of the same rows {scanned / bare:,.0f} rows/s",
        f"{bare / mine:.2f}x of bare",
    )


# -- resident memory of the edge process with the sample school ---------------------------------

# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report its parent's peak.
MEMORY_PROBE = """
import asyncio, sys, tempfile
from pathlib import Path
{body}
status = open("/proc/self/status").read().splitlines()
print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""

EDGE_BODY = """
from zoneinfo import ZoneInfo
from edge.device.boot import SimBoot
from edge.core.codec import school_to_datasets
from edge.cli.demo import demo_readers
from edge.device.recorder import Recorder
from edge.cli.sample import sample_school
from edge.device.service import EdgeService
from hardware.clock import SimClock
from datetime import datetime
async def main():
    tz = ZoneInfo("Asia/Shanghai")
    school = sample_school(1)
    recorder = Recorder(Path(tempfile.mkdtemp()) / "e.sqlite3", "m", tz, demo_readers(school), SimBoot())
    await recorder.open()
    await recorder.install_datasets(school_to_datasets(school), version=1)
    service = EdgeService(recorder, SimClock(datetime(2026, 11, 30, 18, 30, tzinfo=tz)), [], 3.0)
    await service.tick()
    await recorder.close()
asyncio.run(main())
"""

BARE_BODY = "import sqlite3, aiohttp.web"


def rss_kib(body: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE.format(body=body)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def bench_memory() -> None:
    edge, bare = rss_kib(EDGE_BODY), rss_kib(BARE_BODY)
    row(
        "edge process peak RSS, sample school loaded",
        f"{edge / 1024:.1f} MB",
        f"bare python + sqlite3 + aiohttp {bare / 1024:.1f} MB",
        f"{edge / bare:.2f}x (target < 60 MB)",
    )


# -- durability ---------------------------------------------------------------------------------


def bench_durability(folder: Path, kills: int) -> None:
    from tests.durability import kill_and_verify

    started = time.perf_counter()
    trial = kill_and_verify(folder / "crash.sqlite3", kills=kills, seed=int(time.time()))
    row(
        f"SIGKILL durability, {trial.kills} kills",
        f"{trial.promised} acknowledged, 0 lost, 0 duplicated",
        f"{trial.stored} stored",
        f"{time.perf_counter() - started:.0f} s",
    )


def main() -> None:
    # here: they import this module's helpers
    from tests import (
        bench_api,
        bench_formation,
        bench_kiosk,
        bench_office,
        bench_readers,
        bench_sync,
        bench_tui,
    )

    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    taps, events, kills = (300, 50_000, 20) if args.quick else (3000, 1_000_000, 1000)
    feed, live_taps = (20_000, 100) if args.quick else (200_000, 1000)
    burst_taps = 300 if args.quick else 3000  # the burst: 3,000 taps to 20 and 150 consoles
    frames, reader_taps = (20_000, 50) if args.quick else (200_000, 500)
    rush_seconds = 10.0 if args.quick else 60.0  # the console under 100 taps a second
    pulled, per_device = (50_000, 2_500) if args.quick else (1_000_000, 50_000)
    single: list[float] = []
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        folder = Path(tmp)
        steps: list[Callable[[], object]] = [
            lambda: bench_tap_path(folder, taps),
            bench_zero_report,
            lambda: bench_rebuild(folder, events),
            bench_memory,
            lambda: bench_durability(folder, kills),
            lambda: bench_api.bench_feed(row, folder, feed),
            lambda: bench_api.bench_live(row, folder, live_taps),
            lambda: bench_api.bench_burst(row, folder, burst_taps),
            lambda: bench_readers.bench_decoder(row, frames),
            lambda: bench_readers.bench_read_to_event(row, folder, reader_taps),
            lambda: bench_tui.bench_console(row, folder, rush_seconds),
            lambda: bench_kiosk.bench_kiosk(row, folder, rush_seconds),
            lambda: single.append(bench_sync.bench_pull_one(row, folder, pulled)),
            lambda: bench_sync.bench_pull_twenty(row, folder, per_device, single[0]),
            lambda: bench_sync.bench_catchup(row, folder),
            lambda: bench_formation.run(row),
            lambda: asyncio.run(bench_office.run(7 if args.quick else 25, row)),
        ]
        for step in steps:
            step()
    width = max(len(r[0]) for r in ROWS)
    print(f"{'figure':<{width}}  {'ours':>22}  {'reference (same run)':<48}  ratio")
    for figure, ours, reference, ratio in ROWS:
        print(f"{figure:<{width}}  {ours:>22}  {reference:<48}  {ratio}")


if __name__ == "__main__":
    main()
