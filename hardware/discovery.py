"""Provides what `rollcall readers list|test` shows: the ports and keyboards readers may be on, and a live test."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from hardware.clock import Clock
from hardware.readers import ReaderSpec, make_reader
from hardware.reads import CardRead
from hardware.uid import Rendering, render


@dataclass(frozen=True, slots=True)
class SerialPort:
    """A name a reader can be configured with. `kind` is "rollcall", "by-id", "by-path" or "device".

    Prefer by-id (survives ttyUSB0 -> ttyUSB1), or by-path when two identical adapters report
    no serial number (philippoo66/optolink-splitter#236): by-path names the USB socket.
    "rollcall" names are the short ones systemd/99-rollcall-readers.rules makes under /dev/rollcall.
    """

    path: str
    device: str  # what the name points to now, e.g. /dev/ttyUSB0
    kind: str
    description: str = ""
    hwid: str = ""


@dataclass(frozen=True, slots=True)
class InputDevice:
    """A keyboard event device a USB wedge reader may be: /dev/input/by-id/*-event-kbd."""

    path: str
    device: str


def _comports() -> Iterable[Any]:
    from serial.tools import list_ports  # imported on use: it walks /sys

    ports: Iterable[Any] = list_ports.comports()
    return ports


def list_serial_ports(dev: Path = Path("/dev"), comports: Callable[[], Iterable[Any]] = _comports) -> list[SerialPort]:
    """Stable names first (by-id, by-path, with where they point), then pyserial's list of devices."""
    found = {str(port.device): port for port in comports()}
    ports = []
    folders = [("rollcall", dev / "rollcall", "reader-*")]
    folders += [(folder, dev / "serial" / folder, "*") for folder in ("by-id", "by-path")]
    for kind, folder, pattern in folders:
        for link in _links(folder, pattern):
            device = os.path.realpath(link)
            info = found.get(device)
            ports.append(SerialPort(str(link), device, kind, _text(info, "description"), _text(info, "hwid")))
    for device, info in sorted(found.items()):
        ports.append(SerialPort(device, device, "device", _text(info, "description"), _text(info, "hwid")))
    return ports


def _text(info: Any, name: str) -> str:
    return str(getattr(info, name, None) or "")


def list_input_devices(dev: Path = Path("/dev")) -> list[InputDevice]:
    """Keyboard event devices by stable name (/dev/rollcall/keyboard-*, then by-id); empty when there are none."""
    links = _links(dev / "rollcall", "keyboard-*") + _links(dev / "input" / "by-id", "*-event-kbd")
    return [InputDevice(str(link), os.path.realpath(link)) for link in links]


def _links(folder: Path, pattern: str) -> list[Path]:
    try:
        return sorted(folder.glob(pattern))
    except OSError:
        return []


def describe(read: CardRead, protocol: str, *, json_lines: bool) -> str:
    """One line for a read: readable text, or a JSON object with the UID's every rendering."""
    if not json_lines:
        return f"{read.at.isoformat(timespec='milliseconds')} {protocol} {read.uid}"
    renderings = {rendering.value: render(read.uid, rendering) for rendering in Rendering}
    return json.dumps({"uid": read.uid, "protocol": protocol, "reader": read.reader_id,
                       "at": read.at.isoformat(), "renderings": renderings})  # fmt: skip


async def test_reader(
    port: str,
    protocol: str,
    json_lines: bool,
    out: TextIO,
    clock: Clock,
    *,
    options: Mapping[str, Any] | None = None,
    count: int | None = None,
) -> None:
    """Decode `port` live with `protocol`, printing one read a line, until cancelled or `count` reads.

    Errors (unknown protocol, port missing, chip silent) are raised for the CLI to show.
    """
    reader = make_reader(ReaderSpec("test", protocol, port, dict(options or {})), clock)
    try:
        await reader.open()
        seen = 0
        async for read in reader.reads():
            out.write(describe(read, protocol, json_lines=json_lines) + "\n")
            out.flush()
            seen += 1
            if count is not None and seen >= count:
                return
    finally:
        await reader.close()
