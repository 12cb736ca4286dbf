"""systemd/install.sh, run into a throwaway root (`--root DIR`): what it places, twice, and `--uninstall`.

In a throwaway root the script changes files only: users, udev and starting services are printed
as skipped, and units are enabled offline with `systemctl --root`. `--skip-venv` leaves out the
virtual environment (a pip install from PyPI, a minute on a Pi). What only a running system shows
(users and groups made, udev missing, services started) is tested booted: tests/deploy/test_booted.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from edge.device.config import load_config
from tests.deploy.support import SYSTEMD

SCRIPT = SYSTEMD / "install.sh"
DISPLAY_UNITS = ("rollcall-kiosk.service", "rollcall-student-kiosk.service", "rollcall-displays.service")
UNITS = ("rollcall-edge.service", "rollcall-server.service", *DISPLAY_UNITS)
EDGE_UNITS = ("rollcall-edge.service", *DISPLAY_UNITS)
WANTS = Path("etc/systemd/system/multi-user.target.wants")
has_systemctl = pytest.mark.skipif(shutil.which("systemctl") is None, reason="systemctl is not installed")


def install(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), "--root", str(root), "--skip-venv", *options],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tree(root: Path) -> dict[str, bytes | str]:
    """Every file under `root` with its content, and every symlink with its target."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            found[name] = "-> " + os.readlink(path)
        elif path.is_file():
            found[name] = path.read_bytes()
    return found


def test_shellcheck_passes() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck; CI installs it in .ci/run)")
    result = subprocess.run(
        [shellcheck, str(SCRIPT)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_dry_run_prints_every_action_and_changes_nothing(tmp_path: Path) -> None:
    result = install(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []
    out = result.stdout
    assert "~ useradd --system --gid rollcall" in out
    assert "# skipped: --root" in out  # users are never made inside a throwaway root
    for unit in EDGE_UNITS:
        assert f"+ install -D -m 0644 {SYSTEMD / unit} {tmp_path}/etc/systemd/system/{unit}" in out
    assert "rollcall-server.service" not in out  # a device runs no school server
    assert f"{tmp_path}/etc/udev/rules.d/99-rollcall-readers.rules" in out
    assert "+ write /etc/rollcall/edge.toml" in out
    assert "+ chmod 0640 " + str(tmp_path / "etc/rollcall/edge.toml") in out


def test_an_install_places_units_rules_and_a_config_only_the_service_reads(tmp_path: Path) -> None:
    result = install(tmp_path)
    assert result.returncode == 0, result.stderr
    for unit in EDGE_UNITS:
        placed = tmp_path / "etc/systemd/system" / unit
        assert placed.read_bytes() == (SYSTEMD / unit).read_bytes()
        assert mode(placed) == 0o644
    assert not (tmp_path / "etc/systemd/system/rollcall-server.service").exists()
    assert not (tmp_path / "etc/rollcall/server.toml").exists()
    rules = tmp_path / "etc/udev/rules.d/99-rollcall-readers.rules"
    assert rules.read_bytes() == (SYSTEMD / "99-rollcall-readers.rules").read_bytes()
    assert (tmp_path / "etc/modules-load.d/rollcall.conf").read_text().split()[-2:] == [
        "usbserial",
        "cdc_acm",
    ]
    assert os.readlink(tmp_path / "usr/local/bin/rollcall") == "/opt/rollcall/venv/bin/rollcall"

    etc = tmp_path / "etc/rollcall"
    assert mode(etc / "edge.toml") == 0o640  # root:rollcall on a real system
    assert mode(etc / "kiosk.token") == 0o640  # root:rollcall-kiosk
    assert mode(etc / "foot.ini") == 0o644
    for name in ("foot-student.ini", "sway.conf"):  # the students' screen's font, and two displays
        assert (etc / name).read_bytes() == (SYSTEMD / name).read_bytes() and mode(etc / name) == 0o644
    token = (etc / "kiosk.token").read_text()
    assert len(token) >= 40 and token.strip() == token
    config = load_config(etc / "edge.toml")  # the skeleton is a valid configuration as written
    assert config.data_dir == Path("/var/lib/rollcall")
    assert config.listen == "127.0.0.1:8470"
    assert [(t.role, t.name, t.sha256) for t in config.tokens] == [
        ("guard", "kiosk", hashlib.sha256(token.encode()).hexdigest())
    ]
    if shutil.which("systemctl"):
        assert (
            os.readlink(tmp_path / WANTS / "rollcall-edge.service")
            == "/etc/systemd/system/rollcall-edge.service"
        )
        assert not (tmp_path / WANTS / "rollcall-kiosk.service").exists()  # no cage in this root
        assert not (tmp_path / WANTS / "rollcall-server.service").exists()


def test_a_second_run_changes_nothing_and_keeps_an_edited_config(tmp_path: Path) -> None:
    assert install(tmp_path).returncode == 0
    first = tree(tmp_path)
    second = install(tmp_path)
    assert second.returncode == 0, second.stderr
    assert tree(tmp_path) == first
    assert "+ write" not in second.stdout  # neither the config nor the token is made again

    edited = (tmp_path / "etc/rollcall/edge.toml").read_text().replace('id = "', 'id = "edited-', 1)
    (tmp_path / "etc/rollcall/edge.toml").write_text(edited)
    (tmp_path / "etc/rollcall/edge.toml").chmod(0o644)
    assert install(tmp_path).returncode == 0
    assert (tmp_path / "etc/rollcall/edge.toml").read_text() == edited
    assert mode(tmp_path / "etc/rollcall/edge.toml") == 0o640  # the mode is put right again


@has_systemctl
def test_the_kiosk_is_enabled_where_cage_and_foot_are_and_given_back_on_uninstall(tmp_path: Path) -> None:
    for program in ("cage", "foot"):
        fake = tmp_path / "usr/bin" / program
        fake.parent.mkdir(parents=True, exist_ok=True)
        fake.write_text("#!/bin/sh\n")
        fake.chmod(0o755)
    getty = tmp_path / "usr/lib/systemd/system/getty@.service"
    getty.parent.mkdir(parents=True)
    getty.write_text(
        "[Service]\nExecStart=/sbin/agetty %I\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n"
    )
    assert install(tmp_path).returncode == 0
    assert (tmp_path / WANTS / "rollcall-kiosk.service").is_symlink()
    assert not (tmp_path / "etc/systemd/system/getty.target.wants/getty@tty1.service").exists()

    result = install(tmp_path, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / WANTS / "rollcall-kiosk.service").exists()
    assert (tmp_path / "etc/systemd/system/getty.target.wants/getty@tty1.service").is_symlink()


def fake_programs(root: Path, *programs: str) -> None:
    """Executables at /usr/bin in `root` (the script only checks they are there) and getty@.service."""
    for program in programs:
        fake = root / "usr/bin" / program
        fake.parent.mkdir(parents=True, exist_ok=True)
        fake.write_text("#!/bin/sh\n")
        fake.chmod(0o755)
    getty = root / "usr/lib/systemd/system/getty@.service"
    getty.parent.mkdir(parents=True, exist_ok=True)
    getty.write_text("[Service]\nExecStart=/sbin/agetty %I\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n")


def enabled_displays(root: Path) -> list[str]:
    return [unit for unit in DISPLAY_UNITS if (root / WANTS / unit).is_symlink()]


@has_systemctl
def test_the_display_shows_the_students_screen_instead_and_keeps_it_on_an_update(tmp_path: Path) -> None:
    fake_programs(tmp_path, "cage", "foot")
    result = install(tmp_path, "--kiosk", "student")
    assert result.returncode == 0, result.stderr
    assert enabled_displays(tmp_path) == ["rollcall-student-kiosk.service"]
    assert "the students' screen starts on the display at the next boot" in result.stdout
    assert not (tmp_path / "etc/systemd/system/getty.target.wants/getty@tty1.service").exists()
    assert install(tmp_path).returncode == 0  # an update without --kiosk keeps the choice
    assert enabled_displays(tmp_path) == ["rollcall-student-kiosk.service"]
    assert install(tmp_path, "--kiosk=guard").returncode == 0  # and back to the guard console
    assert enabled_displays(tmp_path) == ["rollcall-kiosk.service"]
    assert install(tmp_path, "--uninstall").returncode == 0
    assert enabled_displays(tmp_path) == []
    assert (tmp_path / "etc/systemd/system/getty.target.wants/getty@tty1.service").is_symlink()


@has_systemctl
def test_both_on_two_displays_needs_sway_and_says_so(tmp_path: Path) -> None:
    fake_programs(tmp_path, "cage", "foot")
    result = install(tmp_path, "--kiosk", "both")
    assert result.returncode == 0, result.stderr
    assert enabled_displays(tmp_path) == []
    assert "sway or foot is not installed: the guard console and the students' screen (rollcall-displays.service)" in result.stdout
    assert "sudo apt-get install -y sway foot fonts-noto-cjk" in result.stdout
    fake_programs(tmp_path, "sway")
    assert install(tmp_path, "--kiosk", "both").returncode == 0
    assert enabled_displays(tmp_path) == ["rollcall-displays.service"]
    result = install(tmp_path, "--uninstall")
    assert result.returncode == 0 and enabled_displays(tmp_path) == []
    assert (tmp_path / "etc/systemd/system/getty.target.wants/getty@tty1.service").is_symlink()


def test_uninstall_removes_the_program_and_keeps_the_data_and_the_configuration(tmp_path: Path) -> None:
    assert install(tmp_path).returncode == 0
    data = tmp_path / "var/lib/rollcall/rollcall.sqlite3"
    data.parent.mkdir(parents=True)
    data.write_bytes(b"the event log")
    config = {p.name: p.read_bytes() for p in (tmp_path / "etc/rollcall").iterdir()}

    result = install(tmp_path, "--uninstall")
    assert result.returncode == 0, result.stderr
    for gone in ["opt/rollcall", "usr/local/bin/rollcall", "etc/udev/rules.d/99-rollcall-readers.rules",
                 "etc/modules-load.d/rollcall.conf", *(f"etc/systemd/system/{u}" for u in UNITS),
                 str(WANTS / "rollcall-edge.service")]:  # fmt: skip
        assert not (tmp_path / gone).exists() and not (tmp_path / gone).is_symlink(), gone
    assert data.read_bytes() == b"the event log"
    assert {p.name: p.read_bytes() for p in (tmp_path / "etc/rollcall").iterdir()} == config
    assert "kept: /var/lib/rollcall " in result.stdout
    assert "/var/lib/rollcall-server (the school server's)" in result.stdout
    assert install(tmp_path, "--uninstall").returncode == 0  # and again: nothing left to do is not an error


def test_the_server_role_enables_the_server_only(tmp_path: Path) -> None:
    result = install(tmp_path, "--server", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "enable rollcall-server.service" in result.stdout
    assert "enable rollcall-edge.service" not in result.stdout
    assert "useradd" in result.stdout and "rollcall-kiosk" not in result.stdout
    assert "edge.toml" not in result.stdout
    # A server reads no card reader: no reader groups, no udev rules, no modules.
    assert "usermod" not in result.stdout and "dialout" not in result.stdout
    assert "udev" not in result.stdout and "modules-load" not in result.stdout


def server_unit_user() -> str:
    (user,) = re.findall(r"^User=(\S+)$", (SYSTEMD / "rollcall-server.service").read_text(), re.MULTILINE)
    return user


def test_the_server_role_places_its_unit_and_a_server_toml_only_root_and_its_service_read(
    tmp_path: Path,
) -> None:
    result = install(tmp_path, "--server")
    assert result.returncode == 0, result.stderr
    system = tmp_path / "etc/systemd/system"
    assert sorted(p.name for p in system.glob("*.service")) == ["rollcall-server.service"]
    assert (system / "rollcall-server.service").read_bytes() == (
        SYSTEMD / "rollcall-server.service"
    ).read_bytes()
    assert not (tmp_path / "etc/udev").exists() and not (tmp_path / "etc/modules-load.d").exists()
    config = tmp_path / "etc/rollcall/server.toml"
    assert config.read_bytes() == (SYSTEMD / "server.toml.example").read_bytes()
    assert mode(config) == 0o640
    # On a running system the group is the server unit's own user (skipped inside --root, but shown).
    assert f"~ chown root:{server_unit_user()} {config}   # skipped: --root" in result.stdout
    assert "sudoedit /etc/rollcall/server.toml" in result.stdout
    assert sorted(p.name for p in config.parent.iterdir()) == ["server.toml"]  # no kiosk token, no edge.toml
    if shutil.which("systemctl"):
        assert (tmp_path / WANTS / "rollcall-server.service").is_symlink()
        assert not (tmp_path / WANTS / "rollcall-edge.service").exists()

    config.write_text('[server]\nid = "edited"\n')
    config.chmod(0o644)
    again = install(tmp_path, "--server")
    assert again.returncode == 0, again.stderr
    assert "+ write" not in again.stdout
    assert config.read_text() == '[server]\nid = "edited"\n'
    assert mode(config) == 0o640  # put right again
    assert "server.toml was kept" in again.stdout


def test_an_edge_and_a_server_on_one_machine_are_both_removed_by_uninstall(tmp_path: Path) -> None:
    assert install(tmp_path).returncode == 0
    assert install(tmp_path, "--server").returncode == 0
    system = tmp_path / "etc/systemd/system"
    assert sorted(p.name for p in system.glob("*.service")) == sorted(UNITS)
    assert {"edge.toml", "server.toml", "kiosk.token"} <= {
        p.name for p in (tmp_path / "etc/rollcall").iterdir()
    }
    result = install(tmp_path, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert list(system.glob("*.service")) == []
    assert (tmp_path / "etc/rollcall/server.toml").exists()  # configuration is kept


def fake_bundle(directory: Path, *, arch: str, complete: bool = True, python: str = "3.11") -> Path:
    """A bundle's shape with an empty wheel: enough for the checks made before anything is installed."""
    directory.mkdir()
    (directory / "rollcall-0.1.0-py3-none-any.whl").write_bytes(b"not really a wheel")
    (directory / f"requirements-{arch}.txt").write_text("rollcall==0.1.0 --hash=sha256:00\n")
    missing = [] if complete else [{"requirement": "evdev", "reason": "needs a compiler"}]
    platforms = {arch: {"complete": complete, "requirements": f"requirements-{arch}.txt", "missing": missing}}
    (directory / "manifest.json").write_text(json.dumps({"python": python, "platforms": platforms}))
    sums = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(directory.iterdir())
    )
    (directory / "SHA256SUMS").write_text(sums)
    return directory


def this_platform() -> str:
    found = subprocess.run(
        ["python3", "-c", "import platform, struct; m = platform.machine(); "
         "print('armv7l' if m.startswith(('arm', 'aarch64')) and struct.calcsize('P') == 4 else m)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return found.stdout.strip()


def offline(root: Path, bundle: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), "--root", str(root), "--offline", str(bundle), *options],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (("--offline",), "install.sh: --offline needs the bundle's folder (make bundle: dist/bundle)"),
        (("--offline", "/nonexistent/bundle"), "install.sh: --offline /nonexistent/bundle: no such folder"),
        (("--offline", "."), "not a bundle (no SHA256SUMS and manifest.json; build one with make bundle)"),
        (("--offline", ".", "--skip-venv"), "install.sh: --offline installs the virtual environment: not with --skip-venv"),
        (("--root",), "install.sh: --root needs a directory"),
        (("--kiosk", "tv"), "install.sh: --kiosk tv: say guard (the guard console), student (the students' screen) or both"),
        (("--kiosk",), "install.sh: --kiosk needs guard, student or both"),
        (("--server", "--kiosk", "student"), "install.sh: --kiosk is for an edge device's display: not with --server"),
    ],
)  # fmt: skip
def test_bad_options_are_refused_in_one_line(tmp_path: Path, options: tuple[str, ...], error: str) -> None:
    result = subprocess.run(
        ["bash", str(SCRIPT), *options], capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and error in result.stderr, result.stderr
    assert result.stdout == ""


def test_a_damaged_bundle_is_refused_before_anything_is_installed(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "bundle", arch=this_platform())
    (bundle / "rollcall-0.1.0-py3-none-any.whl").write_bytes(b"changed on the USB stick")
    result = offline(tmp_path / "root", bundle)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"install.sh: the bundle {bundle} is damaged: a file does not match SHA256SUMS (copy it again)"
    )
    assert not (tmp_path / "root").exists()


@pytest.mark.parametrize(
    ("arch", "complete", "python", "error"),
    [
        (
            "riscv64",
            True,
            "3.11",
            "has no wheels for {this}, only for riscv64: make bundle ARGS=--arch={this}",
        ),
        ("{this}", False, "3.11", "is incomplete for {this}: evdev: needs a compiler"),
        ("{this}", True, "2.7", "was built for Python 2.7, this machine has 3."),
    ],
)
def test_a_bundle_for_another_machine_is_refused_with_the_reason(
    tmp_path: Path, arch: str, complete: bool, python: str, error: str
) -> None:
    this = this_platform()
    bundle = fake_bundle(tmp_path / "bundle", arch=arch.format(this=this), complete=complete, python=python)
    result = offline(tmp_path / "root", bundle)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"install.sh: the bundle {bundle} ") and error.format(this=this) in line, line
    assert not (tmp_path / "root").exists()


def test_an_unknown_option_is_refused(tmp_path: Path) -> None:
    result = install(tmp_path, "--frobnicate")
    assert result.returncode == 2
    assert "unknown option: --frobnicate" in result.stderr
