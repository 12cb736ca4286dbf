"""`rollcall tui` in a real terminal (tmux): it reads in Chinese, and a guard's keys release a child at the pickup desk.

A simulated edge runs in its own process (`tests/tui/edge_server.py`); the console runs as the
guards start it, `rollcall tui --url ... --token-file ...`, inside a detached 100×30 tmux session
on a private tmux server. The test reads the screen with `capture-pane` and types with
`send-keys`, then asks the device itself whether the child has left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from edge.core.pinyin import syllables
from tests.api.conftest import school
from tests.tui.edge_server import TZ, evening_plan, evening_students

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it: .ci/run)")

AT = "2026-11-30T19:35:00+08:00"  # after evening study: parents are at the gate
REPO = Path(__file__).resolve().parents[2]


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        # The process environment as os.environ has it: something in the test process puts
        # COLUMNS=80 and LINES=24 into the C-level environment, which the tmux server would hand
        # on to the console (and Textual would then draw 80×24 in a 100×30 window).
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        done = subprocess.run(["tmux", "-u", "-L", self.socket, *args], capture_output=True, text=True, timeout=10,
                              check=True, env=env)  # fmt: skip
        return done.stdout

    def screen(self) -> str:
        # The counts keep a label and its number together with a no-break space: read it as a space.
        return self("capture-pane", "-p", "-t", "console").replace("\u00a0", " ")

    def wait_for(self, done: Callable[[str], bool], what: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if done(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{text}")
            time.sleep(0.1)


@contextmanager
def edge_process(folder: Path, at: str) -> Iterator[dict[str, Any]]:
    """A simulated edge in its own process at `at`, twelve children arrived: its URL and tokens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.tui.edge_server", str(folder), "--at", at, "--arrive", "12"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        info: dict[str, Any] = json.loads(process.stdout.readline())
        yield info
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def tmux_server(name: str) -> Iterator[Tmux]:
    """A tmux server of this test's own, killed after it."""
    terminal = Tmux(f"{name}-{os.getpid()}")
    yield terminal
    subprocess.run(["tmux", "-L", terminal.socket, "kill-server"], capture_output=True, check=False, timeout=10)


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with edge_process(tmp_path / "edge", AT) as info:
        yield info


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    with tmux_server("rollcall-test") as terminal:
        yield terminal


def get(edge: dict[str, Any], path: str) -> Any:
    request = urllib.request.Request(edge["url"] + path, headers={"Authorization": f"Bearer {edge['guard']}"})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (a loopback URL the test made)
        return json.loads(response.read())


def test_a_guard_reads_the_chinese_screen_and_releases_a_child(edge: dict[str, Any], tmux: Tmux, tmp_path: Path) -> None:
    plan = evening_plan(datetime.fromisoformat(AT).astimezone(TZ))
    arrived = evening_students(plan)[:12]
    pinyin = {sid: "".join(syllables(s.name)) for sid, s in school().students.items()}
    child = next(s for s in arrived if list(pinyin.values()).count(pinyin[s]) == 1)  # a name only one child has
    guardians = school().guardians_of(child)
    guardian = next(g for g in guardians if g.may_pick_up)
    token = tmp_path / "kiosk.token"
    token.write_text(edge["guard"] + "\n", encoding="utf-8")
    rollcall = Path(sys.executable).parent / "rollcall"
    command = f"{rollcall} tui --url {edge['url']} --token-file {token}"
    tmux("new-session", "-d", "-s", "console", "-x", "100", "-y", "30", "-e", "LANG=C.UTF-8", command)

    gate = tmux.wait_for(lambda s: "● 在线" in s and "实到 12" in s, "the console to come online")
    assert "点名 · 门口" in gate and "设备时间 19:35" in gate and "F4 接送" in gate and "晚自习 18:15–19:30" in gate
    assert "等待中 12" in gate, gate  # everyone who came is still waiting at 19:35

    tmux("send-keys", "-t", "console", "F4")
    tmux.wait_for(lambda s: "点名 · 接送" in s, "the pickup desk")
    tmux("send-keys", "-t", "console", "-l", pinyin[child])
    name = school().students[child].name
    tmux.wait_for(lambda s: s.count(name) >= 1 and school().students[child].class_name in s, "the search result")
    tmux("send-keys", "-t", "console", "Enter")  # one child found: their guardians
    desk = tmux.wait_for(lambda s: "可以接送" in s, "the guardians")
    assert guardian.name in desk and guardian.phone in desk
    for _ in range([g.id for g in guardians].index(guardian.id)):
        tmux("send-keys", "-t", "console", "Down")
    tmux.wait_for(lambda s: f"回车:把 {name} 交给 {guardian.name}" in s, "the guardian highlighted")
    tmux("send-keys", "-t", "console", "Enter")
    tmux.wait_for(lambda s: f"把 {name} 交给 {guardian.name}" in s and "确认放行" in s, "the confirmation")
    tmux("send-keys", "-t", "console", "Enter")

    session = next(s for s in plan.sessions_of[child] if s.service_id == "evening")
    deadline = time.monotonic() + 10
    while child not in [line["id"] for line in get(edge, f"/api/v1/sessions/{session.id}/report")["picked_up"]]:
        assert time.monotonic() < deadline, tmux.screen()
        time.sleep(0.1)
    tmux("send-keys", "-t", "console", "F1")
    done = tmux.wait_for(lambda s: "点名 · 门口" in s and "已接走 1" in s, "the release on the gate screen")
    assert "等待中 11" in done and "✓ 家长接走" in done and f"{guardian.name} → {name}" in done, done
