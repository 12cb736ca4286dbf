"""Provides `make screenshots`: the README's pictures of the guard console and the students' screen, from real runs.

    python -m tests.screens.shoot [--out docs/screens] [NAME ...]

Each shot runs the real program in a detached tmux session of a chosen size on a private tmux
server: `rollcall demo` on a fixed day (the sample school, seed 1) from a chosen time, opening
the guard console; or the demo serving its API (`--listen`) with `rollcall kiosk` on it. It
drives the program to the moment the shot is for (keys; a tap through the demo's simulated
readers), waits until the screen says what the shot is meant to show, captures the pane with its
colours (`tmux capture-pane -e -p`) and draws it with `tests/screens/render.py`, wide characters
two cells wide. Needs tmux, fonts-noto-cjk, fonts-dejavu-core and Pillow.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.screens.render import parse, render

REPO = Path(__file__).resolve().parents[2]
ROLLCALL = str(Path(sys.executable).with_name("rollcall"))
DAY = "2026-11-30"  # a Monday with evening study in the sample school
ESCAPES = re.compile(r"\x1b\[[0-9;:]*m")


class Tmux:
    """A private tmux server (its own socket), so nothing of the user's sessions is touched."""

    def __init__(self) -> None:
        self.socket = f"rollcall-shots-{os.getpid()}"
        # Something may have put COLUMNS and LINES in the environment: the program would then draw
        # at that size rather than the window's.
        self.env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        self.env |= {"LANG": "C.UTF-8", "COLORTERM": "truecolor", "TERM": "xterm-256color"}

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-u", "-L", self.socket, *args], capture_output=True, text=True,
                              timeout=20, check=True, env=self.env)  # fmt: skip
        return done.stdout

    def start(self, name: str, size: tuple[int, int], command: list[str]) -> None:
        line = " ".join(_quote(part) for part in command)
        self("new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
             f"env -u COLUMNS -u LINES COLORTERM=truecolor LANG=C.UTF-8 {line}")  # fmt: skip
        self("set-option", "-t", name, "remain-on-exit", "on")

    def capture(self, name: str) -> str:
        return self("capture-pane", "-e", "-p", "-t", name)

    def keys(self, name: str, *keys: str) -> None:
        self("send-keys", "-t", name, *keys)

    def wait_for(self, name: str, done: Callable[[str], bool], what: str, timeout: float = 60.0) -> str:
        """The coloured capture of the first screen whose text satisfies `done`."""
        deadline = time.monotonic() + timeout
        while True:
            captured = self.capture(name)
            if done(ESCAPES.sub("", captured).replace("\u00a0", " ")):
                return captured
            if time.monotonic() > deadline:
                raise SystemExit(f"shoot: timed out waiting for {what}; the screen:\n{ESCAPES.sub('', captured)}")
            time.sleep(0.1)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20, check=False)


def _quote(part: str) -> str:
    return part if re.fullmatch(r"[A-Za-z0-9_./:=@%+-]+", part) else "'" + part.replace("'", "'\\''") + "'"


@dataclass
class Shot:
    name: str
    size: tuple[int, int]
    font: int  # pixel size of the Latin font: a cell is about 0.6 of it wide
    take: Callable[[Tmux, Shot], str]
    notes: list[str] = field(default_factory=list)


def demo(lang: str, start: str, speed: float) -> list[str]:
    return [ROLLCALL, "--lang", lang, "demo", "--date", DAY, "--from", start, "--speed", str(speed)]


def console_board(tmux: Tmux, shot: Shot) -> str:
    tmux.start(shot.name, shot.size, demo("zh", "18:06", 6))
    tmux.wait_for(shot.name, lambda s: "在线" in s, "the console to connect")
    time.sleep(4)  # a few arrivals on the board
    return tmux.wait_for(shot.name, lambda s: "✓" in s, "a tap on the gate screen")


def console_pickup(tmux: Tmux, shot: Shot) -> str:
    tmux.start(shot.name, shot.size, demo("zh", "19:34", 6))
    tmux.wait_for(shot.name, lambda s: "在线" in s, "the console to connect")
    time.sleep(3)
    tmux.keys(shot.name, "F4")
    time.sleep(2)
    tmux.keys(shot.name, "wang")  # a guardian at the desk asks for a child by her surname
    tmux.wait_for(shot.name, lambda s: "王" in s.split("\n", 4)[-1], "the children found")
    tmux.keys(shot.name, "Enter")  # to the list
    time.sleep(0.5)
    tmux.keys(shot.name, "Down", "Enter")  # the second child: her guardians, phones and permission
    time.sleep(2)
    return tmux.capture(shot.name)


def console_alerts(tmux: Tmux, shot: Shot) -> str:
    tmux.start(shot.name, shot.size, demo("en", "18:27", 6))
    tmux.wait_for(shot.name, lambda s: "online" in s.lower(), "the console to connect")
    time.sleep(3)
    tmux.keys(shot.name, "F3")
    time.sleep(3)
    return tmux.capture(shot.name)


@contextmanager
def listening_demo(start: str, speed: float) -> Iterator[dict[str, str]]:
    """`rollcall demo --listen` on a free loopback port: its URL and tokens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="rollcall-shots-"))
    process = subprocess.Popen(
        [ROLLCALL, "demo", "--date", DAY, "--from", start, "--speed", str(speed), "--data", str(folder / "demo"),
         "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        tokens: dict[str, str] = {"url": f"http://127.0.0.1:{port}"}
        for line in process.stdout:
            found = re.fullmatch(r"\s+(\w+)\s+(\S{20,})\s*", line)
            if found:
                tokens[found.group(1)] = found.group(2)
            if {"guard", "sim"} <= tokens.keys():
                break
        _wait_http(tokens["url"] + "/healthz")
        yield tokens
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_http(url: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback, our own demo)
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"shoot: the demo does not answer at {url}")


def sim_tap(tokens: dict[str, str], reader: str, uid: str) -> None:
    request = urllib.request.Request(
        tokens["url"] + "/api/v1/sim/taps", data=json.dumps({"reader_id": reader, "uid": uid}).encode(),
        headers={"Authorization": f"Bearer {tokens['sim']}", "Content-Type": "application/json"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def kiosk(tmux: Tmux, shot: Shot, tokens: dict[str, str]) -> None:
    tmux.start(shot.name, shot.size, [ROLLCALL, "kiosk", "--url", tokens["url"], "--token", tokens["guard"],
                                      "--reader", "gate-in", "--hold", "30"])  # fmt: skip
    tmux.wait_for(shot.name, lambda s: "请刷卡" in s, "the kiosk to connect")


def kiosk_ok(tmux: Tmux, shot: Shot) -> str:
    with listening_demo("17:58", 2) as tokens:
        kiosk(tmux, shot, tokens)
        return tmux.wait_for(shot.name, lambda s: "欢迎到校" in s, "a child at the gate", timeout=120)


def kiosk_refused(tmux: Tmux, shot: Shot) -> str:
    from edge.cli.sample import sample_school
    from edge.core.model import CardStatus

    lost = next(c for c in sample_school(1).cards.values() if c.status is CardStatus.LOST)
    with listening_demo("18:40", 1) as tokens:  # study has begun: the gate is quiet
        kiosk(tmux, shot, tokens)
        sim_tap(tokens, "gate-in", lost.uid)
        return tmux.wait_for(shot.name, lambda s: "此卡已挂失" in s, "the lost card")


def kiosk_burst(tmux: Tmux, shot: Shot) -> str:
    """A refused child, then the next child at once: the latest on the panel, the refusal kept below it."""
    from edge.cli.sample import sample_school
    from edge.core.model import CardKind, CardStatus

    school = sample_school(1)
    lost = next(c for c in school.cards.values() if c.status is CardStatus.LOST)
    other = next(c for c in school.cards.values()
                 if c.status is CardStatus.ACTIVE and c.kind is CardKind.STUDENT and c.holder_id != lost.holder_id)  # fmt: skip
    with listening_demo("18:40", 1) as tokens:
        kiosk(tmux, shot, tokens)
        sim_tap(tokens, "gate-in", lost.uid)
        tmux.wait_for(shot.name, lambda s: "此卡已挂失" in s, "the lost card")
        sim_tap(tokens, "gate-in", other.uid)
        return tmux.wait_for(shot.name, lambda s: "也请到门卫室" in s, "the refusal strip")


SHOTS = {
    s.name: s
    for s in (
        Shot("console-board-zh", (100, 30), 16, console_board),
        Shot("console-pickup-zh", (100, 30), 16, console_pickup),
        Shot("console-alerts-en", (100, 30), 16, console_alerts),
        Shot("kiosk-ok-zh", (50, 20), 26, kiosk_ok),
        Shot("kiosk-refused-zh", (50, 20), 26, kiosk_refused),
        Shot("kiosk-burst-zh", (50, 20), 26, kiosk_burst),
    )
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.screens.shoot")
    parser.add_argument("names", nargs="*", choices=[*SHOTS, []], metavar="NAME", help=", ".join(SHOTS))
    parser.add_argument("--out", type=Path, default=REPO / "docs/screens")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("shoot: tmux is not installed (apt-get install tmux)")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(SHOTS):
        shot, tmux = SHOTS[name], Tmux()
        try:
            captured = shot.take(tmux, shot)
        finally:
            tmux.kill()
        rows = parse(captured.rstrip("\n"), shot.size[0])[: shot.size[1]]
        size = render(rows, args.out / f"{name}.png", shot.font)
        print(f"{args.out / name}.png: {shot.size[0]}x{shot.size[1]} cells, {size[0]}x{size[1]} px", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
