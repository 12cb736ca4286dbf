"""`rollcall kiosk` in a real terminal (tmux), as the display runs it: offline it says so, and nothing else lands on it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it: .ci/run)")

ROLLCALL = str(Path(sys.executable).with_name("rollcall"))


def test_offline_the_screen_says_connection_lost_and_no_log_line_is_drawn_over_it(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tmux = ["tmux", "-u", "-L", f"rollcall-kiosk-test-{os.getpid()}"]
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")} | {"LANG": "C.UTF-8"}
    command = f"env -u COLUMNS -u LINES {ROLLCALL} kiosk --url http://127.0.0.1:{port} --token x; sleep 60"
    subprocess.run([*tmux, "new-session", "-d", "-x", "50", "-y", "16", command], env=env, check=True, timeout=10)
    try:
        deadline, screen = time.monotonic() + 20, ""
        while time.monotonic() < deadline:
            screen = subprocess.run([*tmux, "capture-pane", "-p"], env=env, capture_output=True, text=True,
                                    check=True, timeout=10).stdout  # fmt: skip
            if "连接中断" in screen:
                break
            time.sleep(0.1)
        assert "连接中断" in screen and "正在重新连接" in screen, screen
        time.sleep(2.5)  # a few more failed attempts, each of them logged
        screen = subprocess.run([*tmux, "capture-pane", "-p"], env=env, capture_output=True, text=True,
                                check=True, timeout=10).stdout  # fmt: skip
        assert "INFO" not in screen and "rollcall.tui" not in screen and "unreachable" not in screen, screen
        assert "自 " in screen.splitlines()[-1] + screen  # the status line: offline since when
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, capture_output=True, timeout=10, check=False)
