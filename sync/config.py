"""Provides the school server's configuration: a TOML file read strictly into typed values.

The same rules as the device's file (`edge.device.config`): an unknown key, a wrong type or a bad value
raises `ConfigError` naming the file and the key, and API tokens are kept only as hashes. The
devices' pull tokens are the exception: the server presents them, so it must hold them in clear
(the installer makes the file readable by root and the service only; a file others may read is
named in a warning each time it is loaded).

`[store] url` picks the server's database: absent (or a path), the SQLite file in `data_dir` as
always, so a school needs no database server; `postgresql://…` (or `postgres://`), a PostgreSQL
database (`sync.db`). Any other scheme is refused naming the key. A relative path is read from
the file's folder, like `data_dir`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge.web.settings import (
    MAX_RETENTION_DAYS,
    ConfigError,
    Token,
    Where,
    parse_token,
    read_toml,
    split_listen,
)
from sync.district.upward import SCHOOL_CODE

log = logging.getLogger("rollcall.sync")

NOTIFY_KINDS = ("webhook", "wecom", "dingtalk")
# The alert kinds a notification target may choose from: every kind `sync.view` ranks (a test holds them equal).
ALERT_KINDS = (
    "not_in_room", "missing", "left_without_pickup", "reader_down", "left_without_leave",
    "not_picked_up", "report_unsigned", "device_offline", "device_storage", "ingest_stopped",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """An edge device the server pulls from: its id, base URL and its `server`-role token (in clear)."""

    id: str
    url: str
    token: str
    action_token: str = ""  # an `admin` token on the device, to forward console actions; "" = none


@dataclass(frozen=True, slots=True)
class PullConfig:
    batch: int = (
        1000  # events a page: ~350 KB of JSON, ~10 ms to store here (DESIGN §6: hundreds to thousands)
    )
    wait: float = 25.0  # s a long-poll is held; the device caps it at 30
    timeout: float = 15.0  # s to connect, and between bytes of an answer (beyond the wait)
    backoff_first: float = 0.5  # s after the first failure, doubling ...
    backoff_most: float = 60.0  # ... to this: a device back from a week away is found within a minute
    gzip: bool = True  # a page of taps compresses ~8x; on the school's Wi-Fi that is the bottleneck
    offline_after: float = 120.0  # s without an answer before a device is "offline" (an alert)
    health_every: float = 300.0  # s between reads of a device's health (its readers, for forwarding)


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    kind: str  # webhook | wecom | dingtalk
    url: str
    name: str = ""
    secret: str = ""  # DingTalk 加签: the robot's signing secret
    keyword: str = ""  # put in front of every text (a DingTalk robot's keyword security)
    names: bool = False  # children's names in the text; off: messages leave the campus (PIPL art. 28)
    alerts: tuple[str, ...] = ALERT_KINDS
    min_interval: float = 3.0  # s between two messages: DingTalk allows 20 a minute per robot

    @property
    def label(self) -> str:
        return self.name or f"{self.kind}:{urlsplit(self.url).hostname}"


@dataclass(frozen=True, slots=True)
class DistrictSending:
    """`[district]`: what the school sends up (the upward report, 上报), whichever way it leaves.

    `code` is the school's code at the district ("" = `server.id`). Counts only by default: the children's
    names only with `names`, the signer's name only with `signer_names`. `since` is the first date a
    PostgreSQL school's publication sends (None: every date its table holds).
    """

    code: str = ""
    names: bool = False
    signer_names: bool = False
    since: date | None = None


@dataclass(frozen=True, slots=True)
class ServerConfig:
    server_id: str
    data_dir: Path
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    listen: str = "127.0.0.1:8480"
    tokens: tuple[Token, ...] = ()
    devices: tuple[DeviceConfig, ...] = ()
    pull: PullConfig = field(default_factory=PullConfig)
    push_every: float = 30.0  # s between checks of what each device has installed
    notify: tuple[NotifyTarget, ...] = ()
    retention_days: int = 365
    store_url: str = ""  # [store] url: a postgresql:// URL; "" = SQLite at `database`
    store_path: Path | None = None  # [store] url given as a path: that SQLite file
    district: DistrictSending = field(default_factory=DistrictSending)

    @property
    def database(self) -> Path:
        """The SQLite file (used when `store_url` is empty)."""
        return self.store_path or self.data_dir / "server.sqlite3"

    @property
    def store(self) -> Path | str:
        """What `ServerStore.open` and the view open: the PostgreSQL URL, or the SQLite file."""
        return self.store_url or self.database

    @property
    def store_label(self) -> str:
        """The store for messages and logs: the URL without its password, or the file."""
        from sync.db import redacted

        return redacted(self.store_url) if self.store_url else str(self.database)

    @property
    def school_code(self) -> str:
        """The school's code in its upward report."""
        return self.district.code or self.server_id

    def device(self, device_id: str) -> DeviceConfig | None:
        return next((d for d in self.devices if d.id == device_id), None)


def load_server_config(path: Path) -> ServerConfig:
    config = parse_server_config(read_toml(path), str(path), base=path.parent)
    _warn_if_others_may_read(path, config)
    return config


def _warn_if_others_may_read(path: Path, config: ServerConfig) -> None:
    """A WARNING when the file is readable by others: it holds every device's pull token in clear."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:  # read a moment ago; gone now is not this check's business
        return
    if mode & 0o004:
        log.warning(
            "config_readable_by_others file=%s mode=%04o devices=%d: it holds the devices' tokens in clear;"
            " make it private: sudo chmod 640 %s && sudo chown root:rollcall %s",
            path, mode, len(config.devices), path, path,
        )  # fmt: skip


def parse_server_config(raw: Mapping[str, Any], source: str, base: Path = Path(".")) -> ServerConfig:
    where = Where(source)
    where.known(
        raw, "", {"server", "api", "pull", "push", "devices", "notify", "retention", "store", "district"}
    )
    server = where.table(raw, "server", required=True)
    where.known(server, "server", {"id", "timezone", "data_dir", "listen"})
    api = where.table(raw, "api")
    where.known(api, "api", {"tokens"})
    tz_name = where.get(server, "server", "timezone", str, "Asia/Shanghai")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{source}: server.timezone: unknown time zone {tz_name!r}") from None
    listen = where.get(server, "server", "listen", str, "127.0.0.1:8480")
    try:
        split_listen(listen)
    except ValueError as error:
        raise ConfigError(f"{source}: server.listen: {error}") from None
    devices = tuple(_device(d, f"devices[{i}]", where) for i, d in enumerate(where.list(raw, "devices")))
    ids = [d.id for d in devices]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        raise ConfigError(f"{source}: devices: device id {duplicate!r} appears twice")
    push = where.table(raw, "push")
    where.known(push, "push", {"every"})
    store_url, store_path = _store(where.table(raw, "store"), where, base)
    return ServerConfig(
        store_url=store_url,
        store_path=store_path,
        server_id=where.get(server, "server", "id", str, required=True),
        data_dir=base / where.get(server, "server", "data_dir", str, "/var/lib/rollcall-server"),
        timezone=timezone,
        listen=listen,
        tokens=tuple(
            parse_token(t, f"api.tokens[{i}]", where) for i, t in enumerate(where.list(api, "tokens"))
        ),
        devices=devices,
        pull=_pull(where.table(raw, "pull"), where),
        push_every=_positive(where, push, "push", "every", 30.0),
        notify=tuple(_target(t, f"notify[{i}]", where) for i, t in enumerate(where.list(raw, "notify"))),
        retention_days=_retention(where.table(raw, "retention"), where),
        district=_district(where.table(raw, "district"), where),
    )


def _district(table: Mapping[str, Any], where: Where) -> DistrictSending:
    where.known(table, "district", {"code", "names", "signer_names", "since"})
    code = where.get(table, "district", "code", str, "")
    if code and not SCHOOL_CODE.fullmatch(code):
        raise ConfigError(f"{where.source}: district.code: 1-40 letters, digits, '-' or '_', not {code!r}")
    since = where.get(table, "district", "since", (str, date), None)
    if isinstance(since, datetime):
        raise ConfigError(f"{where.source}: district.since: a date, not a date and time ({since})")
    if isinstance(since, str):
        try:
            since = date.fromisoformat(since)
        except ValueError:
            raise ConfigError(
                f"{where.source}: district.since: a date as YYYY-MM-DD, not {since!r}"
            ) from None
    return DistrictSending(
        code=code,
        names=where.get(table, "district", "names", bool, False),
        signer_names=where.get(table, "district", "signer_names", bool, False),
        since=since,
    )


def _store(table: Mapping[str, Any], where: Where, base: Path) -> tuple[str, Path | None]:
    where.known(table, "store", {"url"})
    url = where.get(table, "store", "url", str, "").strip()
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if not url:
        return "", None
    if scheme in ("postgresql", "postgres"):
        if not urlsplit(url).hostname and "host=" not in url:
            raise ConfigError(
                f"{where.source}: store.url: a PostgreSQL URL needs a host (postgresql://user@host/db)"
            )
        return url, None
    if scheme in ("", "sqlite", "file"):
        path = Path(url.split("://", 1)[1] if scheme else url)
        return "", path if path.is_absolute() else base / path
    raise ConfigError(
        f"{where.source}: store.url: {scheme}:// is not a store this server has (postgresql://… or a SQLite file path)"
    )


def _positive(where: Where, table: Mapping[str, Any], prefix: str, name: str, default: float) -> float:
    value = float(where.get(table, prefix, name, (int, float), default))
    if value <= 0:
        raise ConfigError(f"{where.source}: {prefix}.{name}: must be more than 0, not {value:g}")
    return value


def _pull(table: Mapping[str, Any], where: Where) -> PullConfig:
    defaults = PullConfig()
    names = ("wait", "timeout", "backoff_first", "backoff_most", "offline_after", "health_every")
    where.known(table, "pull", {"batch", "gzip", *names})
    batch = where.get(table, "pull", "batch", int, defaults.batch)
    if not 1 <= batch <= 5000:
        raise ConfigError(
            f"{where.source}: pull.batch: must be from 1 to 5000 (the device's cap), not {batch}"
        )
    seconds = {name: _positive(where, table, "pull", name, getattr(defaults, name)) for name in names}
    if seconds["wait"] > 30:
        raise ConfigError(f"{where.source}: pull.wait: at most 30 (the device holds a long-poll no longer)")
    return PullConfig(batch=batch, gzip=where.get(table, "pull", "gzip", bool, True), **seconds)


def _device(raw: Any, key: str, where: Where) -> DeviceConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where.source}: {key}: must be a table")
    where.known(raw, key, {"id", "url", "token", "action_token"})
    url = where.get(raw, key, "url", str, required=True).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where.source}: {key}.url: expected http://HOST:PORT, got {url!r}")
    token = where.get(raw, key, "token", str, required=True)
    if len(token) < 16:
        raise ConfigError(
            f"{where.source}: {key}.token: too short to be a device token (16 characters at least)"
        )
    return DeviceConfig(
        id=where.get(raw, key, "id", str, required=True),
        url=url,
        token=token,
        action_token=where.get(raw, key, "action_token", str, ""),
    )


def _target(raw: Any, key: str, where: Where) -> NotifyTarget:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where.source}: {key}: must be a table")
    where.known(raw, key, {"kind", "url", "name", "secret", "keyword", "names", "alerts", "min_interval"})
    kind = where.get(raw, key, "kind", str, required=True)
    if kind not in NOTIFY_KINDS:
        raise ConfigError(f"{where.source}: {key}.kind: {kind!r} is not one of {', '.join(NOTIFY_KINDS)}")
    url = where.get(raw, key, "url", str, required=True)
    if urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError(f"{where.source}: {key}.url: expected an http:// or https:// address, got {url!r}")
    alerts = tuple(where.get(raw, key, "alerts", list, list(ALERT_KINDS)))
    for alert in alerts:
        if alert not in ALERT_KINDS:
            raise ConfigError(
                f"{where.source}: {key}.alerts: {alert!r} is not one of {', '.join(ALERT_KINDS)}"
            )
    interval = float(where.get(raw, key, "min_interval", (int, float), 3.0))
    if interval < 0:
        raise ConfigError(f"{where.source}: {key}.min_interval: must not be negative")
    return NotifyTarget(
        kind=kind,
        url=url,
        name=where.get(raw, key, "name", str, ""),
        secret=where.get(raw, key, "secret", str, ""),
        keyword=where.get(raw, key, "keyword", str, ""),
        names=where.get(raw, key, "names", bool, False),
        alerts=alerts,
        min_interval=interval,
    )


def _retention(table: Mapping[str, Any], where: Where) -> int:
    where.known(table, "retention", {"days"})
    # A school year and a little: the register of a whole year stays answerable.
    days: int = where.get(table, "retention", "days", int, 365)
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ConfigError(
            f"{where.source}: retention.days: must be from 1 to {MAX_RETENTION_DAYS}, not {days}"
        )
    return days
