"""The systemd units: `systemd-analyze verify` finds nothing to say, and the services are hardened.

`verify` exits 0 on an unknown key or a bad value (it only warns on stderr), so each check
demands an EMPTY stderr. It does exit 1 when an `Exec*=` binary is missing, and CI has neither
/opt/rollcall/venv nor cage: each unit is verified from a copy whose `Exec*=` binaries are
rewritten to an executable that exists (this venv's Python), arguments and everything else kept.
The originals' binaries are checked separately below.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import SCORES, SYSTEMD

ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)

UNITS = sorted(p.name for p in SYSTEMD.glob("*.service"))
EXEC = re.compile(r"^(Exec[A-Za-z]*=)([-@:+!]*)(\S+)", re.MULTILINE)
MAX_EXPOSURE = 3.0
STUB = Path("/bin/true")  # any existing executable: verify only checks that it is there


def runnable_copy(name: str, directory: Path, extra: str = "") -> Path:
    """The unit with each Exec*= binary replaced by one that exists (see the module's note)."""
    text = EXEC.sub(lambda m: m.group(1) + m.group(2) + str(STUB), (SYSTEMD / name).read_text())
    copy = directory / name
    copy.write_text(text.replace("[Service]\n", f"[Service]\n{extra}", 1))
    return copy


def analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run([ANALYZE, *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def test_every_unit_is_here() -> None:
    assert UNITS == ["rollcall-edge.service", "rollcall-kiosk.service", "rollcall-server.service"]


@needs_analyze
@pytest.mark.parametrize("name", UNITS)
def test_verify_says_nothing(name: str, tmp_path: Path) -> None:
    result = analyze("verify", "--man=no", f"./{name}", cwd=runnable_copy(name, tmp_path).parent)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr


@needs_analyze
def test_verify_would_catch_a_bad_key(tmp_path: Path) -> None:
    """The control: the same check fails on an unknown key although verify's exit status is 0."""
    copy = runnable_copy("rollcall-edge.service", tmp_path, extra="ProtectEverything=yes\n")
    result = analyze("verify", "--man=no", f"./{copy.name}", cwd=tmp_path)
    assert result.returncode == 0
    assert "ProtectEverything" in result.stderr


def test_the_commands_the_units_run() -> None:
    starts = {
        name: re.findall(r"^ExecStart=(.*)$", (SYSTEMD / name).read_text(), re.MULTILINE) for name in UNITS
    }
    assert starts["rollcall-edge.service"] == [
        "/opt/rollcall/venv/bin/rollcall edge --config /etc/rollcall/edge.toml"
    ]
    assert starts["rollcall-server.service"] == [
        "/opt/rollcall/venv/bin/rollcall server --config /etc/rollcall/server.toml"
    ]
    assert starts["rollcall-kiosk.service"] == [
        "/usr/bin/cage -s -- /usr/bin/foot --config=/etc/rollcall/foot.ini /opt/rollcall/venv/bin/rollcall tui"
        " --url http://127.0.0.1:8470 --token-file /etc/rollcall/kiosk.token"
    ]


def test_the_edge_unit_is_notify_with_a_watchdog_and_reaches_readers_by_device_class() -> None:
    text = (SYSTEMD / "rollcall-edge.service").read_text()
    for line in ("Type=notify", "WatchdogSec=30", "Restart=always", "User=rollcall", "StateDirectory=rollcall",
                 "SupplementaryGroups=dialout input", "DevicePolicy=closed", "SystemCallErrorNumber=EPERM",
                 "DeviceAllow=char-ttyUSB rw", "DeviceAllow=char-ttyACM rw", "DeviceAllow=char-ttyAMA rw",
                 "DeviceAllow=char-ttyS rw", "DeviceAllow=char-input rw"):  # fmt: skip
        assert f"\n{line}\n" in text, line
    # By class, never by path: a path is resolved once, at start, and a reader plugged in later is refused.
    assert not re.search(r"^DeviceAllow=/dev/", text, re.MULTILINE)


@needs_analyze
@pytest.mark.parametrize("name", ["rollcall-edge.service", "rollcall-server.service"])
def test_exposure_is_at_most_3(name: str, tmp_path: Path) -> None:
    result = analyze(
        "security", "--offline=true", "--no-pager", f"./{name}", cwd=runnable_copy(name, tmp_path).parent
    )
    found = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?) (\S+)", result.stdout)
    assert found, result.stdout + result.stderr
    exposure = float(found.group(1))
    SCORES[name] = f"{exposure:.1f} {found.group(2)}"
    print(f"{name}: exposure {exposure:.1f} {found.group(2)}")
    failing = [line.strip() for line in result.stdout.splitlines() if line.startswith("✗")]
    assert exposure <= MAX_EXPOSURE, "\n".join(failing)
