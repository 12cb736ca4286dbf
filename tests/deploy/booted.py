"""A Debian 12 booted with systemd as PID 1 in systemd-nspawn, for tests/deploy/test_booted.py.

`debian_root()` debootstraps a minimal bookworm once and keeps it under /var/cache/rollcall-ci/
(a cache CI may or may not keep: without it the root is built again, about a minute). Each run
boots a throwaway overlay of it (`Container`), so the cached root stays pristine. What worked on
the CI machine, which has no systemd of its own: `systemd-nspawn -D ROOT -b --register=no
--keep-unit --console=pipe`, commands inside with `nsenter -t PID -a` on the container's init.
The container gets no network but its loopback (`--private-network`): it installs from the bundle.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

SUITE = "bookworm"
# Enough to boot and to run what the README's "Is it healthy?" asks (curl, sudo); udev and kmod as
# on a Pi, though udevd cannot run in the container (read-only /sys).
PACKAGES = ("systemd", "systemd-sysv", "dbus", "sudo", "python3", "python3-venv", "udev", "kmod", "curl")
CACHE = Path(os.environ.get("ROLLCALL_CI_CACHE", "/var/cache/rollcall-ci"))
INSIDE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
T = TypeVar("T")


class CannotBoot(Exception):
    """systemd-nspawn could not boot the root here (the test skips with this reason)."""


def poll(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.25) -> T:
    """`check()`'s first truthy answer; AssertionError naming `what` when none comes within `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


def missing_tools() -> str | None:
    if os.geteuid() != 0:
        return "needs root (debootstrap, mounts, systemd-nspawn)"
    wanted = {"debootstrap": "debootstrap", "systemd-nspawn": "systemd-container", "nsenter": "util-linux"}
    absent = [package for tool, package in wanted.items() if shutil.which(tool) is None]
    return f"apt-get install -y {' '.join(absent)} (.ci/run does)" if absent else None


def debian_mirror() -> str:
    """The mirror this machine's own apt uses (CI reaches only that one), else deb.debian.org."""
    if os.environ.get("ROLLCALL_DEBIAN_MIRROR"):
        return os.environ["ROLLCALL_DEBIAN_MIRROR"]
    sources = Path("/etc/apt/sources.list.d")
    for path in sorted(sources.glob("*.sources")) if sources.is_dir() else []:
        for stanza in path.read_text(errors="replace").split("\n\n"):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.+)$", stanza, re.MULTILINE))
            if SUITE in fields.get("Suites", "").split() and "URIs" in fields:
                return str(fields["URIs"]).split()[0]
    listing = Path("/etc/apt/sources.list")
    if listing.exists():
        found = re.search(rf"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", listing.read_text(), re.MULTILINE)
        if found:
            return found.group(1)
    return "http://deb.debian.org/debian"


def debian_root(log: Callable[[str], None]) -> Path:
    """A pristine minimal bookworm root: from the cache, or debootstrapped now (and cached where possible)."""
    key = hashlib.sha256(" ".join((SUITE, *PACKAGES)).encode()).hexdigest()[:12]
    cached = CACHE / f"{SUITE}-{key}"
    if (cached / ".complete").exists():
        log(f"debian root: cached {cached}")
        return cached
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f"{cached.name}.", dir=CACHE))
    except OSError:
        building = Path(tempfile.mkdtemp(prefix="rollcall-debian."))
    building.chmod(0o755)  # it becomes the container's /: mkdtemp made it 0700
    started = time.monotonic()
    mirror = debian_mirror()
    result = subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(building), mirror],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
        raise AssertionError(f"debootstrap {SUITE} from {mirror} failed: {' / '.join(tail)}")
    (building / ".complete").write_text(f"{SUITE} {' '.join(PACKAGES)} from {mirror}\n")
    log(f"debian root: debootstrapped from {mirror} in {time.monotonic() - started:.0f} s")
    if building.parent != CACHE:
        return building
    try:
        building.rename(cached)  # atomic: a run beside this one sees a whole root or none
    except OSError:  # another run cached one meanwhile
        shutil.rmtree(building, ignore_errors=True)
    return cached


@contextlib.contextmanager
def writable_copy(root: Path, scratch: Path) -> Iterator[Path]:
    """An overlay of `root` (its changes in `scratch`), or a full copy where overlayfs is refused."""
    upper, work, merged = scratch / "upper", scratch / "work", scratch / "merged"
    for folder in (upper, work, merged):
        folder.mkdir(parents=True)
    options = f"lowerdir={root},upperdir={upper},workdir={work}"
    mounted = subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o", options, str(merged)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        subprocess.run(["cp", "-a", "--reflink=auto", f"{root}/.", str(merged)], check=True)
    try:
        yield merged
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "--lazy", str(merged)], check=False)


class Container:
    """One booted container: `run` executes a command inside with the container's namespaces."""

    def __init__(self, root: Path, log: Path, *, name: str, binds: dict[Path, str]) -> None:
        self.root, self.log_path, self.name, self.binds = root, log, name, binds
        self.process: subprocess.Popen[bytes] | None = None
        self.pid = 0  # the container's PID 1, as the host sees it

    def boot(self, timeout: float = 120) -> None:
        command = [
            "systemd-nspawn", "-D", str(self.root), "-b", "--register=no", "--keep-unit", "--console=pipe",
            "--private-network", f"--machine={self.name}",
            *(f"--bind-ro={host}:{inside}" for host, inside in self.binds.items()),
        ]  # fmt: skip
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        self.pid = poll("the container's init", self._init_pid, timeout=30, every=0.1)
        # Until systemd has set itself up, systemctl finds no bus to ask: ask again.
        waited = poll("systemd answering in the container", self._boot_state, timeout, every=0.2)
        state = self.run("systemctl", "is-system-running", "--wait", check=False,
                         timeout=max(1.0, deadline - time.monotonic())).stdout.strip()  # fmt: skip
        if state not in ("running", "degraded"):
            raise CannotBoot(f"systemd in the container says {state!r} (first {waited!r}): {self.log_tail()}")

    def _boot_state(self) -> str | None:
        self._init_pid()  # raises when nspawn has gone
        answer = self.run("systemctl", "is-system-running", check=False, timeout=30)
        return answer.stdout.strip() or None

    def _init_pid(self) -> int | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise CannotBoot(f"systemd-nspawn exited with {self.process.returncode}: {self.log_tail()}")
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            for pid in children.read_text().split():
                if Path(f"/proc/{pid}/comm").read_text().strip() == "systemd":
                    return int(pid)
        return None

    def log_tail(self, lines: int = 5) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return " / ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "(no output)"

    def run(
        self, *argv: str, check: bool = True, timeout: float = 120, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`argv` inside, with a clean environment (none of the host's PIP_*, PYTHON* or paths)."""
        command = ["nsenter", "-t", str(self.pid), "-a", "--", "env", "-i", f"PATH={INSIDE_PATH}",
                   "LANG=C.UTF-8", "HOME=/root", "TERM=dumb", *argv]  # fmt: skip
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, input=input, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"inside: {shlex.join(argv)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
            )
        return result

    def sh(self, script: str, *, check: bool = True, timeout: float = 120) -> str:
        return self.run("sh", "-c", script, check=check, timeout=timeout).stdout

    def unit(self, name: str, *properties: str) -> dict[str, str]:
        shown = self.run("systemctl", "show", name, *(f"--property={p}" for p in properties)).stdout
        return dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)

    def poweroff(self, timeout: float = 60) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if (
            not self.pid
            or self.run("systemctl", "poweroff", "--no-block", check=False, timeout=30).returncode
        ):
            self.process.terminate()  # nspawn asks the container's systemd to shut down
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the nspawn this object started, and its session
            self.process.wait(10)


def curl(container: Container, url: str, token: str | None = None, *extra: str) -> str:
    """What the README's curl row prints (inside: the container's loopback is its own)."""
    headers: Sequence[str] = ("-H", f"Authorization: Bearer {token}") if token else ()
    return container.run("curl", "-sS", "--max-time", "30", *headers, *extra, url).stdout
