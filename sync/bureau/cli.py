"""Provides `rollcall district`: serve the bureau's pages and pulls, subscribe to the schools on PostgreSQL, pull once.

`edge.cli` lists this module by name and calls `add_commands`; everything heavy (psycopg, aiohttp,
the pages) is imported inside the commands, so `rollcall --help` stays quick. A district database
that does not answer is a one-line error naming `store.url`'s host, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from edge.core.i18n import t

if TYPE_CHECKING:
    from sync.district.config import DistrictConfig

DEFAULT_CONFIG = "/etc/rollcall/district.toml"


def add_commands(commands: Any) -> None:
    district = commands.add_parser(
        "district", help="the district's view of its schools' upward reports (上报)"
    )
    _config(district, None)
    actions = district.add_subparsers(dest="district_command", required=True, metavar="ACTION")
    serve = actions.add_parser(
        "serve", help="serve the bureau's pages, and pull the schools on SQLite on an interval"
    )
    _config(serve, argparse.SUPPRESS)
    serve.set_defaults(run=_serve)
    subscribe = actions.add_parser(
        "subscribe",
        help="make the table, and a subscription to each school with a conninfo (once; kept by PostgreSQL)",
    )
    _config(subscribe, argparse.SUPPRESS)
    subscribe.set_defaults(run=_subscribe)
    pull = actions.add_parser("pull", help="pull each school with a url once, and say what each sent")
    _config(pull, argparse.SUPPRESS)
    pull.set_defaults(run=_pull)
    passwd = actions.add_parser(
        "passwd",
        help="print an argon2id hash of a password for [[users]] password_hash (asked for, or $ROLLCALL_PASSWORD)",
    )
    passwd.set_defaults(run=_passwd)


def _config(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=default
        if default is not None
        else Path(os.environ.get("ROLLCALL_DISTRICT_CONFIG", DEFAULT_CONFIG)),
        help=f"the district's TOML configuration (default: $ROLLCALL_DISTRICT_CONFIG or {DEFAULT_CONFIG})",
    )


def _load(args: argparse.Namespace) -> DistrictConfig:
    from sync.district.config import load_district_config

    return load_district_config(args.config)


def _say(line: str, to: TextIO | None = None) -> None:
    (to or sys.stdout).write(line + "\n")


def _where(config: DistrictConfig) -> str:
    parts = urlsplit(config.store_url)
    return f"store.url (postgresql://{parts.hostname or 'localhost'}{f':{parts.port}' if parts.port else ''}{parts.path})"


def _store_error(config: DistrictConfig, error: Exception) -> ValueError:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ValueError(f"{_where(config)}: {first}")


def _serve(args: argparse.Namespace, lang: str) -> int:
    import psycopg

    from edge.web.serve import serve_under_systemd
    from sync.bureau.app import create_district_app

    config = _load(args)
    if not config.users:
        raise ValueError(t("district.cli.no_users", lang, config=args.config))
    app = create_district_app(config)
    name = f"district {config.name or 'view'}: {len(config.schools)} schools"
    try:
        status: int = asyncio.run(serve_under_systemd(app, config.listen, name))
    except psycopg.Error as error:  # the table could not be made: the database is not there
        raise _store_error(config, error) from None
    return status


def _subscribe(args: argparse.Namespace, lang: str) -> int:
    import psycopg

    from sync.district import replication

    config = _load(args)
    failed = 0
    try:
        with psycopg.connect(config.store_url, autocommit=True) as conn:
            replication.prepare_district(conn)
            have = {name for (name,) in conn.execute("SELECT subname FROM pg_subscription").fetchall()}
            for school in config.schools:
                if school.pulled:
                    continue
                name = replication.subscription(school.id)
                if name in have:
                    _say(t("district.cli.subscribed_already", lang, school=school.id, name=name))
                    continue
                try:
                    replication.subscribe(conn, school.id, school.conninfo)
                except psycopg.Error as error:
                    failed += 1
                    first = str(error).strip().splitlines()[0]
                    _say(t("district.cli.not_subscribed", lang, config=args.config, school=school.id, why=first),
                         sys.stderr)  # fmt: skip
                else:
                    publication = replication.publication(school.id)
                    _say(t("district.cli.subscribed", lang, school=school.id, name=name, publication=publication))
    except psycopg.OperationalError as error:
        raise _store_error(config, error) from None
    return 1 if failed else 0


def _pull(args: argparse.Namespace, lang: str) -> int:
    import psycopg

    from hardware.clock import SystemClock
    from sync.bureau import app
    from sync.district import pulling

    config = _load(args)

    async def once() -> dict[str, pulling.Pulled]:
        async with pulling.session(config) as http:
            return await pulling.pull_all(http, config, pulling.PullStatus(), SystemClock(config.timezone))

    try:
        app.prepare(config.store_url)
    except psycopg.Error as error:
        raise _store_error(config, error) from None
    results = asyncio.run(once())
    for school_id, result in results.items():
        if result.error:
            _say(f"{school_id}: {result.error}", sys.stderr)
        else:
            _say(t("district.cli.pulled", lang, school=school_id, rows=result.stored))
    if not results:
        _say(t("district.cli.nothing_to_pull", lang, config=args.config), sys.stderr)
    return 1 if any(r.error for r in results.values()) else 0


def _passwd(args: argparse.Namespace, lang: str) -> int:
    from argon2 import PasswordHasher

    from sync.office.accounts import check_password

    password = os.environ.get("ROLLCALL_PASSWORD") or getpass.getpass(t("server.cli.password", lang))
    check_password(password)
    _say(PasswordHasher().hash(password))
    return 0
