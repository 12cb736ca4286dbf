"""Provides `rollcall server`: run the school server, manage what it holds (rosters, datasets, stopped devices), show what leaves it.

`edge.cli` lists this module by name and calls `add_commands`; everything heavy is imported inside
the commands, so `rollcall --help` stays quick. The management commands write the server's
database directly (WAL lets them beside a running server): a running server notices a new dataset
version within seconds and pushes it, and a resumed device within `puller.RESUME_CHECK`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from edge.core.i18n import t

if TYPE_CHECKING:
    from sync.config import ServerConfig
    from sync.store import ServerStore

T = TypeVar("T")

DEFAULT_CONFIG = "/etc/rollcall/server.toml"


def add_commands(commands: Any) -> None:
    server = commands.add_parser("server", help="run the school server (or manage its rosters and datasets)")
    _config(server, None)
    server.set_defaults(run=_run)
    actions = server.add_subparsers(dest="server_command", metavar="ACTION")

    roster = actions.add_parser("roster", help="the roster the server pushes to every device")
    roster_actions = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    importing = roster_actions.add_parser(
        "import", help="store a roster (CSV or XLSX) as the next version to push"
    )
    importing.add_argument("file", type=Path)
    importing.add_argument("--enrolments", type=Path, help="a file of enrolments to replace too")
    importing.add_argument("--leave", type=Path, help="a file of leave to replace too")
    _config(importing, argparse.SUPPRESS)
    importing.set_defaults(run=_roster_import)
    exporting = roster_actions.add_parser("export", help="write the server's roster to a CSV or XLSX file")
    exporting.add_argument("file", type=Path)
    _config(exporting, argparse.SUPPRESS)
    exporting.set_defaults(run=_roster_export)

    dataset = actions.add_parser("dataset", help="store any dataset from JSON, or the sample school's")
    dataset_actions = dataset.add_subparsers(dest="dataset_command", required=True, metavar="ACTION")
    put = dataset_actions.add_parser(
        "put", help="store NAME from a JSON file (rows; the calendar is one object)"
    )
    put.add_argument("name")
    put.add_argument("file", type=Path)
    _config(put, argparse.SUPPRESS)
    put.set_defaults(run=_dataset_put)
    sample = dataset_actions.add_parser(
        "sample", help="store the sample school's datasets (to try the server out)"
    )
    sample.add_argument("--seed", type=int, default=1)
    _config(sample, argparse.SUPPRESS)
    sample.set_defaults(run=_dataset_sample)
    listing = dataset_actions.add_parser("list", help="each dataset's version, and what each device holds")
    _config(listing, argparse.SUPPRESS)
    listing.set_defaults(run=_dataset_list)

    user = actions.add_parser("user", help="staff accounts of the office's pages (/office)")
    user_actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    adding = user_actions.add_parser(
        "add", help="add an account; the password is asked for (or $ROLLCALL_PASSWORD)"
    )
    adding.add_argument("username")
    adding.add_argument("--role", required=True,
                        help="office, homeroom, duty_leader, duty_teacher, guard or admin")  # fmt: skip
    adding.add_argument("--name", default="", help="the name shown on the pages (default: the username)")
    adding.add_argument(
        "--class", dest="class_name", default="", help="a homeroom teacher's class, e.g. 一年级1班"
    )
    adding.add_argument("--room", default="", help="a duty teacher's room id (she signs its reports)")
    adding.add_argument("--staff-id", default="", help="her id in the staff dataset (the report's signer)")
    _config(adding, argparse.SUPPRESS)
    adding.set_defaults(run=_user_add)
    passwd = user_actions.add_parser("passwd", help="set an account's password; its sessions end")
    passwd.add_argument("username")
    _config(passwd, argparse.SUPPRESS)
    passwd.set_defaults(run=_user_passwd)
    listing_users = user_actions.add_parser("list", help="the accounts, one a line")
    _config(listing_users, argparse.SUPPRESS)
    listing_users.set_defaults(run=_user_list)

    demo = actions.add_parser("demo", help="the school server with the sample school and the office's pages, to try")
    demo.add_argument("--listen", default="127.0.0.1:8480", help="address to serve at (default 127.0.0.1:8480)")
    demo.add_argument("--data", type=Path, help="a folder for its database (default: a new temporary one)")
    demo.set_defaults(run=_server_demo)

    upward = actions.add_parser(
        "upward", help="print the upward report's rows for a day exactly as the district receives them (JSON lines)"
    )
    upward.add_argument("--date", help="the day, YYYY-MM-DD (default: today)")
    _config(upward, argparse.SUPPRESS)
    upward.set_defaults(run=_upward)

    resume = actions.add_parser("resume", help="let a device's stopped ingest (a gap) go on")
    resume.add_argument("device")
    _config(resume, argparse.SUPPRESS)
    resume.set_defaults(run=_resume)


def _config(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=default
        if default is not None
        else Path(os.environ.get("ROLLCALL_SERVER_CONFIG", DEFAULT_CONFIG)),
        help=f"the server's TOML configuration (default: $ROLLCALL_SERVER_CONFIG or {DEFAULT_CONFIG})",
    )


def _run(args: argparse.Namespace, lang: str) -> int:
    from sync.config import load_server_config
    from sync.run import run_server

    status: int = asyncio.run(run_server(load_server_config(args.config)))
    return status


def _with_store(args: argparse.Namespace, work: Callable[[ServerStore, ServerConfig], T]) -> T:
    from sync.config import load_server_config
    from sync.store import ServerStore

    config = load_server_config(args.config)
    store = ServerStore.open(config.store, config.timezone)
    try:
        return work(store, config)
    finally:
        store.close()


def _now(config: ServerConfig) -> Any:
    from datetime import datetime

    return datetime.now(config.timezone)


def _store_versions(args: argparse.Namespace, new: dict[str, Any], source: str, lang: str) -> int:
    from sync import datasets

    def store_them(store: ServerStore, config: ServerConfig) -> int:
        made = datasets.add_versions(store.db, new, source, _now(config))
        for name in new:
            rows = len(new[name]) if isinstance(new[name], list) else 1
            if name in made:
                print(t("server.cli.dataset_version", lang, name=name, rows=rows, version=made[name]), file=sys.stderr)
            else:
                print(t("server.cli.dataset_unchanged", lang, name=name, rows=rows), file=sys.stderr)
        return 0

    return _with_store(args, store_them)


def _roster_import(args: argparse.Namespace, lang: str) -> int:
    from edge.core.codec import school_to_datasets, to_plain
    from edge.files.roster import read_enrolments, read_leave, read_roster
    from sync import datasets

    roster = read_roster(args.file, lang)

    def build(store: ServerStore, config: ServerConfig) -> dict[str, Any]:
        plain = school_to_datasets(roster)
        # Cards given out at a console stay, unless the file gives their uid to someone else.
        new = {"students": plain["students"], "guardians": plain["guardians"],
               "cards": datasets.with_assignments(store.db, plain["cards"])}  # fmt: skip
        known = replace(datasets.school(store.db), students=roster.students)
        if args.enrolments:
            new["enrolments"] = [to_plain(e) for e in read_enrolments(args.enrolments, known, lang)]
        if args.leave:
            new["leave"] = [to_plain(x) for x in read_leave(args.leave, known, lang)]
        return new

    new = _with_store(args, build)
    return _store_versions(args, new, f"roster {args.file.name}", lang)


def _roster_export(args: argparse.Namespace, lang: str) -> int:
    from edge.files.roster import write_roster
    from sync import datasets

    def export(store: ServerStore, config: ServerConfig) -> int:
        write_roster(datasets.school(store.db), args.file, lang=lang)
        return 0

    return _with_store(args, export)


def _dataset_put(args: argparse.Namespace, lang: str) -> int:
    try:
        rows = json.loads(args.file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{args.file}: not JSON: {error}") from None
    except RecursionError:  # as the API's bodies (edge.web.parse.read_json): no dataset nests that deep
        raise ValueError(f"{args.file}: not JSON: nested too deeply") from None
    return _store_versions(args, {args.name: rows}, f"file {args.file.name}", lang)


def _dataset_sample(args: argparse.Namespace, lang: str) -> int:
    from edge.cli.sample import sample_school
    from edge.core.codec import school_to_datasets

    return _store_versions(args, school_to_datasets(sample_school(args.seed)), f"sample school {args.seed}", lang)


def _dataset_list(args: argparse.Namespace, lang: str) -> int:
    from sync import datasets

    def show(store: ServerStore, config: ServerConfig) -> int:
        latest = datasets.latest(store.db)
        held = datasets.deliveries(store.db)
        for name, version in sorted(latest.items()):
            have = {device: found[name].version for device, found in held.items() if name in found}
            devices = " ".join(
                f"{d}={v}{'' if v == version.version else '*'}" for d, v in sorted(have.items())
            )
            print(f"{name}\tv{version.version}\t{version.sha256[:12]}\t{devices}")
        return 0

    return _with_store(args, show)


def _resume(args: argparse.Namespace, lang: str) -> int:
    def resume(store: ServerStore, config: ServerConfig) -> int:
        if config.device(args.device) is None:
            raise ValueError(t("server.cli.no_device", lang, config=args.config, device=args.device))
        done = store.resume(args.device, _now(config))
        print(t("server.cli.resumed", lang, device=args.device, was=done["was"]), file=sys.stderr)
        return 0

    return _with_store(args, resume)


def _upward(args: argparse.Namespace, lang: str) -> int:
    """What leaves for the district on a day: the rows, one JSON object a line; how they leave, on stderr."""
    from datetime import date

    from sync import upward_feed
    from sync.config import load_server_config
    from sync.server import SchoolServer

    config = load_server_config(args.config)
    now = _now(config)
    try:
        day = date.fromisoformat(args.date) if args.date else now.date()
    except ValueError:
        raise ValueError(t("server.cli.bad_date", lang, given=args.date)) from None

    async def rows() -> list[Any]:
        school = SchoolServer(config)
        await school.open()
        try:
            return await upward_feed.rows_between(school, [day], now)
        finally:
            await school.close()

    found = asyncio.run(rows())
    for row in found:
        print(json.dumps(row.as_dict(), ensure_ascii=False))
    sending = config.district
    how = t("upward.cli.pulled", lang)
    if config.store_url:
        from sync.district.replication import publication

        since = t("upward.cli.from", lang, day=sending.since) if sending.since else t("upward.cli.every_date", lang)
        how = t("upward.cli.published", lang, publication=publication(config.school_code), since=since)
    names = t("upward.cli.names" if sending.names else "upward.cli.no_names", lang)
    signer = t("upward.cli.signer_name" if sending.signer_names else "upward.cli.signer_id", lang)
    print(t("upward.cli.summary", lang, school=config.school_code, day=day, count=len(found), names=names,
            signer=signer, how=how), file=sys.stderr)  # fmt: skip
    return 0


def _password(lang: str) -> str:
    """$ROLLCALL_PASSWORD (scripts), else asked twice at the terminal without echo."""
    import getpass

    given = os.environ.get("ROLLCALL_PASSWORD")
    if given is not None:
        return given
    first = getpass.getpass(t("server.cli.password", lang))
    if getpass.getpass(t("server.cli.again", lang)) != first:
        raise ValueError(t("server.cli.password_differs", lang))
    return first


def _user_add(args: argparse.Namespace, lang: str) -> int:
    from sync.office.accounts import User, add_user

    user = User(
        args.username, args.name or args.username, args.role, args.class_name, args.room, args.staff_id
    )
    password = _password(lang)

    def add(store: ServerStore, config: ServerConfig) -> int:
        add_user(store.db, user, password, _now(config))
        print(t("server.cli.user_added", lang, username=user.username, role=user.role), file=sys.stderr)
        return 0

    return _with_store(args, add)


def _user_passwd(args: argparse.Namespace, lang: str) -> int:
    from sync.office.accounts import set_password

    password = _password(lang)

    def change(store: ServerStore, config: ServerConfig) -> int:
        set_password(store.db, args.username, password, _now(config))
        print(t("server.cli.password_changed", lang, username=args.username), file=sys.stderr)
        return 0

    return _with_store(args, change)


def _user_list(args: argparse.Namespace, lang: str) -> int:
    from sync.office.accounts import users

    def show(store: ServerStore, config: ServerConfig) -> int:
        for user in users(store.db):
            print(f"{user.username}\t{user.role}\t{user.name}\t{user.class_name or user.room_id}")
        return 0

    return _with_store(args, show)


def _server_demo(args: argparse.Namespace, lang: str) -> int:
    """The sample school on a fresh server, applications in every state, an account for each role."""
    import tempfile
    from datetime import datetime

    from edge.cli.sample import sample_school
    from edge.core.codec import school_to_datasets
    from sync import datasets
    from sync.config import parse_server_config
    from sync.office.demo import seed
    from sync.run import run_server
    from sync.store import ServerStore

    folder = args.data or Path(tempfile.mkdtemp(prefix="rollcall-server-demo-"))
    config = parse_server_config({"server": {"id": "demo", "data_dir": str(folder), "listen": args.listen}},
                                 "demo")  # fmt: skip
    school = sample_school(1)
    store = ServerStore.open(config.database, config.timezone)
    try:
        now = datetime.now(config.timezone)
        datasets.add_versions(store.db, school_to_datasets(school), "sample school 1", now)
        made = seed(store.db, school, now)
    finally:
        store.close()
    host, _, port = args.listen.rpartition(":")
    print(f"office: http://{host}:{port}/office/  ({t('server.cli.database', lang)} {config.store_label})")
    for role, username, password in made:
        print(f"  {role:<13} {username:<10} {password}")
    status: int = asyncio.run(run_server(config))
    return status
