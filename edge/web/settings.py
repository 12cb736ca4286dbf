"""Provides what every Rollcall configuration shares: strict TOML reading, API tokens, listen addresses.

The device's `edge.toml` and the school server's `server.toml` read through these, so both name
the file and the key in every error (`edge.toml: readers[2].protocol: ...`) in the same words.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ROLES = ("server", "guard", "teacher", "admin", "sim")


class ConfigError(ValueError):
    """A configuration problem, already phrased as `file: key: what is wrong`."""


@dataclass(frozen=True, slots=True)
class Token:
    """An API token as the device keeps it: its role, the SHA-256 of its text, and a name for the audit log."""

    role: str
    sha256: str
    name: str = ""


def read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML; ConfigError naming the file when it is missing, unreadable or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def parse_token(raw: Any, key: str, where: Where) -> Token:
    """One `[[api.tokens]]` table (the school server's configuration has the same tables)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where.source}: {key}: must be a table")
    where.known(raw, key, {"role", "sha256", "name"})
    role = where.get(raw, key, "role", str, required=True)
    if role not in ROLES:
        raise ConfigError(f"{where.source}: {key}.role: {role!r} is not one of {', '.join(ROLES)}")
    digest = where.get(raw, key, "sha256", str, required=True).lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ConfigError(
            f"{where.source}: {key}.sha256: not a hex SHA-256 digest (tokens are stored hashed)"
        )
    return Token(role=role, sha256=digest, name=where.get(raw, key, "name", str, ""))


def split_listen(listen: str) -> tuple[str, int]:
    """`host:port` (or `[::1]:port`) -> (host, port); ValueError says what is wrong."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8470, got {listen!r}")
    return host.removeprefix("[").removesuffix("]"), int(port)


# A term is about 140 days; 180 keeps a whole term for questions after it ends. Ten years is a typo.
MAX_RETENTION_DAYS = 3650


def retention_cut(now: datetime, days: int) -> str:
    """The first day kept (YYYY-MM-DD, in the device's zone) when keeping `days` days."""
    return (now - timedelta(days=days)).date().isoformat()


@dataclass(frozen=True, slots=True)
class Where:
    """Reads values out of parsed TOML, naming `source: key` in every error."""

    source: str

    def known(self, table: Mapping[str, Any], prefix: str, keys: set[str]) -> None:
        for name in table:
            if name not in keys:
                path = f"{prefix}.{name}" if prefix else name
                raise ConfigError(f"{self.source}: {path}: unknown key (known: {', '.join(sorted(keys))})")

    def table(self, raw: Mapping[str, Any], name: str, required: bool = False) -> Mapping[str, Any]:
        if name not in raw:
            if required:
                raise ConfigError(f"{self.source}: [{name}]: missing table")
            return {}
        value = raw[name]
        if not isinstance(value, Mapping):
            raise ConfigError(f"{self.source}: {name}: must be a table")
        return value

    def list(self, raw: Mapping[str, Any], name: str) -> list[Any]:
        value = raw.get(name, [])
        if not isinstance(value, list):
            raise ConfigError(f"{self.source}: {name}: must be an array of tables ([[{name}]])")
        return value

    def get(
        self,
        table: Mapping[str, Any],
        prefix: str,
        name: str,
        kind: type[T] | tuple[type, ...],
        default: Any = None,
        required: bool = False,
    ) -> Any:
        if name not in table:
            if required:
                raise ConfigError(f"{self.source}: {prefix}.{name}: missing")
            return default
        value = table[name]
        # TOML booleans are ints to Python; a number where a flag belongs is a mistake, not a 1.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            wanted = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise ConfigError(f"{self.source}: {prefix}.{name}: expected {wanted}, got {value!r}")
        return value
