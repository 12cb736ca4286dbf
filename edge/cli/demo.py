"""Provides `rollcall demo`: the sample school's whole day on a fast clock, through the real device.

The sample school's datasets are installed in a fresh database, and the scripted day's taps
(midday care, clubs on Wednesday and Friday, evening study) go through the same repeat filter,
rules, durable store and feedback as a real gate's; manual actions go through the same recorder
as the console's. Only the clock and the card readers are simulated. Quiet stretches (afternoon
lessons, the hour before evening study) pass without waiting, so the day takes about as long as
its busy minutes do at `--speed`.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import io
import logging
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from aiohttp import web

from edge.cli.demo_script import SERVICE, Action, DayScript, Tap, gate_reader, room_reader, script_day
from edge.cli.sample import sample_school
from edge.core.codec import school_to_datasets
from edge.core.feed import describe
from edge.core.i18n import t
from edge.core.model import Event, Reader, ReaderRole, School
from edge.core.plan import plan_day
from edge.core.report import ZeroReport, zero_report
from edge.core.rules import Context, Decision, decide_call, decide_check_in, decide_excuse, decide_release
from edge.device.boot import SimBoot
from edge.device.config import load_config
from edge.device.recorder import Recorder, View
from edge.device.service import EdgeService
from edge.files.report_format import as_table
from edge.web.settings import ROLES
from hardware.clock import SimClock
from hardware.reads import CardRead

TIMEZONE = ZoneInfo("Asia/Shanghai")
DEVICE_ID = "demo-gate"
CONSOLE_LISTEN = "127.0.0.1:0"  # the demo's console talks to its device on loopback, on a free port
LEAD_MINUTES = 25  # the clock starts this long before the day's first session
TAIL_MINUTES = 45  # and runs this long after the last one ends (the escalation, the last pickups)
QUIET = timedelta(minutes=2)  # a minute's alert check this far from any step passes without waiting


@dataclass(frozen=True, slots=True)
class DemoOptions:
    seed: int = 1
    speed: float = 120.0  # simulated seconds per real second: the whole day in about 70 s; 0 = no waiting
    day: date | None = None
    start_at: time | None = None  # `--from HH:MM`: what comes before plays at once, then in time
    lang: str = "zh"
    data_dir: Path | None = None
    listen: str | None = None  # serve the device's API there, and keep running until stopped
    # The guard console, run over the demo's own API until the guard quits: `rollcall demo` on a
    # terminal passes `tui.cli.run_async` (url, guard token, language). The edge never imports it.
    console: Callable[[str, str, str], Coroutine[Any, Any, None]] | None = None


def demo_readers(school: School) -> dict[str, Reader]:
    readers = {
        gate_reader("in"): Reader(gate_reader("in"), ReaderRole.GATE_IN),
        gate_reader("out"): Reader(gate_reader("out"), ReaderRole.GATE_OUT),
    }
    for room in school.rooms:
        readers[room_reader(room)] = Reader(room_reader(room), ReaderRole.ROOM, room)
    return readers


def next_evening(school: School, after: date) -> date:
    """The first date from `after` on that has evening study (the demo needs a school day in term)."""
    for offset in range(120):  # the summer break is the longest wait
        day = after + timedelta(days=offset)
        if any(s.service_id == SERVICE for s in plan_day(school, day, TIMEZONE).sessions.values()):
            return day
    raise ValueError(f"no evening study within 120 days of {after.isoformat()}")


def write_demo_config(
    data_dir: Path, school: School, start: datetime, tokens: dict[str, str] | None = None, listen: str | None = None
) -> Path:
    """An edge.toml beside the demo's database, so `rollcall report zero --config` can read it.

    With `--listen` it names the address and the tokens' SHA-256 hashes, so `rollcall edge
    --config` can serve the same folder to the same tokens later.
    """
    lines = [
        "# Written by `rollcall demo`: a test device with simulated readers.",
        "[device]",
        f'id = "{DEVICE_ID}"',
        'data_dir = "."',
        "production = false",
        "",
        "[sim]",
        f'start = "{start.isoformat()}"',
    ]
    if listen:
        lines += ["", "[api]", f'listen = "{listen}"']
    for role, token in (tokens or {}).items():
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        lines += ["", "[[api.tokens]]", f'role = "{role}"', f'name = "demo-{role}"', f'sha256 = "{digest}"']
    for reader in demo_readers(school).values():
        lines += ["", "[[readers]]", f'id = "{reader.id}"', 'protocol = "sim"', f'role = "{reader.role}"']
        if reader.room_id:
            lines.append(f'room = "{reader.room_id}"')
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "edge.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def run_demo(options: DemoOptions, out: TextIO) -> list[ZeroReport]:
    school = sample_school(options.seed)
    day = options.day or next_evening(school, datetime.now(TIMEZONE).date())
    evening = script_day(school, day, TIMEZONE, options.seed)
    data_dir = options.data_dir or Path(tempfile.mkdtemp(prefix="rollcall-demo-"))
    database = data_dir / "rollcall.sqlite3"
    if database.exists():
        raise FileExistsError(f"{database}: the demo needs an empty folder; this one holds a database")
    clock = SimClock(evening.start - timedelta(minutes=LEAD_MINUTES))
    # The console is served on a loopback port of its own; the demo's feed would only scribble on it.
    listen = CONSOLE_LISTEN if options.console else options.listen
    # Tokens exist only in this process and on the screen; the device's file keeps their hashes.
    tokens = {role: secrets.token_urlsafe(24) for role in ROLES} if listen else {}
    write_demo_config(data_dir, school, clock.now(), tokens, listen)
    recorder = Recorder(database, DEVICE_ID, TIMEZONE, demo_readers(school), SimBoot())
    feedback = [] if options.console else [_printer(out, evening.school, options.lang)]
    service = EdgeService(recorder, clock, [], debounce_seconds=3.0, feedback=feedback)
    if options.console:
        return await _with_console(options, out, service, evening, data_dir, tokens)
    if options.listen:
        return await _serve(options, out, service, evening, data_dir, tokens)
    await recorder.open()
    try:
        return await _evening(options, out, service, evening, data_dir)
    finally:
        await recorder.close()


async def _evening(
    options: DemoOptions, out: TextIO, service: EdgeService, evening: DayScript, data_dir: Path
) -> list[ZeroReport]:
    """Install the sample school, play the evening, print the zero reports (the recorder is open)."""
    recorder, clock, lang, day = service.recorder, service.clock, options.lang, evening.start.date()
    if not isinstance(clock, SimClock):
        raise TypeError("the demo runs on a SimClock")
    await recorder.install_datasets(school_to_datasets(evening.school), version=1)
    plan = plan_day(evening.school, day, TIMEZONE)
    enrolled = len({sid for ids in plan.expected.values() for sid in ids})
    served = dict.fromkeys(s.service_id for s in sorted(plan.sessions.values(), key=lambda s: s.start))
    names = t("demo.and", lang).join(evening.school.services[service_id].name for service_id in served)
    out.write(
        t("demo.start", lang, school=t("demo.school", lang), date=day.isoformat(), service=names,
          count=enrolled) + "\n"
    )  # fmt: skip
    start_at = datetime.combine(day, options.start_at, TIMEZONE) if options.start_at else None
    # The script taps the demo's simulated readers itself, so none is opened by a supervisor: each is
    # up while the day plays (the console's F6 and the health say so, not "unknown").
    service.reader_states.update(dict.fromkeys(demo_readers(evening.school), "up"))
    await _play(evening, clock, service, recorder, options.speed, start_at)
    reports = await recorder.query(lambda view: _reports(view, day, clock.now()))
    out.write("\n" + as_table(reports, lang) + "\n")
    out.write(t("demo.done", lang, path=recorder.path) + "\n")
    out.write(f"rollcall report zero --config {data_dir / 'edge.toml'} --date {day.isoformat()}\n")
    out.flush()
    return reports


async def _serve(
    options: DemoOptions, out: TextIO, service: EdgeService, evening: DayScript, data_dir: Path,
    tokens: dict[str, str],
) -> list[ZeroReport]:  # fmt: skip
    """`--listen`: the same evening inside the device's API, which keeps serving until stopped."""
    from edge.api import create_app  # imported here: the plain demo does not need the API
    from edge.web.serve import background, serve, stop

    config = load_config(data_dir / "edge.toml")
    app = create_app(config, service)
    reports: list[ZeroReport] = []

    async def play_ctx(app: web.Application) -> AsyncIterator[None]:
        async def play() -> None:
            reports.extend(await _evening(options, out, service, evening, data_dir))

        task = background(app, "demo-day", play)
        yield
        await stop(task)

    app.cleanup_ctx.append(play_ctx)  # after the recorder's context: the database is open by then
    out.write(t("demo.tokens", options.lang) + "\n")
    out.writelines(f"  {role:<8} {token}\n" for role, token in tokens.items())
    out.flush()

    def ready(address: str) -> None:
        out.write(t("demo.listening", options.lang, address=address) + "\n")
        out.write(f"  curl -H 'Authorization: Bearer {tokens['guard']}' http://{address}/api/v1/sessions\n")
        out.flush()

    if await serve(app, config.listen, ready):
        raise RuntimeError("the demo's device stopped after a failure (see the log above)")
    return reports


async def _with_console(
    options: DemoOptions, out: TextIO, service: EdgeService, evening: DayScript, data_dir: Path,
    tokens: dict[str, str],
) -> list[ZeroReport]:  # fmt: skip
    """`rollcall demo` on a terminal: the evening plays inside the device's API while the guard console,
    in the same process, shows it; the demo ends when the guard quits the console."""
    from edge.api import create_app  # imported here: the plain demo does not need the API
    from edge.web.keys import HALT
    from edge.web.serve import background, serve, stop

    console = options.console
    if console is None:
        raise ValueError("no console to run")
    config = load_config(data_dir / "edge.toml")
    app = create_app(config, service)
    reports: list[ZeroReport] = []
    quiet = io.StringIO()  # the start line and the closing table would draw over the console

    async def play_ctx(app: web.Application) -> AsyncIterator[None]:
        async def play() -> None:
            reports.extend(await _evening(options, quiet, service, evening, data_dir))

        task = background(app, "demo-day", play)
        yield
        await stop(task)

    app.cleanup_ctx.append(play_ctx)
    shown: list[asyncio.Task[None]] = []

    def ready(address: str) -> None:
        task = asyncio.create_task(console(f"http://{address}", tokens["guard"], options.lang), name="console")
        task.add_done_callback(lambda _: app[HALT].set())  # the guard quit: the demo ends
        shown.append(task)

    # Log lines (one per request) would land on the console's screen: they go to a file instead.
    root = logging.getLogger()
    handlers, root.handlers = root.handlers, [logging.FileHandler(data_dir / "demo.log", encoding="utf-8")]
    try:
        status = await serve(app, config.listen, ready)
        for task in shown:
            if not task.done():  # the device stopped first (a failure): the console has nothing to show
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task  # a console that failed says why, here, after the screen is given back
        if status:
            raise RuntimeError("the demo's device stopped after a failure (see demo.log)")
    finally:
        root.handlers[0].close()
        root.handlers = handlers
    out.write(t("demo.done", options.lang, path=data_dir / "rollcall.sqlite3") + "\n")
    out.write(f"rollcall report zero --config {data_dir / 'edge.toml'} --date {evening.start.date().isoformat()}\n")
    out.flush()
    return reports


async def _play(
    day: DayScript, clock: SimClock, service: EdgeService, recorder: Recorder, speed: float,
    start_at: datetime | None = None,
) -> None:  # fmt: skip
    """Step the clock through the scripted day, with an alert check every simulated minute.

    A check far from any step (afternoon lessons) and everything before `start_at` take no time.
    """
    finish = day.end + timedelta(minutes=TAIL_MINUTES)
    ticks = [
        clock.now() + timedelta(minutes=m)
        for m in range(int((finish - clock.now()).total_seconds() // 60) + 1)
    ]
    timeline: list[tuple[datetime, int, Tap | Action | None]] = [(at, 1, None) for at in ticks]
    timeline += [(step.at, 0, step) for step in day.steps]
    timeline.sort(key=lambda item: (item[0], item[1]))
    busy = sorted(step.at for step in day.steps)
    for at, _, step in timeline:
        in_time = start_at is None or at > start_at
        if speed > 0 and at > clock.now() and in_time and (step is not None or _near(busy, at)):
            await asyncio.sleep((at - clock.now()).total_seconds() / speed)
        clock.set(max(at, clock.now()))
        if step is None:
            await service.tick(clock.now())
        elif isinstance(step, Tap):
            await service.handle(CardRead(step.reader_id, step.uid, clock.now(), clock.monotonic()))
        else:
            event = await recorder.act(_decider(step), clock.now(), step.actor)
            service.record(event)


def _near(busy: list[datetime], at: datetime) -> bool:
    """Whether a step falls within `QUIET` of `at` (`busy` is sorted)."""
    i = bisect.bisect_left(busy, at - QUIET)
    return i < len(busy) and busy[i] <= at + QUIET


def _decider(action: Action) -> Callable[[Context], Decision]:
    if action.kind == "call":
        return lambda ctx: decide_call(action.student, ctx, action.note)
    if action.kind == "release":
        return lambda ctx: decide_release(action.student, action.guardian, ctx)
    if action.kind == "excuse":
        return lambda ctx: decide_excuse(action.student, ctx, action.note)
    found = action.kind == "found"
    return lambda ctx: decide_check_in(action.student, ctx, action.note, found=found)


def _reports(view: View, day: date, now: datetime) -> list[ZeroReport]:
    plan = view.plan(day)
    return [
        zero_report(view.school, plan, view.projection.state, session, now)
        for session in sorted(plan.sessions.values(), key=lambda s: (s.start, s.room_id))
    ]


def _printer(out: TextIO, school: School, lang: str) -> Callable[[Event], None]:
    def print_line(event: Event) -> None:
        out.write(describe(event, school, lang) + "\n")
        out.flush()

    return print_line
