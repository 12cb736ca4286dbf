"""Configuration: a good file parses; every kind of mistake names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.core.model import ReaderRole
from edge.device.config import load_config
from edge.web.settings import ConfigError

GOOD = """
[device]
id = "gate-1"
data_dir = "data"
timezone = "Asia/Shanghai"
debounce_seconds = 2.5

[api]
listen = "0.0.0.0:8470"
[[api.tokens]]
role = "guard"
sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

[[readers]]
id = "gate-in"
protocol = "rdm6300"
port = "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0"
role = "gate-in"

[[readers]]
id = "room-301"
protocol = "ascii"
port = "/dev/ttyUSB1"
role = "room"
room = "r301"
format = "dec10"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_parses_into_typed_values(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.device_id == "gate-1"
    assert config.database == tmp_path / "data" / "rollcall.sqlite3"  # relative to the file
    assert config.debounce_seconds == 2.5 and config.listen == "0.0.0.0:8470"
    assert [r.place.role for r in config.readers] == [ReaderRole.GATE_IN, ReaderRole.ROOM]
    assert config.readers[1].place.room_id == "r301"
    assert config.readers[1].spec.options == {"format": "dec10"}
    assert config.tokens[0].role == "guard" and config.sim is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("id = \"gate-1\"", "id = \"gate-1\"\ncolour = \"red\""), "device.colour: unknown key"),
        (("[api]", "[apii]"), "apii: unknown key"),
        (("protocol = \"rdm6300\"", "protocl = \"rdm6300\""), "readers[0].protocl: unknown key"),
        (("role = \"gate-in\"", "role = \"door\""), "readers[0].role: 'door' is not one of gate-in"),
        (("debounce_seconds = 2.5", "debounce_seconds = \"soon\""), "device.debounce_seconds: expected int or float"),
        (("debounce_seconds = 2.5", "debounce_seconds = -1"), "device.debounce_seconds: must not be negative"),
        (("timezone = \"Asia/Shanghai\"", "timezone = \"Mars/Olympus\""), "device.timezone: unknown time zone"),
        (("role = \"guard\"", "role = \"principal\""), "api.tokens[0].role: 'principal' is not one of"),
        (("sha256 = \"9f86", "sha256 = \"plain-text-token-9f86"), "api.tokens[0].sha256: not a hex SHA-256"),
        (("room = \"r301\"\n", ""), "readers[1].room: a room reader needs a room"),
        (("id = \"room-301\"", "id = \"gate-in\""), "readers: reader id 'gate-in' appears twice"),
        (("id = \"gate-1\"\n", ""), "device.id: missing"),
        (("protocol = \"ascii\"", "protocol = \"magic\""), "readers[1].protocol: 'magic' is not one of"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_mistake_names_the_file_and_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_missing_file_and_broken_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: no such file"):
        load_config(tmp_path / "nowhere.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[device\nid = 1"))


def test_sim_is_refused_on_a_production_device_unless_asked(tmp_path: Path) -> None:
    sim = GOOD + '\n[sim]\nstart = "2026-11-30T17:50:00"\n'
    with pytest.raises(ConfigError, match="refused on a production device"):
        load_config(write(tmp_path, sim))
    drill = load_config(write(tmp_path, sim.replace("[sim]", "[sim]\nallow_on_production = true")))
    assert drill.sim is not None and drill.sim.start is not None
    assert drill.sim.start.utcoffset() is not None  # naive times are read in the device's zone
    test_device = load_config(write(tmp_path, sim.replace("[device]", "[device]\nproduction = false")))
    assert test_device.sim is not None


def test_sim_readers_need_the_sim_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="protocol 'sim' needs a \\[sim\\] table"):
        load_config(write(tmp_path, GOOD.replace('protocol = "rdm6300"', 'protocol = "sim"')))


def test_feedback_pins_come_together_and_patterns_are_checked(tmp_path: Path) -> None:
    full = load_config(write(tmp_path, GOOD + "\n[feedback]\nbuzzer_pin = 17\ngreen_pin = 27\nred_pin = 22\n"))
    assert full.feedback.gpio == (17, 27, 22)
    assert load_config(write(tmp_path, GOOD)).feedback.gpio is None
    with pytest.raises(ConfigError, match="feedback: give buzzer_pin, green_pin and red_pin together"):
        load_config(write(tmp_path, GOOD + "\n[feedback]\nbuzzer_pin = 17\n"))
    with pytest.raises(ConfigError, match="feedback.patterns: feedback pattern for unknown signal 'party'"):
        load_config(write(tmp_path, GOOD + '\n[feedback.patterns]\nparty = [1, 0.1, 0.0, "green"]\n'))


def test_a_number_reader_needs_a_known_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"readers\[1\].format: 'dec11' is not one of"):
        load_config(write(tmp_path, GOOD.replace('format = "dec10"', 'format = "dec11"')))
    with pytest.raises(ConfigError, match=r"readers\[1\].format: protocol 'ascii' needs the format"):
        load_config(write(tmp_path, GOOD.replace('format = "dec10"\n', "")))
