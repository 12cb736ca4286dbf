"""Provides the students' screen's benchmark: commit -> the tap painted on the kiosk, during a gate rush.

As `tests/bench_tui.py` does for the guard console: the edge runs in its own process
(`tests/tui/edge_server.py`) and taps its simulated readers `RATE` times a second for 60 s (10 s
with `--quick`), stamping each event with `time.monotonic()` right after its commit. This process
runs the real kiosk headless (Textual's `run_test`) and stamps each tap once the screen has been
refreshed with it on the panel (`call_after_refresh`, so the figure includes folding and painting).
CLOCK_MONOTONIC is one clock for every process of the machine. The reference, in the same run, is
the bare WebSocket client of `bench_tui` in a process of its own that only parses each message.

    python -m tests.bench_kiosk [--quick] [--rate N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench import percentile, row
from tests.bench_tui import BARE, Row
from tui.kiosk.app import KioskApp
from tui.messages import EventsWaiting

RATE = 100.0  # taps a second: the console's rush; a real gate sees one or two
TARGET_MS = 100.0  # the issue: the kiosk shows a tap within 100 ms of its commit


class MeasuredKiosk(KioskApp):
    """The real kiosk, noting when each tap it showed was first painted."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(url, token, "zh", hold=4.0)
        self.painted: dict[int, float] = {}

    def on_events_waiting(self, message: EventsWaiting) -> None:
        last = self.verdicts[-1].seq if self.verdicts else 0
        super().on_events_waiting(message)
        fresh = [v.seq for v in self.verdicts if v.seq > last]
        if fresh:
            self.call_after_refresh(self._stamp, fresh)

    def _stamp(self, seqs: list[int]) -> None:
        now = time.monotonic()
        for seq in seqs:
            self.painted.setdefault(seq, now)


async def rush(folder: Path, seconds: float, rate: float) -> dict[str, Any]:
    edge = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.tui.edge_server", str(folder / "edge"), "--at", "2026-11-30T17:55:00+08:00",
        "--drive", str(rate), "--seconds", str(seconds), "--commits", str(folder / "commits.json"),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert edge.stdin is not None and edge.stdout is not None
    try:
        info = json.loads(await edge.stdout.readline())
        app = MeasuredKiosk(info["url"], info["guard"])
        bare = await asyncio.create_subprocess_exec(
            sys.executable, "-c", BARE, info["url"], info["guard"], str(folder / "bare.json"), stdout=subprocess.PIPE
        )
        assert bare.stdout is not None
        await bare.stdout.readline()
        async with app.run_test(size=(60, 24)) as pilot:
            while not app.online:
                await pilot.pause(0.05)
            await pilot.pause(1.0)
            edge.stdin.write(b"go\n")
            await edge.stdin.drain()
            done = json.loads(await edge.stdout.readline())
            while len(app.painted) < done["done"]:  # noqa: ASYNC110 (the app's state, watched from outside)
                await asyncio.sleep(0.05)
    finally:
        if edge.returncode is None:
            edge.terminate()
        await edge.wait()
    await asyncio.wait_for(bare.wait(), timeout=10)
    stamps = {int(k): v for k, v in json.loads((folder / "bare.json").read_text()).items()}
    commits = {int(k): v for k, v in json.loads((folder / "commits.json").read_text())}
    return {"commits": commits, "kiosk": app.painted, "bare": stamps, "taps": done["done"], "elapsed": done["seconds"]}


def bench_kiosk(row: Row, folder: Path, seconds: float, rate: float = RATE) -> None:
    target = folder / "kiosk"
    target.mkdir()
    run = asyncio.run(asyncio.wait_for(rush(target, seconds, rate), timeout=seconds + 120))
    commits: dict[int, float] = run["commits"]
    missed = set(commits) - set(run["kiosk"])
    if missed:
        raise RuntimeError(f"the kiosk never showed {len(missed)} of {len(commits)} taps")
    lag = [run["kiosk"][seq] - at for seq, at in commits.items()]
    bare = [run["bare"][seq] - at for seq, at in commits.items() if seq in run["bare"]]
    taps, measured = run["taps"], run["taps"] / run["elapsed"]
    for name, fn in (("median", statistics.median), ("p99", lambda v: percentile(v, 0.99))):
        mine, ref = fn(lag) * 1000, fn(bare) * 1000
        row(f"kiosk lag, commit -> tap painted, {name} ({taps:,} taps at {measured:.0f}/s)", f"{mine:.1f} ms",
            f"bare WebSocket client {ref:.1f} ms", f"{mine / ref:.1f}x (target: under {TARGET_MS:.0f} ms)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_kiosk")
    parser.add_argument("--quick", action="store_true", help="10 s of taps instead of 60")
    parser.add_argument("--rate", type=float, default=RATE, help=f"taps a second (default {RATE:.0f})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        bench_kiosk(row, Path(tmp), 10.0 if args.quick else 60.0, args.rate)


if __name__ == "__main__":
    main()
