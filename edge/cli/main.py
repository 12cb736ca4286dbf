"""Provides the `rollcall` command: the demo, the edge device, rosters, zero reports and the database.

Bad input (a missing file, a bad config key, a malformed CSV row) exits with status 2 and one
line naming the file, line or key on stderr; never a traceback. Output that scripts read
(JSON, CSV) goes to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from edge.core.codec import DatasetError, school_to_datasets, to_plain
from edge.core.errors import StoreError
from edge.core.i18n import language, t
from edge.core.rules import ActionError
from edge.core.timetable import parse_hhmm
from edge.device.config import EdgeConfig, load_config
from edge.device.store import Store
from edge.files.report_format import FORMATS
from edge.files.tabular import RosterError
from edge.web.settings import ConfigError, split_listen

DEFAULT_CONFIG = "/etc/rollcall/edge.toml"

# Packages above the device add their own subcommands (`rollcall server`). They are named, not
# imported: the device must not depend on them (import-linter's layers), only the command line
# lists them. Each module has `add_commands(subparsers)` and imports its heavy parts lazily.
COMMANDS_ABOVE = ("sync.cli", "sync.bureau.cli", "tui.cli", "tui.kiosk.cli")

# Errors a user can cause and fix; anything else is a bug and keeps its traceback.
USER_ERRORS = (
    ConfigError,
    RosterError,
    StoreError,
    DatasetError,
    ActionError,
    FileExistsError,
    ValueError,
    OSError,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    lang = language(getattr(args, "lang", None))
    try:
        result: int = args.run(args, lang)
        return result
    except USER_ERRORS as error:
        print(f"rollcall: {t('error.prefix', lang)}: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _one_line(error: BaseException) -> str:
    if isinstance(error, RosterError):
        return "\n".join(error.messages)
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    return str(error)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rollcall", description="Check-in, pickup and zero reports for after-school service."
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), help="language of messages (default: zh, or en from LANG)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="the sample school's evening on a fast clock")
    demo.add_argument("--headless", action="store_true", help="print the live feed and the zero reports")
    demo.add_argument(
        "--speed",
        type=_non_negative,
        default=120.0,
        help="simulated seconds per real second (0 = as fast as possible; default 120)",
    )
    demo.add_argument("--seed", type=int, default=1, help="randomises the day's details (default 1)")
    demo.add_argument("--date", type=_date, help="the day to play (default: the next day with evening study)")
    demo.add_argument("--from", dest="start_at", type=_hhmm, metavar="HH:MM",
                      help="play what comes before this time at once, then in time (default: from late morning)")
    demo.add_argument(
        "--data", type=Path, help="an empty folder for the demo's database (default: a temp folder)"
    )
    demo.add_argument(
        "--listen",
        type=_listen,
        metavar="HOST:PORT",
        help="serve the demo device's API there (printing its tokens) and keep running until stopped",
    )
    demo.add_argument(
        "--office",
        type=_listen,
        default="127.0.0.1:8480",
        metavar="HOST:PORT",
        help="serve the school office's pages there, with the sample school (default 127.0.0.1:8480)",
    )
    demo.add_argument("--no-office", dest="office", action="store_const", const=None,
                      help="play the day without the school office's pages")  # fmt: skip
    _lang(demo)
    demo.set_defaults(run=_demo)

    edge = commands.add_parser("edge", help="run an edge device")
    _config(edge)
    edge.set_defaults(run=_edge)

    roster = commands.add_parser("roster", help="import or export the roster (CSV or XLSX)")
    roster_commands = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    roster_import = roster_commands.add_parser(
        "import", help="replace students, guardians and cards from a file"
    )
    roster_import.add_argument("file", type=Path)
    roster_import.add_argument("--enrolments", type=Path, help="a file of enrolments to replace too")
    roster_import.add_argument("--leave", type=Path, help="a file of leave to replace too")
    _config(roster_import)
    roster_import.set_defaults(run=_roster_import)
    roster_export = roster_commands.add_parser("export", help="write the roster to a CSV or XLSX file")
    roster_export.add_argument("file", type=Path)
    _config(roster_export)
    _lang(roster_export)
    roster_export.set_defaults(run=_roster_export)

    report = commands.add_parser("report", help="reports")
    report_commands = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    zero = report_commands.add_parser("zero", help="the zero reports (零报告) of a day")
    zero.add_argument("--date", type=_date, help="the day (default: today)")
    zero.add_argument("--session", help="one session id, e.g. 2026-11-30.evening.r301")
    zero.add_argument("--format", choices=FORMATS, default="table")
    zero.add_argument("--output", type=Path, help="file to write (required for xlsx)")
    _config(zero)
    _lang(zero)
    zero.set_defaults(run=_report_zero)

    readers = commands.add_parser("readers", help="find, test and calibrate card readers")
    reader_commands = readers.add_subparsers(dest="readers_command", required=True, metavar="ACTION")
    listing = reader_commands.add_parser("list", help="serial ports and keyboard-wedge readers, by stable name")
    listing.set_defaults(run=_readers_list)
    trying = reader_commands.add_parser("test", help="decode a reader live, one read a line (Ctrl-C to stop)")
    trying.add_argument("port", help="e.g. /dev/serial/by-id/usb-1a86_USB_Serial-if00-port0")
    trying.add_argument("--protocol", required=True, help="rdm6300, pn532, ascii, hid")
    trying.add_argument("--format", help="what an ascii or hid reader prints (see `readers calibrate`)")
    trying.add_argument("--json", action="store_true", help="one JSON object a line, with every rendering")
    trying.add_argument("--count", type=int, help="stop after this many reads")
    trying.set_defaults(run=_readers_test)
    calibrate = reader_commands.add_parser("calibrate", help="which format a reader prints, from one known card")
    calibrate.add_argument("--uid", required=True, help="the card's UID in hex, as a PN532 or the card's label gives it")
    calibrate.add_argument("--printed", required=True, help="what the reader printed for that card")
    calibrate.set_defaults(run=_readers_calibrate)

    db = commands.add_parser("db", help="check or rebuild the database")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    check = db_commands.add_parser(
        "check", help="integrity check, and the projection against a replay of the log"
    )
    _config(check)
    check.set_defaults(run=_db_check)
    rebuild = db_commands.add_parser("rebuild", help="rebuild the projection from the event log")
    _config(rebuild)
    rebuild.set_defaults(run=_db_rebuild)
    for name in COMMANDS_ABOVE:
        importlib.import_module(name).add_commands(commands)
    return parser


def _config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("ROLLCALL_CONFIG", DEFAULT_CONFIG)),
        help=f"the device's TOML configuration (default: $ROLLCALL_CONFIG or {DEFAULT_CONFIG})",
    )


def _lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang", choices=("zh", "en"), default=argparse.SUPPRESS, help="language (default: zh)"
    )


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _hhmm(text: str) -> time:
    try:
        return parse_hhmm(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _listen(text: str) -> str:
    try:
        split_listen(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


# -- commands -----------------------------------------------------------------------------------


def _demo(args: argparse.Namespace, lang: str) -> int:
    from edge.cli.demo import DemoOptions, run_demo

    # On a terminal the demo opens the guard console over its own API: `tui.cli` (a package above
    # the device, see COMMANDS_ABOVE) sets the `console` default on this command when it is present.
    console = getattr(args, "console", None)
    if args.headless or args.listen or not (sys.stdin.isatty() and sys.stdout.isatty()):
        console = None
    options = DemoOptions(
        seed=args.seed, speed=args.speed, day=args.date, lang=lang, data_dir=args.data, listen=args.listen,
        console=console, start_at=args.start_at,
    )  # fmt: skip
    with contextlib.ExitStack() as beside:
        if args.office:
            from edge.cli.demo_office import office_beside_demo

            beside.enter_context(office_beside_demo(args.office, lang, sys.stdout))
        asyncio.run(run_demo(options, sys.stdout))
    return 0


def _edge(args: argparse.Namespace, lang: str) -> int:
    from edge.cli.run import run_edge

    status: int = asyncio.run(run_edge(load_config(args.config)))
    return status


def _with_store(args: argparse.Namespace, work: Callable[[Store, EdgeConfig], Any]) -> Any:
    config = load_config(args.config)
    store = Store.open(config.database)
    try:
        return work(store, config)
    finally:
        store.close()


def _roster_import(args: argparse.Namespace, lang: str) -> int:
    from edge.files.roster import read_enrolments, read_leave, read_roster

    roster = read_roster(args.file, lang)

    def install(store: Store, config: EdgeConfig) -> int:
        datasets = school_to_datasets(roster)
        wanted = {"students", "guardians", "cards"}
        # Enrolments name the new roster's students and the device's own services and rooms.
        known = replace(store.load_school(), students=roster.students)
        if args.enrolments:
            datasets["enrolments"] = [to_plain(e) for e in read_enrolments(args.enrolments, known, lang)]
            wanted.add("enrolments")
        if args.leave:
            datasets["leave"] = [to_plain(x) for x in read_leave(args.leave, known, lang)]
            wanted.add("leave")
        version = max(store.dataset_version(name) for name in wanted) + 1
        store.install_datasets({name: datasets[name] for name in wanted}, version)
        print(
            f"{args.file}: {len(roster.students)} students, {len(roster.guardians)} guardians, "
            f"{len(roster.cards)} cards (version {version})",
            file=sys.stderr,
        )
        return 0

    result: int = _with_store(args, install)
    return result


def _roster_export(args: argparse.Namespace, lang: str) -> int:
    from edge.files.roster import write_roster

    def export(store: Store, config: EdgeConfig) -> int:
        write_roster(store.load_school(), args.file, lang=lang)
        return 0

    result: int = _with_store(args, export)
    return result


def _report_zero(args: argparse.Namespace, lang: str) -> int:
    from edge.api.sessions import reader_names
    from edge.core.plan import plan_day
    from edge.core.report import zero_report
    from edge.files.report_format import as_csv, as_json, as_table, write_xlsx

    if args.format == "xlsx" and not args.output:
        raise ValueError("--format xlsx needs --output FILE.xlsx")

    def build(store: Store, config: EdgeConfig) -> int:
        school, state = store.load_school(), store.load_projection().state
        now = datetime.now(config.timezone)
        day = args.date or now.date()
        plan = plan_day(school, day, config.timezone)
        sessions = sorted(plan.sessions.values(), key=lambda s: (s.start, s.room_id))
        if args.session:
            sessions = [s for s in sessions if s.id == args.session]
            if not sessions:
                raise ValueError(f"no session {args.session!r} on {day.isoformat()}")
        # A past day's report is read as of its end of day, so nothing shows "not yet arrived".
        as_of = now if day == now.date() else datetime.combine(day, datetime.max.time(), config.timezone)
        reports = [zero_report(school, plan, state, s, as_of) for s in sessions]
        if not reports:
            print(t("report.none", lang, date=day.isoformat()), file=sys.stderr)
        places = reader_names(config, school, lang)
        if args.format == "xlsx":
            write_xlsx(reports, lang, args.output, places)
            return 0
        text = {
            "table": lambda: as_table(reports, lang),
            "json": lambda: as_json(reports),
            "csv": lambda: as_csv(reports, lang, places),
        }[args.format]()
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
        return 0

    result: int = _with_store(args, build)
    return result


def _readers_list(args: argparse.Namespace, lang: str) -> int:
    from hardware.discovery import list_input_devices, list_serial_ports

    ports, keyboards = list_serial_ports(), list_input_devices()
    for port in ports:
        print(f"{port.path}\t-> {port.device}\t{port.kind}\t{port.description}")
    for keyboard in keyboards:
        print(f"{keyboard.path}\t-> {keyboard.device}\tkeyboard-wedge (protocol hid)")
    if not ports and not keyboards:
        print("no serial ports or keyboard-wedge readers found", file=sys.stderr)
    return 0


def _readers_test(args: argparse.Namespace, lang: str) -> int:
    from zoneinfo import ZoneInfo

    from hardware.clock import SystemClock
    from hardware.discovery import test_reader

    options = {"format": args.format} if args.format else {}
    clock = SystemClock(ZoneInfo("Asia/Shanghai"))
    asyncio.run(test_reader(args.port, args.protocol, args.json, sys.stdout, clock, options=options, count=args.count))
    return 0


def _readers_calibrate(args: argparse.Namespace, lang: str) -> int:
    from hardware.reads import normalise_uid
    from hardware.uid import calibrate

    uid = normalise_uid(args.uid)
    found = calibrate(uid, args.printed)
    if not found:
        raise ValueError(f"no known format prints card {uid} as {args.printed!r}; check the card and the digits")
    for rendering in found:
        print(rendering.value)
    return 0


def _db_check(args: argparse.Namespace, lang: str) -> int:
    problems: list[str] = _with_store(args, lambda store, config: store.check())
    for problem in problems:
        print(f"{args.config}: {problem}", file=sys.stderr)
    if not problems:
        print("ok")
    return 1 if problems else 0


def _db_rebuild(args: argparse.Namespace, lang: str) -> int:
    def rebuild(store: Store, config: EdgeConfig) -> int:
        store.rebuild(_progress("rebuilding") if sys.stderr.isatty() else None)
        print(f"{config.database}: projection rebuilt from {store.head_seq()} events", file=sys.stderr)
        return 0

    result: int = _with_store(args, rebuild)
    return result


def _progress(what: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(
            f"\r{what}: {done:,}/{total:,} events ({done * 100 // max(total, 1)}%)", end=end, file=sys.stderr
        )

    return show
