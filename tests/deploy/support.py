"""Helpers of the deployment tests: where the units are, a sim edge device in a subprocess, sd_notify.

The edge runs as `python -m edge.cli edge --config FILE`, the very command the unit starts, with
a `[sim]` config (simulated readers and clock, `production = false`) listening on a free port.
Its sd_notify messages go to a datagram socket the test owns, as systemd's would.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "systemd"
# The figures the security test measured, printed at the end of the run for the CI log.
SCORES: dict[str, str] = {}

TOKENS = {"admin": "deploy-test-admin-token-0123456789", "sim": "deploy-test-sim-token-0123456789"}


def sim_config(directory: Path) -> Path:
    tokens = "".join(
        f'[[api.tokens]]\nrole = "{role}"\nsha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n'
        for role, token in TOKENS.items()
    )
    path = directory / "edge.toml"
    path.write_text(
        '[device]\nid = "deploy-test"\ndata_dir = "data"\nproduction = false\n\n'
        f'[api]\nlisten = "127.0.0.1:0"\n{tokens}\n'
        '[[readers]]\nid = "gate-in"\nprotocol = "sim"\nrole = "gate-in"\n\n'
        '[sim]\nstart = "2026-11-30T18:20:00+08:00"\n',
        encoding="utf-8",
    )
    return path


class Notifications:
    """The receiving end of NOTIFY_SOCKET: an AF_UNIX datagram socket bound in a temporary directory."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.seen: list[str] = []

    def receive(self, timeout: float) -> str | None:
        """The next message, or None when none arrives within `timeout` s."""
        self.sock.settimeout(timeout)
        try:
            message = self.sock.recv(4096).decode()
        except TimeoutError:
            return None
        self.seen.append(message)
        return message

    def until(self, line: str, timeout: float) -> list[str]:
        """Messages up to and including the first with `line`; fails when it does not come in `timeout` s."""
        deadline, got = time.monotonic() + timeout, []
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is None:
                break
            got.append(message)
            if line in message.split("\n"):
                return got
        raise AssertionError(f"no {line} within {timeout} s; got {got}")

    def during(self, seconds: float) -> list[str]:
        """Every message that arrives in the next `seconds` s."""
        deadline, got = time.monotonic() + seconds, []
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is not None:
                got.append(message)
        return got

    def drain(self) -> list[str]:
        """What is already queued, without waiting."""
        got = []
        self.sock.setblocking(False)
        try:
            while True:
                got.append(self.sock.recv(4096).decode())
        except BlockingIOError:
            return got
        finally:
            self.sock.setblocking(True)

    def close(self) -> None:
        self.sock.close()


def start_edge(
    directory: Path, notify: Notifications, *, watchdog_usec: int | None = None, wrapper: Sequence[str] = ()
) -> tuple[subprocess.Popen[bytes], Path]:
    """`rollcall edge` on a sim config in `directory`, its output in edge.log; `wrapper` runs before it."""
    config = sim_config(directory)
    env = {k: v for k, v in os.environ.items() if k not in ("WATCHDOG_USEC", "WATCHDOG_PID", "NOTIFY_SOCKET")}
    env["NOTIFY_SOCKET"] = str(notify.path)
    if watchdog_usec is not None:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    log = directory / "edge.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "edge.cli", "edge", "--config", str(config)],
            cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, log


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)  # in case a test left it stopped
        process.kill()
        process.wait(10)


def api_address(ready: str) -> str:
    """http://HOST:PORT from the READY message's STATUS (the edge says where its API answers)."""
    found = re.search(r"API on (http://\S+)", ready)
    assert found, ready
    return found.group(1)


def http(url: str, token: str | None = None, body: bytes | None = None) -> tuple[int, Any]:
    import json

    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())
