"""sd_notify: the edge tells systemd it is ready, pings the watchdog from its event loop, and says it is stopping.

End to end against a datagram socket the test owns (NOTIFY_SOCKET), with WATCHDOG_USEC=300000:
pings every 0.1 s. Waiting is only ever for a datagram, with a timeout.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from edge.web import notify
from tests.deploy.support import Notifications, api_address, http, start_edge, stop

WATCHDOG_USEC = 300_000  # the edge pings every third of it: 0.1 s
INTERVAL = WATCHDOG_USEC / 3 / 1e6


def test_ready_after_startup_then_pings_that_stop_while_the_process_is_stopped(
    tmp_path: Path, notifications: Notifications
) -> None:
    process, log = start_edge(tmp_path, notifications, watchdog_usec=WATCHDOG_USEC)
    try:
        before_ready = notifications.until("READY=1", timeout=30)
        ready = before_ready[-1]
        # READY comes once the store and readers are up and the API answers: its log says so first,
        # and /healthz answers at once.
        assert "api listening on" in log.read_text(), log.read_text()
        address = api_address(ready)
        code, live = http(f"{address}/healthz")
        assert code == 200 and live["status"] == "ok" and live["storage"]["state"] in ("ok", "low")
        assert ready.startswith("READY=1\nSTATUS=device deploy-test: 1 readers")

        pings = [m for m in notifications.during(10 * INTERVAL) if m == "WATCHDOG=1"]
        assert len(pings) >= 4, pings  # about 10 in that second

        # SIGSTOP freezes the event loop as a wedged one would be: no pings while it is stopped.
        process.send_signal(signal.SIGSTOP)
        os.waitpid(process.pid, os.WUNTRACED)  # returns once the process has stopped
        notifications.drain()  # pings sent before it stopped
        assert notifications.during(8 * INTERVAL) == []

        process.send_signal(signal.SIGCONT)
        os.waitpid(process.pid, os.WCONTINUED)
        assert notifications.until("WATCHDOG=1", timeout=5)

        process.send_signal(signal.SIGTERM)
        stopping = notifications.until("STOPPING=1", timeout=15)
        assert stopping[-1].startswith("STOPPING=1")
        assert process.wait(15) == 0
    finally:
        stop(process)


def test_without_a_watchdog_only_ready_and_stopping_are_sent(
    tmp_path: Path, notifications: Notifications
) -> None:
    process, _ = start_edge(tmp_path, notifications)
    try:
        got = notifications.until("READY=1", timeout=30)
        assert not any("WATCHDOG=1" in m for m in got)
        process.send_signal(signal.SIGTERM)
        got = notifications.until("STOPPING=1", timeout=15)
        assert not any("WATCHDOG=1" in m for m in got)
        assert process.wait(15) == 0
    finally:
        stop(process)


# -- the module on its own ----------------------------------------------------------------------


async def test_the_pings_come_from_the_event_loop_so_a_wedged_loop_sends_none(
    notifications: Notifications, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(notifications.path))
    monkeypatch.setenv("WATCHDOG_USEC", "150000")  # a ping every 0.05 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    pinger = asyncio.create_task(notify.watchdog_loop())
    try:
        await asyncio.sleep(0.2)
        assert "WATCHDOG=1" in notifications.drain()
        time.sleep(0.5)  # noqa: ASYNC251 (the point: a blocking call wedges the loop for ten intervals)
        assert notifications.drain() == []
        await asyncio.sleep(0.1)  # the loop turns again, and so do the pings
        assert "WATCHDOG=1" in notifications.drain()
    finally:
        pinger.cancel()


def test_nothing_is_sent_without_notify_socket() -> None:
    assert notify.notify("READY=1", environ={}) is False
    assert notify.watchdog_interval({"WATCHDOG_USEC": "30000000"}) is None


def test_a_path_socket(notifications: Notifications) -> None:
    env = {"NOTIFY_SOCKET": str(notifications.path)}
    assert notify.notify("STATUS=hello\nREADY=1", environ=env)
    assert notifications.receive(1) == "STATUS=hello\nREADY=1"


def test_an_abstract_socket_named_with_at() -> None:
    name = f"rollcall-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind("\0" + name)
        receiver.settimeout(1)
        assert notify.notify("WATCHDOG=1", environ={"NOTIFY_SOCKET": "@" + name})
        assert receiver.recv(100) == b"WATCHDOG=1"


def test_a_vanished_socket_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert notify.notify("WATCHDOG=1", environ={"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}) is False
    assert "sd_notify failed" in caplog.text


def test_watchdog_interval_is_a_third_of_watchdog_usec_for_this_process_only() -> None:
    env = {"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000"}
    assert notify.watchdog_interval(env) == 10.0
    assert notify.watchdog_interval({**env, "WATCHDOG_PID": str(os.getpid())}) == 10.0
    assert notify.watchdog_interval({**env, "WATCHDOG_PID": "1"}) is None  # set for another process
    assert notify.watchdog_interval({**env, "WATCHDOG_USEC": "0"}) is None
    assert notify.watchdog_interval({**env, "WATCHDOG_USEC": "soon"}) is None


def test_status_lines_are_one_line() -> None:
    assert notify._line("device gate-1\n3 readers") == "device gate-1 3 readers"
