"""Rollcall installed from the offline bundle on a booted Debian 12, systemd as PID 1, in systemd-nspawn.

Run when asked: `ROLLCALL_BOOTED=1 .venv/bin/pytest tests/deploy/test_booted.py` as root, with
debootstrap and systemd-container installed (.ci/run does all three). It needs Debian's mirror
for the root (cached under /var/cache/rollcall-ci/ after the first run) and PyPI for the bundle,
unless ROLLCALL_BUNDLE names one built already (`make bundle`); the container itself has no
network but its loopback. About three minutes, half of it the watchdog test.

The tests run in order on one system, as an administrator would: install (with udev unable to
run and the `input` group missing, as on a minimal image), the README's "Is it healthy?" rows
and a card tapped on a reader (a pty), SIGKILL, the watchdog after SIGSTOP, the security score,
a second install that changes nothing, a school server beside it pulling the edge, uninstall.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.booted import CannotBoot, Container, curl, debian_root, missing_tools, poll, writable_copy
from tests.deploy.support import REPO, SCORES

ASKED = os.environ.get("ROLLCALL_BOOTED") == "1"
pytestmark = [
    pytest.mark.skipif(not ASKED, reason="a booted Debian in systemd-nspawn: set ROLLCALL_BOOTED=1 (.ci/run does)"),
    pytest.mark.skipif(ASKED and missing_tools() is not None, reason=str(missing_tools())),
]  # fmt: skip

HOSTNAME = "gate-1"  # the container's host name, so the installer names the device gate-1
EDGE = "rollcall-edge.service"
SERVER = "rollcall-server.service"
READER_LINK, TAPS = "/dev/rollcall/reader-test", "/run/rollcall-test-taps"
API = "http://127.0.0.1:8470"
SERVER_API = "http://127.0.0.1:8480"
MAX_EXPOSURE = 3.0
PHASES: dict[str, float] = {}  # seconds each phase took, for the closing report


def say(line: str) -> None:
    sys.stderr.write(f"[booted] {line}\n")


@dataclass
class Booted:
    container: Container
    root: Path  # the container's / as the host sees it
    installed: subprocess.CompletedProcess[str]
    kiosk: str
    server_token: str
    admin_token: str

    def health(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(curl(self.container, f"{API}/api/v1/health", self.kiosk))
        return found

    def events(self) -> list[dict[str, Any]]:
        epoch = self.health()["log"]["epoch"]
        page = json.loads(
            curl(self.container, f"{API}/api/v1/events?epoch={epoch}&after=0&limit=1000", self.server_token)
        )
        events: list[dict[str, Any]] = page["events"]
        return events

    def tap(self, uid: str) -> None:
        self.container.sh(f"echo {uid} > {TAPS}")

    def main_pid(self) -> int:
        return int(self.container.unit(EDGE, "MainPID")["MainPID"])


def bundle_for_the_test(scratch: Path) -> Path:
    given = os.environ.get("ROLLCALL_BUNDLE")
    if given:
        return Path(given).resolve()
    out = scratch / "bundle"
    arch = os.uname().machine
    built = subprocess.run(
        [sys.executable, str(REPO / "systemd/bundle.py"), "--out", str(out), "--arch", arch],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def token_entry(role: str, name: str, token: str) -> str:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return f'\n[[api.tokens]]\nrole = "{role}"\nname = "{name}"\nsha256 = "{digest}"\n'


def timed(phase: str, started: float) -> None:
    PHASES[phase] = time.monotonic() - started
    say(f"{phase}: {PHASES[phase]:.1f} s")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Booted]:
    scratch = tmp_path_factory.mktemp("booted")
    started = time.monotonic()
    bundle = bundle_for_the_test(scratch)
    timed("bundle", started)
    started = time.monotonic()
    pristine = debian_root(say)
    timed("debian root", started)
    with writable_copy(pristine, scratch / "root") as root:
        (root / "etc/hostname").write_text(f"{HOSTNAME}\n")  # debootstrap copied the host's
        container = Container(
            root, scratch / "console.log", name=HOSTNAME, binds={REPO: "/mnt/rollcall", bundle: "/mnt/bundle"}
        )
        try:
            started = time.monotonic()
            try:
                container.boot()
            except CannotBoot as error:
                pytest.skip(f"systemd-nspawn cannot boot Debian here: {error}")
            timed("boot", started)
            yield prepare(container, root)
        finally:
            container.poweroff()


def prepare(container: Container, root: Path) -> Booted:
    # As on a minimal image: no `input` group (the installer must make it, or the unit cannot start).
    container.run("groupdel", "input")
    started = time.monotonic()
    installed = container.run(
        "bash", "/mnt/rollcall/systemd/install.sh", "--offline", "/mnt/bundle", check=False
    )
    timed("install", started)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # A reader on a pty where udev would have named it, then its table and two more tokens in edge.toml.
    helper = root / "usr/local/lib/rollcall-test/pty_reader.py"
    helper.parent.mkdir(parents=True)
    shutil.copy(Path(__file__).with_name("pty_reader.py"), helper)
    (root / "etc/systemd/system/rollcall-test-reader.service").write_text(
        "[Unit]\nDescription=A card reader on a pty (tests/deploy/test_booted.py)\nBefore=rollcall-edge.service\n"
        f"[Service]\nExecStart=/usr/bin/python3 /usr/local/lib/rollcall-test/pty_reader.py {READER_LINK} {TAPS}\n"
    )
    container.run("systemctl", "daemon-reload")
    container.run("systemctl", "start", "rollcall-test-reader.service")
    poll(
        "the pty reader's link",
        lambda: container.run("test", "-e", READER_LINK, check=False).returncode == 0,
        30,
    )

    server_token, admin_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    config = root / "etc/rollcall/edge.toml"
    config.write_text(
        config.read_text()
        + token_entry("server", "school-server", server_token)
        + token_entry("admin", "booted-test", admin_token)
        + '\n[[readers]]\nid = "gate-in"\nprotocol = "ascii"\nformat = "hex"\nrole = "gate-in"\n'
        + f'port = "{READER_LINK}"\n'
    )
    container.run("systemctl", "restart", EDGE)
    booted = Booted(
        container,
        root,
        installed,
        (root / "etc/rollcall/kiosk.token").read_text().strip(),
        server_token,
        admin_token,
    )
    poll("the reader up", lambda: [r["state"] for r in booted.health()["readers"]] == ["up"], 30)
    return booted


def test_the_container_has_no_network_but_loopback(system: Booted) -> None:
    assert system.container.sh("ls /sys/class/net").split() == ["lo"]


def test_the_installer_goes_on_without_udev_and_makes_the_missing_input_group(system: Booted) -> None:
    out, err = system.installed.stdout, system.installed.stderr
    assert "udevadm control --reload failed (is udev running?)" in err
    assert "udevadm trigger failed" in err
    assert "there is no group input here (no udev?): making it" in err
    assert "done. Next: edit /etc/rollcall/edge.toml" in out
    groups = system.container.run("id", "-nG", "rollcall").stdout.split()
    assert {"rollcall", "dialout", "input"} <= set(groups)
    assert system.container.run("stat", "-c", "%a %U:%G", "/etc/rollcall/edge.toml").stdout.split() == [
        "640", "root:rollcall",
    ]  # fmt: skip
    assert system.container.run("stat", "-c", "%a %U:%G", "/etc/rollcall/kiosk.token").stdout.split() == [
        "640", "root:rollcall-kiosk",
    ]  # fmt: skip
    # Only the device's units: a device runs no school server.
    units = system.container.sh("ls /etc/systemd/system/ | grep '^rollcall-.*service$'").split()
    assert units == ["rollcall-displays.service", "rollcall-edge.service", "rollcall-kiosk.service",
                     "rollcall-student-kiosk.service", "rollcall-test-reader.service"]  # fmt: skip


def test_is_it_healthy_as_the_readme_says(system: Booted) -> None:
    c = system.container
    status = c.run("systemctl", "status", "--no-pager", EDGE, check=False).stdout
    assert "Active: active (running)" in status, status
    assert f'Status: "device {HOSTNAME}: 1 readers, API on {API}"' in status, status
    live = json.loads(curl(c, f"{API}/healthz"))
    assert live["status"] == "ok" and live["storage"]["state"] in ("ok", "low")
    health = system.health()
    assert health["device"] == HOSTNAME
    assert isinstance(health["clock"]["trusted"], bool)  # no time service in the container: either
    assert [(r["id"], r["state"]) for r in health["readers"]] == [("gate-in", "up")]
    assert health["disk"]["free_bytes"] > 100_000_000
    checked = c.run("sudo", "-u", "rollcall", "rollcall", "db", "check")
    assert checked.stdout.strip() == "ok", checked.stderr
    assert c.unit(EDGE, "NRestarts") == {"NRestarts": "0"}
    # No cage and foot in this root: the console is installed but not enabled, as the installer said.
    assert c.run("systemctl", "is-enabled", "rollcall-kiosk", check=False).stdout.strip() == "disabled"
    assert "cage or foot is not installed" in system.installed.stdout


def test_a_card_on_the_reader_is_recorded_and_logged(system: Booted) -> None:
    c = system.container
    logged = len(c.run("journalctl", "-u", EDGE, "-o", "cat", "--no-pager").stdout.splitlines())
    system.tap("04A1B2C3")
    taps = poll("the tap in the feed", lambda: [e for e in system.events() if e["kind"] == "tap"], 30)
    assert [(e["reader_id"], e["card_uid"], e["outcome"]) for e in taps] == [
        ("gate-in", "04A1B2C3", "unknown_card")
    ]
    # The README's row: a line for the tap (not one of the access lines the test's own requests make).
    poll(
        "a journal line for the tap",
        lambda: [
            line
            for line in c.run("journalctl", "-u", EDGE, "-o", "cat", "--no-pager").stdout.splitlines()[
                logged:
            ]
            if "aiohttp.access" not in line
        ],
        30,
    )


def test_the_edge_is_restarted_after_sigkill_and_keeps_its_log(system: Booted) -> None:
    c = system.container
    before, epoch = system.main_pid(), system.health()["log"]["epoch"]
    head = system.health()["log"]["head_seq"]
    started = time.monotonic()
    c.sh(f"kill -KILL {before}")  # the shell's kill: minbase has no procps
    shown = poll("the edge back after SIGKILL", lambda: restarted(c, before), 60)
    timed("restart after SIGKILL", started)
    assert (shown["SubState"], shown["NRestarts"]) == ("running", "1")
    after = poll("the API back", lambda: curl_health_or_none(system), 30)
    assert after["log"]["epoch"] == epoch and after["log"]["head_seq"] >= head


def restarted(c: Container, old_pid: int) -> dict[str, str] | None:
    """The unit's state once a new main process is ready (Type=notify: active only after READY=1)."""
    shown = c.unit(EDGE, "MainPID", "ActiveState", "SubState", "NRestarts")
    return shown if shown["MainPID"] not in ("0", str(old_pid)) and shown["ActiveState"] == "active" else None


def curl_health_or_none(system: Booted) -> dict[str, Any] | None:
    try:
        return system.health()
    except (AssertionError, json.JSONDecodeError):
        return None


def test_the_watchdog_restarts_a_wedged_edge(system: Booted) -> None:
    c = system.container
    stopped = system.main_pid()
    started = time.monotonic()
    c.sh(f"kill -STOP {stopped}")  # alive, but its event loop pings no more
    shown = poll("the watchdog's restart after SIGSTOP", lambda: restarted(c, stopped), 150, every=1)
    timed("watchdog restart after SIGSTOP", started)
    assert shown["NRestarts"] == "2"
    journal = c.run("journalctl", "-u", EDGE, "--no-pager").stdout
    assert "Watchdog timeout" in journal, journal[-2000:]
    assert poll("the API back", lambda: curl_health_or_none(system), 30)["readers"][0]["state"] == "up"


def test_the_running_unit_scores_at_most_3_on_systemd_analyze_security(system: Booted) -> None:
    shown = system.container.run("systemd-analyze", "security", "--no-pager", EDGE).stdout
    found = re.search(r"Overall exposure level for rollcall-edge\.service: (\d+\.\d+) (\w+)", shown)
    assert found, shown[-500:]
    SCORES[f"{EDGE} (booted)"] = f"{found.group(1)} {found.group(2)}"
    assert float(found.group(1)) <= MAX_EXPOSURE, shown


INSTALLED = ("etc/rollcall", "etc/systemd/system", "etc/udev/rules.d", "etc/modules-load.d", "usr/local/bin",
             "opt/rollcall", "etc/passwd", "etc/group")  # fmt: skip


def installed_files(root: Path) -> dict[str, tuple[int, int, int, str]]:
    """Each installed file's mode, owner, group and content hash (or link target); bytecode left out."""
    found: dict[str, tuple[int, int, int, str]] = {}
    for top in INSTALLED:
        start = root / top
        for path in [start, *start.rglob("*")] if start.is_dir() else [start]:
            if "__pycache__" in path.parts or path.is_dir() and not path.is_symlink():
                continue
            info = path.lstat()
            content = (
                os.readlink(path) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
            )
            found[str(path.relative_to(root))] = (info.st_mode, info.st_uid, info.st_gid, content)
    return found


def test_a_second_install_changes_nothing(system: Booted) -> None:
    before, epoch = installed_files(system.root), system.health()["log"]["epoch"]
    started = time.monotonic()
    again = system.container.run("bash", "/mnt/rollcall/systemd/install.sh", "--offline", "/mnt/bundle")
    timed("second install", started)
    assert "+ write" not in again.stdout  # no configuration or token made again
    assert "there is no group" not in again.stderr
    after = installed_files(system.root)
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert changed == [], changed
    health = poll("the API back after the install's restart", lambda: curl_health_or_none(system), 30)
    assert health["log"]["epoch"] == epoch


def server_device(system: Booted) -> dict[str, Any] | None:
    try:
        found = json.loads(curl(system.container, f"{SERVER_API}/api/v1/health", system.admin_token))
    except (AssertionError, json.JSONDecodeError):
        return None
    devices: list[dict[str, Any]] = found["devices"]
    return devices[0] if devices else None


def test_a_school_server_beside_it_pulls_the_edge(system: Booted) -> None:
    c = system.container
    started = time.monotonic()
    installed = c.run("bash", "/mnt/rollcall/systemd/install.sh", "--server", "--offline", "/mnt/bundle")
    assert "+ write /etc/rollcall/server.toml" in installed.stdout
    assert "usermod" not in installed.stdout  # a server gets no reader groups
    assert c.run("stat", "-c", "%a %U:%G", "/etc/rollcall/server.toml").stdout.split() == [
        "640",
        "root:rollcall",
    ]
    assert c.run("sudo", "-u", "nobody", "cat", "/etc/rollcall/server.toml", check=False).returncode != 0
    # As written from the example, the server loads and runs, with no device yet.
    poll("the server up", lambda: c.unit(SERVER, "ActiveState")["ActiveState"] == "active", 60)

    config = system.root / "etc/rollcall/server.toml"
    config.write_text(
        '[server]\nid = "school"\ndata_dir = "/var/lib/rollcall-server"\nlisten = "127.0.0.1:8480"\n'
        + token_entry("admin", "booted-test", system.admin_token)
        + f'\n[[devices]]\nid = "{HOSTNAME}"\nurl = "{API}"\ntoken = "{system.server_token}"\n'
    )
    c.run("systemctl", "restart", SERVER)
    edge = system.health()["log"]
    pulled = poll(
        "the server caught up with the edge",
        lambda: (
            d
            if (d := server_device(system)) and d["state"] == "caught_up" and d["after"] == edge["head_seq"]
            else None
        ),
        60,
    )
    assert pulled["epoch"] == edge["epoch"] and pulled["id"] == HOSTNAME
    system.tap("04D4E5F6")  # and what happens next arrives by the long poll
    head = poll(
        "the second tap", lambda: [e["seq"] for e in system.events() if e["card_uid"] == "04D4E5F6"], 30
    )[0]
    poll("the server holding the second tap", lambda: (d := server_device(system)) and d["after"] >= head, 30)
    timed("server install and pull", started)
    assert c.unit(EDGE, "ActiveState") == {
        "ActiveState": "active"
    }  # the server's install left the edge alone


def test_uninstall_removes_the_program_and_keeps_the_data(system: Booted) -> None:
    c = system.container
    head = system.health()["log"]["head_seq"]
    removed = c.run("bash", "/mnt/rollcall/systemd/install.sh", "--uninstall")
    assert (
        "kept: /var/lib/rollcall (a device's event log), /var/lib/rollcall-server (the school server's)"
        in removed.stdout
    )
    for unit in (EDGE, SERVER):
        assert c.run("systemctl", "is-active", unit, check=False).stdout.strip() == "inactive"
    assert c.sh("ls /etc/systemd/system/ | grep '^rollcall-[a-z]*\\.service$' || true").split() == []
    assert (
        not (system.root / "opt/rollcall").exists()
        and not (system.root / "usr/local/bin/rollcall").is_symlink()
    )
    database = system.root / "var/lib/rollcall/rollcall.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone() == (head,)
    assert (system.root / "var/lib/rollcall-server").is_dir()
    assert (system.root / "etc/rollcall/edge.toml").exists() and (
        system.root / "etc/rollcall/server.toml"
    ).exists()
    say("phases: " + ", ".join(f"{k} {v:.0f} s" for k, v in PHASES.items()))
