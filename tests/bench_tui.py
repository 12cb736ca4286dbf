"""Provides the guard console's benchmark for `make bench`: a gate rush of 100 taps a second with the console connected.

The edge runs in its own process (`tests/tui/edge_server.py`), as it does beside the kiosk, and
taps its simulated readers 100 times a second for 60 s (10 s with `--quick`), stamping each
event with `time.monotonic()` right after its commit. This process runs the real console
headless (Textual's `run_test`) on the gate screen, and stamps each event when it reaches the
console's state (`GuardApp.board`). CLOCK_MONOTONIC is one clock for every process of the
machine, so the difference is the lag from commit to console. The reference, in the same run,
is a bare WebSocket client in a process of its own that only parses each message.

Memory: the console process's resident set before the rush and after it; the feed is capped,
so it must stay flat (the first seconds allocate the feed's 200 rows and Textual's caches).
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench import percentile
from tui.app import GuardApp
from tui.messages import EventsWaiting

Row = Callable[[str, str, str, str], None]
RATE = 100.0  # taps a second: a class of forty through one gate in under half a second each, with room to spare


class MeasuredConsole(GuardApp):
    """The real console, noting when each event's seq first appears in its board."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(url, token, "zh")
        self.seen: dict[int, float] = {}

    def on_events_waiting(self, message: EventsWaiting) -> None:
        before = self.board.head_seq
        super().on_events_waiting(message)
        now = time.monotonic()
        for seq in range(before + 1, self.board.head_seq + 1):
            self.seen.setdefault(seq, now)


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line.split()[1] for line in status if line.startswith("VmRSS:"))) / 1024


# The reference client runs in its own process, so the console's own work (and its garbage
# collector) cannot pass for the transport's cost: it parses each message and stamps it.
BARE = """
import asyncio, json, sys, time, aiohttp
async def main(url, token, out):
    seen = {}
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url + "/api/v1/live", headers={"Authorization": "Bearer " + token}) as ws:
            async for message in ws:
                body = json.loads(message.data)
                if body["type"] == "snapshot":
                    print("ready", flush=True)
                elif body["type"] == "event":
                    seen.setdefault(body["event"]["seq"], time.monotonic())
    open(out, "w").write(json.dumps(seen))
asyncio.run(main(*sys.argv[1:]))
"""


async def rush(folder: Path, seconds: float) -> dict[str, Any]:
    edge = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.tui.edge_server", str(folder / "edge"), "--at", "2026-11-30T17:55:00+08:00",
        "--drive", str(RATE), "--seconds", str(seconds), "--commits", str(folder / "commits.json"),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert edge.stdin is not None and edge.stdout is not None
    try:
        info = json.loads(await edge.stdout.readline())
        app = MeasuredConsole(info["url"], info["guard"])
        bare = await asyncio.create_subprocess_exec(
            sys.executable, "-c", BARE, info["url"], info["guard"], str(folder / "bare.json"), stdout=subprocess.PIPE
        )
        assert bare.stdout is not None
        await bare.stdout.readline()  # its snapshot came: it is listening
        async with app.run_test(size=(100, 30)) as pilot:
            while not (app.board.online and app.board.sessions):
                await pilot.pause(0.05)
            await pilot.pause(1.0)
            gc.collect()
            start_mb = rss_mb()
            samples: list[float] = []
            edge.stdin.write(b"go\n")
            await edge.stdin.drain()
            done_task = asyncio.ensure_future(edge.stdout.readline())
            while not done_task.done():  # not pilot.pause: that waits for an idle app, and it is not idle
                await asyncio.sleep(1.0)
                samples.append(rss_mb())
            done = json.loads(done_task.result())
            while app.board.head_seq < done["done"]:  # noqa: ASYNC110 (the app's state, watched from outside)
                await asyncio.sleep(0.05)  # the last events on their way to the console
            gc.collect()
            end_mb = rss_mb()
            feed_rows = len(app.board.feed)
    finally:
        if edge.returncode is None:
            edge.terminate()  # it writes its commit stamps; the bare client sees the stream end
        await edge.wait()
    await asyncio.wait_for(bare.wait(), timeout=10)
    stamps = {int(k): v for k, v in json.loads((folder / "bare.json").read_text()).items()}
    commits = dict(json.loads((folder / "commits.json").read_text()))
    return {"commits": commits, "console": app.seen, "bare": stamps, "start_mb": start_mb, "end_mb": end_mb,
            "samples": samples, "taps": done["done"], "elapsed": done["seconds"], "feed_rows": feed_rows}  # fmt: skip


def bench_console(row: Row, folder: Path, seconds: float) -> None:
    target = folder / "console"
    target.mkdir()
    run = asyncio.run(asyncio.wait_for(rush(target, seconds), timeout=seconds + 120))
    commits: dict[int, float] = {int(k): v for k, v in run["commits"].items()}
    missed = set(commits) - set(run["console"])
    if missed:
        raise RuntimeError(f"the console never showed {len(missed)} of {len(commits)} events")
    lag = [run["console"][seq] - at for seq, at in commits.items()]
    bare = [run["bare"][seq] - at for seq, at in commits.items() if seq in run["bare"]]
    taps, rate = run["taps"], run["taps"] / run["elapsed"]
    for name, fn in (("median", statistics.median), ("p99", lambda v: percentile(v, 0.99))):
        mine, ref = fn(lag) * 1000, fn(bare) * 1000
        row(f"console lag, commit -> console state, {name} ({taps:,} taps at {rate:.0f}/s)", f"{mine:.1f} ms",
            f"bare WebSocket client {ref:.1f} ms", f"{mine / ref:.1f}x")  # fmt: skip
    half = run["samples"][len(run["samples"]) // 2:] or [run["end_mb"]]
    row(f"console memory (RSS) before -> after {seconds:.0f} s of taps", f"{run['start_mb']:.1f} -> {run['end_mb']:.1f} MB",
        f"second half {min(half):.1f}-{max(half):.1f} MB; feed {run['feed_rows']} rows",
        f"{run['end_mb'] / run['start_mb']:.2f}x (target: flat)")  # fmt: skip
