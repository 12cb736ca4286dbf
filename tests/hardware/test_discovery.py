"""Tests discovery: stable port names from a fake /dev tree, and the live reader test over a pty."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hardware import discovery
from hardware.clock import SimClock
from hardware.discovery import InputDevice, SerialPort, list_input_devices, list_serial_ports

from .conftest import WAIT, Pty

BY_ID = "usb-1a86_USB_Serial-if00-port0"
BY_PATH = "platform-fd500000.pcie-pci-0000:01:00.0-usb-0:1.3:1.0-port0"


@dataclass
class PortInfo:  # the fields of pyserial's ListPortInfo that discovery reads
    device: str
    description: str
    hwid: str


def fake_dev(root: Path) -> Path:
    (root / "serial" / "by-id").mkdir(parents=True)
    (root / "serial" / "by-path").mkdir()
    (root / "input" / "by-id").mkdir(parents=True)
    (root / "ttyUSB0").touch()
    (root / "event3").touch()
    (root / "serial" / "by-id" / BY_ID).symlink_to("../../ttyUSB0")
    (root / "serial" / "by-path" / BY_PATH).symlink_to("../../ttyUSB0")
    (root / "input" / "by-id" / "usb-Sycreader_RFID-event-kbd").symlink_to("../../event3")
    (root / "input" / "by-id" / "usb-Sycreader_RFID-event-if01").symlink_to("../../event3")
    return root


def test_serial_ports_stable_names_first(tmp_path: Path) -> None:
    dev = fake_dev(tmp_path)
    usb = str(dev / "ttyUSB0")
    comports = [PortInfo(usb, "USB Serial", "USB VID:PID=1A86:7523 LOCATION=1-1.3"), PortInfo("/dev/ttyS0", "n/a", "n/a")]
    assert list_serial_ports(dev, lambda: comports) == [
        SerialPort(str(dev / "serial/by-id" / BY_ID), usb, "by-id", "USB Serial", "USB VID:PID=1A86:7523 LOCATION=1-1.3"),
        SerialPort(str(dev / "serial/by-path" / BY_PATH), usb, "by-path", "USB Serial",
                   "USB VID:PID=1A86:7523 LOCATION=1-1.3"),
        SerialPort("/dev/ttyS0", "/dev/ttyS0", "device", "n/a", "n/a"),
        SerialPort(usb, usb, "device", "USB Serial", "USB VID:PID=1A86:7523 LOCATION=1-1.3"),
    ]


def test_input_devices_are_keyboard_event_nodes_only(tmp_path: Path) -> None:
    dev = fake_dev(tmp_path)
    assert list_input_devices(dev) == [
        InputDevice(str(dev / "input/by-id/usb-Sycreader_RFID-event-kbd"), str(dev / "event3"))
    ]


def test_empty_when_the_folders_do_not_exist(tmp_path: Path) -> None:
    assert list_serial_ports(tmp_path, lambda: []) == []
    assert list_input_devices(tmp_path) == []
    assert isinstance(list_serial_ports(), list)  # this machine's real /dev, whatever it holds


FRAMES = bytes.fromhex("02 31 34 30 30 38 45 43 37 39 33 43 45 03" "02 36 37 30 30 33 42 35 31 43 36 43 42 03")


async def repeating(pty: Pty, data: bytes, test: Coroutine[Any, Any, None]) -> None:
    """Run `test` while the reader repeats `data` as a tag held on it does (pyserial flushes what
    arrived before the port opened; the presence filter makes the repeats one read)."""
    task = asyncio.ensure_future(test)
    async with asyncio.timeout(WAIT):
        while not task.done():
            pty.send(data)
            await asyncio.wait({task}, timeout=0.065)
    await task


async def test_reader_prints_json_lines(pty: Pty, clock: SimClock) -> None:
    out = io.StringIO()
    await repeating(pty, FRAMES, discovery.test_reader(pty.port, "rdm6300", True, out, clock, count=2))
    first, second = map(json.loads, out.getvalue().splitlines())
    assert (first["uid"], first["protocol"], second["uid"]) == ("14008EC793", "rdm6300", "67003B51C6")
    assert first["renderings"]["dec10"] == "0009357203"
    assert first["renderings"]["fc-cn"] == "142,51091"
    assert first["at"] == clock.now().isoformat()


async def test_reader_prints_text_lines_with_options(pty: Pty, clock: SimClock) -> None:
    out = io.StringIO()
    test = discovery.test_reader(pty.port, "ascii", False, out, clock, options={"format": "dec10-lsb"}, count=1)
    await repeating(pty, b"3536403172\r\n", test)
    assert out.getvalue() == f"{clock.now().isoformat(timespec='milliseconds')} ascii E43AC9D2\n"


async def test_reader_errors_reach_the_caller(clock: SimClock, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown reader protocol 'nfc'"):
        await discovery.test_reader("/dev/ttyUSB0", "nfc", False, io.StringIO(), clock)
    with pytest.raises(OSError):
        await discovery.test_reader(str(tmp_path / "missing"), "rdm6300", False, io.StringIO(), clock)
