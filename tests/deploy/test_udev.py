"""The udev rules and the kiosk's foot.ini: well formed, and naming what the README says they name.

CI has no udev daemon and no USB, and systemd 252's udevadm has no `verify`: the rules are
checked here for syntax (every item KEY{attr}OP"value", match keys only compared, GOTOs landing)
and for the names and permissions they give.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import SYSTEMD

RULES = SYSTEMD / "99-rollcall-readers.rules"
ITEM = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
MATCH_ONLY = {"ACTION", "SUBSYSTEM", "SUBSYSTEMS", "KERNEL", "KERNELS", "ATTRS", "DRIVERS"}
ASSIGN_ONLY = {"GROUP", "MODE", "SYMLINK", "IMPORT", "GOTO", "LABEL", "OPTIONS", "TAG"}
EITHER = {"ENV"}
ADAPTERS = {
    ("1a86", "7523"),
    ("10c4", "ea60"),
    ("0403", "6001"),
    ("067b", "2303"),
}  # CH340, CP210x, FTDI, PL2303


def rules() -> list[list[tuple[str, str | None, str, str]]]:
    parsed = []
    for number, line in enumerate(RULES.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        items, at = [], 0
        while at < len(line):
            found = ITEM.match(line, at)
            assert found, f"{RULES.name}:{number}: cannot parse from column {at + 1}: {line[at:]!r}"
            items.append((found.group(1), found.group(2), found.group(3), found.group(4)))
            at = found.end()
        parsed.append(items)
    return parsed


def test_every_rule_parses_and_uses_each_key_as_udev_allows() -> None:
    for rule in rules():
        for key, _, op, _ in rule:
            assert key in MATCH_ONLY | ASSIGN_ONLY | EITHER, key
            if key in MATCH_ONLY:
                assert op in ("==", "!="), (key, op)
            if key in ASSIGN_ONLY:
                assert op in ("=", "+=", ":="), (key, op)


def test_every_goto_lands_on_a_label() -> None:
    items = [item for rule in rules() for item in rule]
    labels = {value for key, _, _, value in items if key == "LABEL"}
    gotos = {value for key, _, _, value in items if key == "GOTO"}
    assert gotos and gotos <= labels


def test_serial_readers_get_stable_names_and_the_dialout_group() -> None:
    parsed = rules()
    links = [value for rule in parsed for key, _, _, value in rule if key == "SYMLINK"]
    assert "rollcall/reader-$env{ID_VENDOR_ID}-$env{ID_MODEL_ID}-$env{ID_SERIAL_SHORT}" in links
    assert "rollcall/reader-usb-%b" in links
    assert all(link.startswith("rollcall/") for link in links)
    by_socket = {
        (attrs["idVendor"], attrs["idProduct"])
        for rule in parsed
        if (attrs := {attr: value for key, attr, _, value in rule if key == "ATTRS"})
        and "idProduct" in attrs
        and any(key == "SYMLINK" and value == "rollcall/reader-usb-%b" for key, _, _, value in rule)
    }
    assert by_socket == ADAPTERS
    assigned = {(key, value) for rule in parsed for key, _, op, value in rule if op == "="}
    assert {("GROUP", "dialout"), ("GROUP", "input"), ("MODE", "0660")} <= assigned


def test_removal_events_are_left_alone() -> None:
    first = rules()[0]
    assert first == [("ACTION", None, "==", "remove"), ("GOTO", None, "=", "rollcall_readers_end")]


def test_foot_ini_is_valid_for_foot() -> None:
    foot = shutil.which("foot")
    text = (SYSTEMD / "foot.ini").read_text()
    assert re.search(r"^font=Noto Sans Mono CJK SC:size=\d+$", text, re.MULTILINE)
    if foot is None:
        pytest.skip("foot is not installed: only the font line was checked")
    result = subprocess.run(
        [foot, "--check-config", f"--config={SYSTEMD / 'foot.ini'}"], capture_output=True, text=True, timeout=30,
        check=False,
    )  # fmt: skip
    assert (
        result.returncode == 0 and "warn" not in result.stderr.lower() and "err" not in result.stderr.lower()
    ), result.stderr


def test_readers_list_shows_the_names_the_rules_make_first(tmp_path: Path) -> None:
    from hardware.discovery import InputDevice, SerialPort, list_input_devices, list_serial_ports

    dev = tmp_path
    (dev / "rollcall").mkdir()
    (dev / "serial/by-id").mkdir(parents=True)
    for node in ("ttyUSB0", "event3"):
        (dev / node).touch()
    (dev / "rollcall/reader-usb-1-1.3").symlink_to("../ttyUSB0")
    (dev / "rollcall/keyboard-usb-1-1.2-if00").symlink_to("../event3")
    (dev / "serial/by-id/usb-1a86_USB_Serial-if00-port0").symlink_to("../../ttyUSB0")
    usb = str(dev / "ttyUSB0")
    assert [(p.path, p.kind) for p in list_serial_ports(dev, lambda: [])] == [
        (str(dev / "rollcall/reader-usb-1-1.3"), "rollcall"),
        (str(dev / "serial/by-id/usb-1a86_USB_Serial-if00-port0"), "by-id"),
    ]
    assert list_serial_ports(dev, lambda: [])[0] == SerialPort(
        str(dev / "rollcall/reader-usb-1-1.3"), usb, "rollcall"
    )
    assert list_input_devices(dev) == [
        InputDevice(str(dev / "rollcall/keyboard-usb-1-1.2-if00"), str(dev / "event3"))
    ]
