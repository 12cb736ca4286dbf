"""Provides the school server beside `rollcall demo`: the office's pages with the sample school, to try.

It is `rollcall server demo` in a process of its own (the device's packages may not load the
server's: the layers say so), started before the day plays and stopped after it. What it prints
first, the office's address and a sign-in for each role, is shown to the user; its log goes to a
file beside them. A port in use, or a server that cannot start, is said in one line and the day
plays on without it.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from edge.core.i18n import t

OFFICE_LISTEN = "127.0.0.1:8480"
READY_WITHIN = 30  # seconds for the server to say its address (imports and the sample school)


@contextlib.contextmanager
def office_beside_demo(listen: str, lang: str, out: TextIO) -> Iterator[Path | None]:
    """Runs the school server's demo at `listen` while the block runs; yields its sign-ins file, or None."""
    folder = Path(tempfile.mkdtemp(prefix="rollcall-office-demo-"))
    signins, log = folder / "sign-ins.txt", folder / "server.log"
    command = [sys.executable, "-m", "edge.cli", "--lang", lang, "server", "demo", "--listen", listen,
               "--data", str(folder / "data")]  # fmt: skip
    with signins.open("w") as printed, log.open("w") as logged:
        server = subprocess.Popen(command, stdout=printed, stderr=logged, stdin=subprocess.DEVNULL)
    try:
        shown = _wait_for_signins(server, listen, signins)
        if shown:
            out.write(t("demo.office", lang, signins=signins) + "\n" + shown + "\n")
        else:
            ended = server.poll()  # None: still starting when the wait ran out
            reason = t("demo.office_slow", lang, seconds=READY_WITHIN) if ended is None else _last_line(log, ended)
            out.write(t("demo.office_failed", lang, listen=listen, reason=reason) + "\n")
        out.flush()
        yield signins if shown else None
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def _wait_for_signins(server: subprocess.Popen[bytes], listen: str, signins: Path) -> str:
    """The sign-in lines once the office's sign-in page answers; "" when the server ended instead."""
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{listen}/office/login", timeout=1) as answer:
                if answer.status == 200 and server.poll() is None:
                    return signins.read_text(errors="replace").strip()
        except OSError:  # not listening yet (URLError is one)
            time.sleep(0.2)
    return ""


def _last_line(log: Path, returncode: int) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {returncode}"
