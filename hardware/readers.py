"""Provides the one interface every reader protocol implements, and the registry that picks one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hardware.clock import Clock
from hardware.reads import CardRead


@dataclass(frozen=True, slots=True)
class ReaderSpec:
    """What the configuration says about one reader's hardware side."""

    id: str
    protocol: str
    port: str = ""
    options: dict[str, Any] = field(default_factory=dict)


class CardReader(Protocol):
    """Open, iterate reads, close. Never opens its port in the constructor."""

    spec: ReaderSpec

    async def open(self) -> None: ...

    def reads(self) -> AsyncIterator[CardRead]: ...

    async def close(self) -> None: ...


ReaderFactory = Callable[[ReaderSpec, Clock], CardReader]

_PROTOCOLS: dict[str, ReaderFactory] = {}


def register(protocol: str) -> Callable[[ReaderFactory], ReaderFactory]:
    def add(factory: ReaderFactory) -> ReaderFactory:
        _PROTOCOLS[protocol] = factory
        return factory

    return add


def protocols() -> list[str]:
    _load_builtin()
    return sorted(_PROTOCOLS)


def make_reader(spec: ReaderSpec, clock: Clock) -> CardReader:
    """Build the reader for `spec.protocol`; ValueError names the protocol when it is not known."""
    _load_builtin()
    try:
        factory = _PROTOCOLS[spec.protocol]
    except KeyError:
        raise ValueError(
            f"unknown reader protocol {spec.protocol!r} (known: {', '.join(sorted(_PROTOCOLS))})"
        ) from None
    return factory(spec, clock)


def _load_builtin() -> None:
    # Imported here so each protocol module registers itself without a cycle.
    from hardware import ascii_reader, hid_reader, pn532_reader, rdm6300, sim  # noqa: F401
