"""`rollcall edge` and `rollcall demo --listen` serve the API until SIGTERM, and stop cleanly."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.api.conftest import TOKENS, config_for

LISTENING = re.compile(r"(?:listening on|API at) http://(127\.0\.0\.1:\d+)")  # the device's API, not the office's


def get(url: str, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def wait_for(stream: IO[str], pattern: re.Pattern[str], lines: list[str]) -> re.Match[str]:
    for line in stream:
        lines.append(line)
        if found := pattern.search(line):
            return found
    raise AssertionError("the process ended before it said: " + pattern.pattern + "\n" + "".join(lines))


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:  # a failed test must not leave a server behind
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_rollcall_edge_serves_its_config_and_stops_on_sigterm(tmp_path: Path, processes: list[Any]) -> None:
    config = config_for(tmp_path / "data")
    lines = [
        "[device]", 'id = "gate-1"', 'data_dir = "data"', "production = false", "",
        "[api]", 'listen = "127.0.0.1:0"',
        "[[api.tokens]]", 'role = "guard"', f'sha256 = "{next(t.sha256 for t in config.tokens if t.role == "guard")}"',
        "", "[sim]", 'start = "2026-11-30T18:20:00+08:00"', "",
        "[[readers]]", 'id = "gate-in"', 'protocol = "sim"', 'role = "gate-in"',
    ]  # fmt: skip
    (tmp_path / "edge.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "edge.cli", "edge", "--config", str(tmp_path / "edge.toml")],
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    processes.append(process)
    assert process.stderr is not None
    seen: list[str] = []
    address = wait_for(process.stderr, LISTENING, seen).group(1)
    code, live = get(f"http://{address}/healthz")
    assert code == 200 and live["status"] == "ok" and live["storage"]["state"] in ("ok", "low")
    status, health = get(f"http://{address}/api/v1/health", TOKENS["guard"])
    assert status == 200 and health["device"] == "gate-1" and health["readers"][0]["id"] == "gate-in"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    rest = process.stderr.read()
    assert "Traceback" not in rest and "device gate-1 stopped" in rest


def test_the_demo_serves_its_device_and_prints_its_tokens_once(tmp_path: Path, processes: list[Any]) -> None:
    # without the office beside it, whose fixed port may be taken: tests/test_demo_office.py tries that
    argv = [sys.executable, "-m", "edge.cli", "--lang", "en", "demo", "--headless", "--speed", "0",
            "--date", "2026-11-30", "--data", str(tmp_path / "demo"), "--listen", "127.0.0.1:0",
            "--no-office"]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    processes.append(process)
    assert process.stdout is not None
    seen: list[str] = []
    address = wait_for(process.stdout, LISTENING, seen).group(1)
    tokens = dict(re.findall(r"^  (\w+) +(\S+)$", "".join(seen), re.MULTILINE))
    assert set(tokens) == {"server", "guard", "teacher", "admin", "sim"}
    wait_for(process.stdout, re.compile(r"^Demo over"), seen)  # the evening has been played
    status, sessions = get(f"http://{address}/api/v1/sessions?date=2026-11-30", tokens["guard"])
    assert status == 200 and sum(s["service_id"] == "evening" for s in sessions["sessions"]) == 4
    status, health = get(f"http://{address}/api/v1/health", tokens["guard"])  # the script's readers: up, named
    assert {(r["state"], bool(r["name"])) for r in health["readers"]} == {("up", True)}
    written = (tmp_path / "demo" / "edge.toml").read_text(encoding="utf-8")
    assert all(token not in written for token in tokens.values())  # only their hashes are kept
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
