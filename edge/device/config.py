"""Provides the edge device's configuration: a TOML file read strictly into typed values.

An unknown key, a wrong type or a bad value raises `ConfigError` naming the file and the key
(`edge.toml: readers[2].protocol: ...`), so an IT teacher's typo never passes silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge.core.model import Reader, ReaderRole
from edge.web.settings import (
    MAX_RETENTION_DAYS,
    ConfigError,
    Token,
    Where,
    parse_token,
    read_toml,
    split_listen,
)
from hardware.feedback import DEFAULT_PATTERNS, Pattern, patterns_from
from hardware.readers import ReaderSpec, protocols
from hardware.uid import Rendering

T = TypeVar("T")

MiB = 1024 * 1024
MAX_LOW_FREE_MIB = 1024 * 1024  # 1 TiB: anything larger is a typo
NEEDS_FORMAT = ("ascii", "hid")  # readers that print a number: which rendering it is must be said


@dataclass(frozen=True, slots=True)
class ReaderConfig:
    spec: ReaderSpec
    place: Reader
    name: str = ""  # what people read on screens ("东门入口"); empty: said from the role and room


@dataclass(frozen=True, slots=True)
class FeedbackConfig:
    """The kiosk's buzzer and LEDs: GPIO pins (BCM numbers) when fitted, and the patterns."""

    gpio: tuple[int, int, int] | None = None  # buzzer, green LED, red LED
    patterns: Mapping[str, Pattern] = field(default_factory=lambda: dict(DEFAULT_PATTERNS))


@dataclass(frozen=True, slots=True)
class SimConfig:
    start: datetime | None = None


@dataclass(frozen=True, slots=True)
class EdgeConfig:
    device_id: str
    data_dir: Path
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    debounce_seconds: float = 3.0
    listen: str = "127.0.0.1:8470"
    tokens: tuple[Token, ...] = ()
    readers: tuple[ReaderConfig, ...] = ()
    sim: SimConfig | None = None
    retention_days: int = 180
    feedback: FeedbackConfig = field(default_factory=lambda: FeedbackConfig())
    low_free_bytes: int = 64 * MiB  # below this free in the data folder: the low-storage alert

    @property
    def database(self) -> Path:
        return self.data_dir / "rollcall.sqlite3"


def load_config(path: Path) -> EdgeConfig:
    return parse_config(read_toml(path), str(path), base=path.parent)


def parse_config(raw: Mapping[str, Any], source: str, base: Path = Path(".")) -> EdgeConfig:
    where = Where(source)
    where.known(raw, "", {"device", "api", "readers", "sim", "retention", "feedback", "storage"})
    device = where.table(raw, "device", required=True)
    where.known(device, "device", {"id", "timezone", "data_dir", "debounce_seconds", "production"})
    api = where.table(raw, "api")
    where.known(api, "api", {"listen", "tokens"})
    tz_name = where.get(device, "device", "timezone", str, "Asia/Shanghai")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{source}: device.timezone: unknown time zone {tz_name!r}") from None
    sim = _sim(raw, device, where, timezone)
    debounce = where.get(device, "device", "debounce_seconds", (int, float), 3.0)
    if debounce < 0:
        raise ConfigError(f"{source}: device.debounce_seconds: must not be negative")
    readers = tuple(_reader(r, f"readers[{i}]", where) for i, r in enumerate(where.list(raw, "readers")))
    ids = [r.spec.id for r in readers]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        raise ConfigError(f"{source}: readers: reader id {duplicate!r} appears twice")
    if sim is None and any(r.spec.protocol == "sim" for r in readers):
        raise ConfigError(f"{source}: readers: protocol 'sim' needs a [sim] table")
    listen = where.get(api, "api", "listen", str, "127.0.0.1:8470")
    try:
        split_listen(listen)
    except ValueError as error:
        raise ConfigError(f"{source}: api.listen: {error}") from None
    return EdgeConfig(
        device_id=where.get(device, "device", "id", str, required=True),
        data_dir=base / where.get(device, "device", "data_dir", str, "/var/lib/rollcall"),
        timezone=timezone,
        debounce_seconds=float(debounce),
        listen=listen,
        tokens=tuple(
            parse_token(t, f"api.tokens[{i}]", where) for i, t in enumerate(where.list(api, "tokens"))
        ),
        readers=readers,
        sim=sim,
        retention_days=_retention(raw, where),
        feedback=_feedback(raw, where),
        low_free_bytes=_low_free_bytes(raw, where),
    )


def _low_free_bytes(raw: Mapping[str, Any], where: Where) -> int:
    storage = where.table(raw, "storage")
    where.known(storage, "storage", {"low_free_mib"})
    mib = where.get(storage, "storage", "low_free_mib", int, 64)
    if not 1 <= mib <= MAX_LOW_FREE_MIB:
        raise ConfigError(
            f"{where.source}: storage.low_free_mib: must be from 1 to {MAX_LOW_FREE_MIB} (MiB), not {mib}"
        )
    return int(mib) * MiB


def _feedback(raw: Mapping[str, Any], where: Where) -> FeedbackConfig:
    table = where.table(raw, "feedback")
    where.known(table, "feedback", {"buzzer_pin", "green_pin", "red_pin", "patterns"})
    pins = [where.get(table, "feedback", name, int) for name in ("buzzer_pin", "green_pin", "red_pin")]
    if any(pin is not None for pin in pins) and not all(pin is not None for pin in pins):
        raise ConfigError(f"{where.source}: feedback: give buzzer_pin, green_pin and red_pin together")
    try:
        patterns = patterns_from(where.get(table, "feedback", "patterns", dict, {}))
    except ValueError as error:
        raise ConfigError(f"{where.source}: feedback.patterns: {error}") from None
    gpio = (pins[0], pins[1], pins[2]) if pins[0] is not None else None
    return FeedbackConfig(gpio=gpio, patterns=patterns)


def _retention(raw: Mapping[str, Any], where: Where) -> int:
    retention = where.table(raw, "retention")
    where.known(retention, "retention", {"days"})
    days: int = where.get(retention, "retention", "days", int, 180)
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ConfigError(
            f"{where.source}: retention.days: must be from 1 to {MAX_RETENTION_DAYS}, not {days}"
        )
    return days


def _sim(raw: Mapping[str, Any], device: Mapping[str, Any], where: Where, tz: ZoneInfo) -> SimConfig | None:
    if "sim" not in raw:
        return None
    sim = where.table(raw, "sim")
    where.known(sim, "sim", {"start", "allow_on_production"})
    production = where.get(device, "device", "production", bool, True)
    if production and not where.get(sim, "sim", "allow_on_production", bool, False):
        raise ConfigError(
            f"{where.source}: sim: simulated readers and clock are refused on a production device "
            "(set device.production = false, or sim.allow_on_production = true for a drill)"
        )
    start = where.get(sim, "sim", "start", (str, datetime), "")
    if isinstance(start, str) and start:
        try:
            start = datetime.fromisoformat(start)
        except ValueError:
            raise ConfigError(f"{where.source}: sim.start: not an ISO date and time: {start!r}") from None
    if isinstance(start, datetime) and start.tzinfo is None:
        start = start.replace(tzinfo=tz)
    return SimConfig(start=start or None)


def _reader(raw: Any, key: str, where: Where) -> ReaderConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where.source}: {key}: must be a table")
    where.known(raw, key, {"id", "name", "protocol", "port", "role", "room", "format", "options"})
    role_text = where.get(raw, key, "role", str, required=True)
    try:
        role = ReaderRole(role_text)
    except ValueError:
        choices = ", ".join(r.value for r in ReaderRole)
        raise ConfigError(f"{where.source}: {key}.role: {role_text!r} is not one of {choices}") from None
    room = where.get(raw, key, "room", str, "")
    if (role is ReaderRole.ROOM) != bool(room):
        raise ConfigError(f"{where.source}: {key}.room: a room reader needs a room, a gate reader has none")
    reader_id = where.get(raw, key, "id", str, required=True)
    options = dict(where.get(raw, key, "options", dict, {}))
    if "format" in raw:
        options["format"] = where.get(raw, key, "format", str)
    if "format" in options and options["format"] not in {r.value for r in Rendering}:
        known = ", ".join(r.value for r in Rendering)
        raise ConfigError(f"{where.source}: {key}.format: {options['format']!r} is not one of {known}")
    protocol = where.get(raw, key, "protocol", str, required=True)
    if protocol not in protocols():
        raise ConfigError(
            f"{where.source}: {key}.protocol: {protocol!r} is not one of {', '.join(protocols())}"
        )
    if protocol in NEEDS_FORMAT and "format" not in options:
        # A wrong default would match no card, silently: `rollcall readers calibrate` finds the right one.
        raise ConfigError(
            f"{where.source}: {key}.format: protocol {protocol!r} needs the format its reader prints"
        )
    spec = ReaderSpec(
        id=reader_id,
        protocol=protocol,
        port=where.get(raw, key, "port", str, ""),
        options=options,
    )
    name = where.get(raw, key, "name", str, "").strip()
    return ReaderConfig(spec=spec, place=Reader(reader_id, role, room), name=name)
