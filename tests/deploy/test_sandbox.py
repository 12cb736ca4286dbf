"""The edge runs under its unit's system call filter and MemoryDenyWriteExecute, emulated without systemd.

CI has no systemd as PID 1, so the unit cannot be started there. `sandbox.py` (run by Debian's
python3 with python3-seccomp) loads the seccomp filters the unit's SystemCallFilter=,
SystemCallErrorNumber=, MemoryDenyWriteExecute= and RestrictAddressFamilies= ask for, then execs
the edge: a call Python, aiohttp, SQLite or the readers need but the unit forbids would fail here.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.support import SYSTEMD, TOKENS, Notifications, api_address, http, start_edge, stop

SYSTEM_PYTHON = "/usr/bin/python3"
SANDBOX = Path(__file__).with_name("sandbox.py")
EDGE_UNIT = SYSTEMD / "rollcall-edge.service"


def _sandbox_works() -> str | None:
    if shutil.which("systemd-analyze") is None:
        return "systemd-analyze is not installed"
    if not Path(SYSTEM_PYTHON).exists():
        return f"no {SYSTEM_PYTHON}"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import seccomp"], capture_output=True, timeout=30, check=False
    )
    return None if probe.returncode == 0 else "python3-seccomp is not installed (CI installs it in .ci/run)"


reason = _sandbox_works()
pytestmark = pytest.mark.skipif(reason is not None, reason=reason or "")
WRAPPER = (SYSTEM_PYTHON, str(SANDBOX), str(EDGE_UNIT), "--")


def sandboxed_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WRAPPER, sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_sandbox_bites() -> None:
    """The control: writable-executable memory and a packet socket are refused under it."""
    result = sandboxed_python(
        "import mmap, socket\n"
        "for attempt in (lambda: mmap.mmap(-1, 4096, prot=7), lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW)):\n"
        "    try:\n        attempt()\n        print('allowed')\n"
        "    except OSError as error:\n        print(error.errno)\n"
    )
    assert result.stdout.split() == ["1", "97"], result.stderr  # EPERM, EAFNOSUPPORT


def test_the_edge_serves_records_and_stops_cleanly_inside_it(
    tmp_path: Path, notifications: Notifications
) -> None:
    process, log = start_edge(tmp_path, notifications, watchdog_usec=3_000_000, wrapper=WRAPPER)
    try:
        address = api_address(notifications.until("READY=1", timeout=30)[-1])
        status = Path(f"/proc/{process.pid}/status").read_text()
        assert (
            "\nSeccomp:\t2\n" in status and "\nNoNewPrivs:\t1\n" in status
        )  # the filters hold the edge itself
        code, live = http(f"{address}/healthz")
        assert code == 200 and live["status"] == "ok" and live["storage"]["state"] in ("ok", "low")
        tap = json.dumps({"reader_id": "gate-in", "uid": "04A1B2C3"}).encode()
        code, body = http(f"{address}/api/v1/sim/taps", TOKENS["sim"], tap)
        assert code == 201 and body["events"][0]["seq"] >= 1  # decided, appended, committed by the recorder
        code, health = http(f"{address}/api/v1/health", TOKENS["admin"])
        assert code == 200 and health["log"]["head_seq"] >= 1
        process.send_signal(signal.SIGTERM)
        notifications.until("STOPPING=1", timeout=15)
        assert process.wait(15) == 0
    finally:
        stop(process)
    text = log.read_text()
    assert "Traceback" not in text and "Operation not permitted" not in text, text


def test_what_events_record_about_the_clock_can_be_read_inside_it() -> None:
    result = sandboxed_python(
        "from edge.device.boot import BootInfo, kernel_clock_synced\n"
        "print(kernel_clock_synced(), BootInfo().boot_id, BootInfo().stamp()[1] > 0)"
    )
    synced, boot_id, boottime = result.stdout.split()
    assert synced in ("True", "False"), result.stderr  # None would mean adjtimex was filtered
    assert boot_id == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert boottime == "True"
