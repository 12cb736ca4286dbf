"""The systemd units: `systemd-analyze verify` finds nothing to say, and the services are hardened.

`verify` exits 0 on an unknown key or a bad value (it only warns on stderr), so each check
demands an EMPTY stderr. It does exit 1 when an `Exec*=` binary is missing, and CI has neither
/opt/rollcall/venv nor cage: each unit is verified from a copy whose `Exec*=` binaries are
rewritten to an executable that exists (this venv's Python), arguments and everything else kept.
The originals' binaries are checked separately below.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
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
    assert UNITS == ["rollcall-displays.service", "rollcall-district.service", "rollcall-edge.service",
                     "rollcall-kiosk.service", "rollcall-server.service", "rollcall-student-kiosk.service"]  # fmt: skip


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
    assert starts["rollcall-student-kiosk.service"] == [
        "/usr/bin/cage -s -- /usr/bin/foot --config=/etc/rollcall/foot-student.ini /opt/rollcall/venv/bin/rollcall"
        " kiosk --url http://127.0.0.1:8470 --token-file /etc/rollcall/kiosk.token"
    ]
    assert starts["rollcall-displays.service"] == ["/usr/bin/sway --config /etc/rollcall/sway.conf"]


def test_one_program_has_the_display() -> None:
    """The three display units take tty1 from the login prompt and each other."""
    displays = ("rollcall-kiosk.service", "rollcall-student-kiosk.service", "rollcall-displays.service")
    for name in displays:
        text = (SYSTEMD / name).read_text()
        conflicts = set(re.search(r"^Conflicts=(.*)$", text, re.MULTILINE).group(1).split())  # type: ignore[union-attr]
        assert conflicts == {"getty@tty1.service", *displays} - {name}, name
        assert "\nTTYPath=/dev/tty1\n" in text and "\nUser=rollcall-kiosk\n" in text


SWAY = shutil.which("sway")


@pytest.mark.skipif(SWAY is None, reason="sway is not installed (apt-get install --no-install-recommends sway)")
def test_the_two_display_sway_config_is_valid_and_runs_both_programs() -> None:
    """sway validates the config headless (as an ordinary user: it refuses root), and a sway started on it
    runs foot twice, with the guard console and the students' screen (a stand-in foot records its arguments)."""
    base = Path(tempfile.mkdtemp(prefix="rollcall-sway-"))  # not under pytest's 0700 folders: nobody reads it
    try:
        check_sway(base)
    finally:
        shutil.rmtree(base)


def check_sway(base: Path) -> None:
    base.chmod(0o755)
    runtime, fakes, config = base / "run", base / "bin", base / "sway.conf"
    runtime.mkdir(mode=0o700)
    fakes.mkdir()
    shutil.copy(SYSTEMD / "sway.conf", config)
    config.chmod(0o644)
    foot = fakes / "foot"
    # It records its arguments and ends the loop that would start it again (sway's `exec` detaches it).
    foot.write_text(f"#!/bin/sh\necho \"$*\" >> {runtime}/foot-args\nkill -TERM $PPID\n")
    foot.chmod(0o755)
    bad = base / "bad.conf"
    bad.write_text("no_such_command 1\n")
    bad.chmod(0o644)
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(runtime, "nobody")
        as_user = ["runuser", "-u", "nobody", "--"]
    env = {"PATH": f"{fakes}:/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime), "WLR_BACKENDS": "headless",
           "WLR_RENDERER": "pixman", "WLR_LIBINPUT_NO_DEVICES": "1"}  # fmt: skip
    env_args = ["env", *(f"{k}={v}" for k, v in env.items())]

    def sway(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*as_user, *env_args, str(SWAY), *args], capture_output=True, text=True,
                              timeout=30, check=False)  # fmt: skip

    assert sway("--validate", "--config", str(config)).returncode == 0
    control = sway("--validate", "--config", str(bad))
    assert control.returncode == 1 and "no_such_command" in control.stderr
    running = subprocess.Popen([*as_user, *env_args, str(SWAY), "--config", str(config)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    args = runtime / "foot-args"
    try:
        for _ in range(100):
            if args.exists() and len(args.read_text().splitlines()) >= 2:
                break
            time.sleep(0.1)
    finally:
        os.killpg(running.pid, signal.SIGTERM)
        running.wait(timeout=10)
    started = sorted(args.read_text().splitlines())
    api = "--url http://127.0.0.1:8470 --token-file /etc/rollcall/kiosk.token"
    assert started == [
        f"--app-id=rollcall-guard --config=/etc/rollcall/foot.ini /opt/rollcall/venv/bin/rollcall tui {api}",
        f"--app-id=rollcall-student --config=/etc/rollcall/foot-student.ini /opt/rollcall/venv/bin/rollcall kiosk {api}",
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
@pytest.mark.parametrize("name", ["rollcall-edge.service", "rollcall-server.service", "rollcall-district.service"])
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


def test_the_students_screen_has_a_large_cjk_font() -> None:
    text = (SYSTEMD / "foot-student.ini").read_text()
    found = re.search(r"^font=Noto Sans Mono CJK SC:size=(\d+)$", text, re.MULTILINE)
    guard = re.search(r"^font=Noto Sans Mono CJK SC:size=(\d+)$", (SYSTEMD / "foot.ini").read_text(), re.MULTILINE)
    assert found and guard and int(found.group(1)) >= 2 * int(guard.group(1))
    foot = shutil.which("foot")
    if foot is None:
        pytest.skip("foot is not installed: only the font line was checked")
    result = subprocess.run([foot, "--check-config", f"--config={SYSTEMD / 'foot-student.ini'}"],
                            capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
