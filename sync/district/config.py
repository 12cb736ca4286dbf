"""Provides the district's configuration (district.toml): a TOML file read strictly into typed values.

The same rules as the school server's file (`sync.config`): an unknown key, a wrong type or a bad
value raises `ConfigError` naming the file and the key. The pull tokens of the schools on SQLite
are held in clear (the district presents them), so a file others may read is named in a warning
each time it is loaded, as the server does for its devices' tokens.

Decisions:
- The bureau's accounts are `[[users]]` with an argon2id hash (`rollcall district passwd` makes one),
  not the office's accounts table: that lives in a school server's SQLite store, and the district's
  only store is the PostgreSQL its schools replicate into. A bureau has a few viewers; a list in the
  file is what its administrator audits. Sessions are kept in the process (`sync.bureau.sessions`).
- A school is pulled over HTTP when it has `url` and `token`, subscribed by logical replication when
  it has `conninfo` (the school's PostgreSQL as the district's subscription connects to it); one or
  the other, never both, never neither.
- School days (when a school that sent nothing counts as not reported) are Monday to Friday, minus
  `holidays`, plus `workdays` (调休: a weekend day that is a school day): the bureau sets the calendar.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge.core.timetable import parse_hhmm
from edge.web.settings import ConfigError, Where, read_toml, split_listen
from sync.district.figures import Expected, SchoolDays
from sync.district.replication import DistrictError, code

log = logging.getLogger("rollcall.district")

DEFAULT_LISTEN = "127.0.0.1:8490"


@dataclass(frozen=True, slots=True)
class SchoolConfig:
    id: str  # the school's code, as its rows carry it (its server.id, or its publication's code)
    name: str
    services: tuple[str, ...] = ()  # the services it reports on every school day; () = at least one report
    url: str = ""  # a school on SQLite: its server's base URL, pulled over HTTP ...
    token: str = ""  # ... with a server-role token of that school (in clear)
    conninfo: str = ""  # a school on PostgreSQL: what `rollcall district subscribe` connects to

    @property
    def pulled(self) -> bool:
        return bool(self.url)

    @property
    def expected(self) -> Expected:
        return Expected(self.id, self.name, self.services)


@dataclass(frozen=True, slots=True)
class DistrictUser:
    username: str
    name: str
    password_hash: str  # argon2id, as `rollcall district passwd` prints it


@dataclass(frozen=True, slots=True)
class DistrictConfig:
    store_url: str  # the district's PostgreSQL (postgresql://…)
    name: str = ""  # the bureau, shown on its pages (e.g. 海淀区教育局)
    listen: str = DEFAULT_LISTEN
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    deadline: time = time(21, 0)  # a day's reporting closes at this time of day
    first_day: date | None = None  # the first day pulled from a school on SQLite (default: 31 days back)
    days: SchoolDays = field(default_factory=SchoolDays)
    pull_every: float = 300.0  # s between two pulls of the schools on SQLite
    pull_timeout: float = 30.0  # s a school's page may take
    schools: tuple[SchoolConfig, ...] = ()
    users: tuple[DistrictUser, ...] = ()

    def school(self, school_id: str) -> SchoolConfig | None:
        return next((s for s in self.schools if s.id == school_id), None)


def load_district_config(path: Path) -> DistrictConfig:
    config = parse_district_config(read_toml(path), str(path))
    _warn_if_others_may_read(path, config)
    return config


def _warn_if_others_may_read(path: Path, config: DistrictConfig) -> None:
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return
    pulled = sum(1 for s in config.schools if s.pulled)
    if mode & 0o004 and pulled:
        log.warning(
            "config_readable_by_others file=%s mode=%04o schools=%d: it holds the schools' tokens in clear;"
            " make it private: sudo chmod 640 %s && sudo chown root:rollcall-district %s",
            path, mode, pulled, path, path,
        )  # fmt: skip


def parse_district_config(raw: Mapping[str, Any], source: str) -> DistrictConfig:
    where = Where(source)
    where.known(raw, "", {"district", "store", "pull", "schools", "users"})
    district = where.table(raw, "district")
    where.known(
        district, "district", {"name", "listen", "timezone", "deadline", "first_day", "holidays", "workdays"}
    )
    store = where.table(raw, "store", required=True)
    where.known(store, "store", {"url"})
    url = where.get(store, "store", "url", str, required=True)
    if urlsplit(url).scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"{source}: store.url: expected postgresql://USER@HOST/DATABASE, got {url!r}")
    tz_name = where.get(district, "district", "timezone", str, "Asia/Shanghai")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{source}: district.timezone: unknown time zone {tz_name!r}") from None
    listen = where.get(district, "district", "listen", str, DEFAULT_LISTEN)
    try:
        split_listen(listen)
    except ValueError as error:
        raise ConfigError(f"{source}: district.listen: {error}") from None
    try:
        deadline = parse_hhmm(where.get(district, "district", "deadline", str, "21:00"))
    except ValueError as error:
        raise ConfigError(f"{source}: district.deadline: {error}") from None
    first = district.get("first_day")
    pull = where.table(raw, "pull")
    where.known(pull, "pull", {"every", "timeout"})
    schools = tuple(_school(s, f"schools[{i}]", where) for i, s in enumerate(where.list(raw, "schools")))
    _unique(where, "schools", "school id", [s.id for s in schools])
    users = tuple(_user(u, f"users[{i}]", where) for i, u in enumerate(where.list(raw, "users")))
    _unique(where, "users", "username", [u.username for u in users])
    return DistrictConfig(
        store_url=url,
        name=where.get(district, "district", "name", str, ""),
        listen=listen,
        timezone=timezone,
        deadline=deadline,
        first_day=None if first is None else _date(first, "district.first_day", where),
        days=SchoolDays(
            holidays=_dates(district, "holidays", where), workdays=_dates(district, "workdays", where)
        ),
        pull_every=_positive(pull, "every", 300.0, where),
        pull_timeout=_positive(pull, "timeout", 30.0, where),
        schools=schools,
        users=users,
    )


def _unique(where: Where, table: str, what: str, values: list[str]) -> None:
    for duplicate in sorted({v for v in values if values.count(v) > 1}):
        raise ConfigError(f"{where.source}: {table}: {what} {duplicate!r} appears twice")


def _positive(table: Mapping[str, Any], name: str, default: float, where: Where) -> float:
    value = float(where.get(table, "pull", name, (int, float), default))
    if value <= 0:
        raise ConfigError(f"{where.source}: pull.{name}: must be more than 0, not {value:g}")
    return value


def _date(value: Any, key: str, where: Where) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):  # TOML's bare date; not a date-time
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{where.source}: {key}: expected a date as YYYY-MM-DD, got {value!r}")


def _dates(table: Mapping[str, Any], name: str, where: Where) -> frozenset[date]:
    values = where.get(table, "district", name, list, [])
    return frozenset(_date(v, f"district.{name}[{i}]", where) for i, v in enumerate(values))


def _school(raw: Any, key: str, where: Where) -> SchoolConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where.source}: {key}: must be a table")
    where.known(raw, key, {"id", "name", "services", "url", "token", "conninfo"})
    school_id = where.get(raw, key, "id", str, required=True)
    try:
        code(school_id)
    except DistrictError as error:
        raise ConfigError(f"{where.source}: {key}.id: {error}") from None
    services = where.get(raw, key, "services", list, [])
    for n, service in enumerate(services):
        if not isinstance(service, str) or not service:
            raise ConfigError(f"{where.source}: {key}.services[{n}]: expected a service id, got {service!r}")
    url = where.get(raw, key, "url", str, "").rstrip("/")
    token = where.get(raw, key, "token", str, "")
    conninfo = where.get(raw, key, "conninfo", str, "")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{where.source}: {key}.url: expected http://HOST:PORT, got {url!r}")
        if len(token) < 16:
            raise ConfigError(
                f"{where.source}: {key}.token: a server-role token of the school is needed to pull it"
                " (16 characters at least)"
            )
        if conninfo:
            raise ConfigError(
                f"{where.source}: {key}: url (pulled over HTTP) or conninfo (replicated), not both"
            )
    elif token:
        raise ConfigError(f"{where.source}: {key}.token: only with url (a school pulled over HTTP)")
    elif not conninfo:
        raise ConfigError(
            f"{where.source}: {key}: needs url and token (a school on SQLite, pulled over HTTP)"
            " or conninfo (a school on PostgreSQL, replicated)"
        )
    return SchoolConfig(
        id=school_id,
        name=where.get(raw, key, "name", str, required=True),
        services=tuple(services),
        url=url,
        token=token,
        conninfo=conninfo,
    )


def _user(raw: Any, key: str, where: Where) -> DistrictUser:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where.source}: {key}: must be a table")
    where.known(raw, key, {"username", "name", "password_hash"})
    username = where.get(raw, key, "username", str, required=True)
    if not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ConfigError(f"{where.source}: {key}.username: letters, digits, '.', '-' and '_' only")
    hashed = where.get(raw, key, "password_hash", str, required=True)
    if not hashed.startswith("$argon2id$"):
        raise ConfigError(
            f"{where.source}: {key}.password_hash: not an argon2id hash (make one with `rollcall district passwd`)"
        )
    return DistrictUser(
        username=username, name=where.get(raw, key, "name", str, username), password_hash=hashed
    )
