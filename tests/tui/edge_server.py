"""Provides a simulated edge device with the sample school, served on loopback, for the console's tmux test and bench.

    python -m tests.tui.edge_server DATA_DIR [--at ISO] [--arrive N] [--drive RATE --seconds S --commits FILE]

Prints one JSON line (`url`, and the `guard` and `sim` tokens) once it serves, then runs until
SIGTERM or SIGINT. `--arrive N` taps the first N evening students in at the gate and their
room at 18:05 before the clock is set to `--at`. `--drive RATE` waits for a line on stdin, then
taps RATE cards a second for `--seconds`, through the simulated readers as a gate rush would
(the simulated clock moves a second a tap, so the repeat filter lets each through), and prints
`{"done": N}`; `--commits FILE` records, for every event, `time.monotonic()` right after its
commit (CLOCK_MONOTONIC is shared by every process of the machine: the bench compares it with
the console's own clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web

from edge.api import create_app
from edge.api.keys import ApiOptions
from edge.cli.run import build_service
from edge.core.codec import school_to_datasets
from edge.core.plan import DayPlan, plan_day
from edge.device.service import EdgeService
from edge.web.serve import background, serve, stop
from hardware.clock import SimClock
from hardware.reads import CardRead
from tests.api.conftest import TOKENS, config_for, school

TZ = ZoneInfo("Asia/Shanghai")


def evening_plan(day: datetime) -> DayPlan:
    return plan_day(school(), day.date(), TZ)


def evening_students(plan: DayPlan) -> list[str]:
    return sorted({s for sid, ids in plan.expected.items() if ".evening." in sid for s in ids})


def card_of(holder: str) -> str:
    return next(c.uid for c in school().cards.values() if c.holder_id == holder and c.status.value == "active")


async def main(args: argparse.Namespace) -> int:
    config = config_for(args.data_dir)
    service = build_service(config)
    clock = service.clock
    if not isinstance(clock, SimClock):
        raise TypeError("the sim device needs a SimClock")
    app = create_app(config, service, ApiOptions(run_service=False, purge_seconds=3600.0))
    commits: list[tuple[int, float]] = []

    async def setup_ctx(app: web.Application) -> AsyncIterator[None]:
        await service.recorder.install_datasets(school_to_datasets(school()), version=1)
        at = datetime.fromisoformat(args.at)
        clock.set(at.replace(hour=18, minute=5))
        plan = evening_plan(at)
        for student in evening_students(plan)[: args.arrive]:
            room = plan.sessions_of[student][-1].room_id
            for reader in ("gate-in", f"room-{room}"):
                clock.advance(1)
                await service.handle(CardRead(reader, card_of(student), clock.now(), clock.monotonic()))
        clock.set(max(at, clock.now()))
        if args.commits:
            service.feedback.append(lambda event: commits.append((event.seq, time.monotonic())))
        task = background(app, "drive", lambda: _drive(service, clock, plan, args.drive, args.seconds)) if args.drive else None
        yield
        await stop(task)
        if args.commits:
            args.commits.write_text(json.dumps(commits), encoding="utf-8")

    app.cleanup_ctx.append(setup_ctx)

    def ready(address: str) -> None:
        print(json.dumps({"url": f"http://{address}", "guard": TOKENS["guard"], "sim": TOKENS["sim"]}), flush=True)

    return await serve(app, "127.0.0.1:0", ready)


async def _drive(service: EdgeService, clock: SimClock, plan: DayPlan, rate: float, seconds: float) -> None:
    """On a line from stdin: `rate` taps a second for `seconds`, on schedule (late ones go at once)."""
    await asyncio.to_thread(sys.stdin.readline)
    students = evening_students(plan)
    taps = [(f"room-{plan.sessions_of[s][-1].room_id}" if n % 2 else "gate-in", card_of(s))
            for n, s in enumerate(students[n // 2 % len(students)] for n in range(int(rate * seconds)))]  # fmt: skip
    loop = asyncio.get_running_loop()
    started, done = loop.time(), 0
    for n, (reader, uid) in enumerate(taps):
        wait = started + n / rate - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        clock.advance(1)
        if await service.handle(CardRead(reader, uid, clock.now(), clock.monotonic())) is not None:
            done += 1
    print(json.dumps({"done": done, "seconds": loop.time() - started}), flush=True)
    await asyncio.Event().wait()  # keep serving until stopped


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.tui.edge_server")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--at", default="2026-11-30T18:20:00+08:00")
    parser.add_argument("--arrive", type=int, default=0)
    parser.add_argument("--commits", type=Path)
    parser.add_argument("--drive", type=float, default=0.0, help="taps a second, after a line on stdin")
    parser.add_argument("--seconds", type=float, default=60.0)
    sys.exit(asyncio.run(main(parser.parse_args())))
