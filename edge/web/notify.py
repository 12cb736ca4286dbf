"""Provides systemd's readiness and watchdog protocol (sd_notify) without libsystemd: `ready`, `watchdog`, ...

Each message is one AF_UNIX datagram to `$NOTIFY_SOCKET` (a path, or an abstract name written with
a leading `@`). With `Type=notify` systemd waits for `READY=1`; with `WatchdogSec=` it sets
`WATCHDOG_USEC` and restarts the service when no `WATCHDOG=1` arrives in time. `watchdog_loop`
pings from the asyncio event loop itself, so a wedged loop (a blocking call, a deadlock) stops the
pings and systemd restarts the device.

Everything is a no-op when `NOTIFY_SOCKET` is unset (a terminal, the tests, the demo). A failed
send is logged, never raised: the device must not stop because systemd went away.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger("rollcall.notify")


def _address(environ: Mapping[str, str]) -> str | None:
    path = environ.get("NOTIFY_SOCKET", "")
    if not path or not (path.startswith("/") or path.startswith("@")):
        return None  # unset, or a vsock address (vsock:CID:PORT), which a Pi never gets
    return "\0" + path[1:] if path.startswith("@") else path


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send `message` (`KEY=value` lines); False when there is no socket or the send failed."""
    address = _address(os.environ if environ is None else environ)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as error:
        log.warning("sd_notify failed: %s: %s", message.split("\n", 1)[0], error)
        return False
    return True


def ready(status: str = "") -> bool:
    """READY=1: the device's store and readers are up and its API answers."""
    return notify("READY=1" + (f"\nSTATUS={_line(status)}" if status else ""))


def watchdog() -> bool:
    return notify("WATCHDOG=1")


def stopping(status: str = "") -> bool:
    """STOPPING=1: shutting down on purpose (systemd then waits up to TimeoutStopSec)."""
    return notify("STOPPING=1" + (f"\nSTATUS={_line(status)}" if status else ""))


def status(text: str) -> bool:
    """A one-line status that `systemctl status` shows."""
    return notify(f"STATUS={_line(text)}")


def _line(text: str) -> str:
    return " ".join(text.split())


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings (a third of WATCHDOG_USEC), or None when no watchdog is asked for this process.

    Like sd_watchdog_enabled(3): WATCHDOG_PID, when set, must be this process (a child that
    inherited the environment does not ping for its parent).
    """
    env = os.environ if environ is None else environ
    if _address(env) is None:
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
        pid = int(env.get("WATCHDOG_PID", str(os.getpid())))
    except ValueError:
        return None
    if usec <= 0 or pid != os.getpid():
        return None
    return usec / 3 / 1_000_000


async def watchdog_loop(interval: float | None = None) -> None:
    """Ping WATCHDOG=1 every `interval` s (default: WATCHDOG_USEC / 3) until cancelled; returns at once without one.

    It runs as a task on the device's own event loop: if the loop stops turning, the pings stop.
    """
    interval = watchdog_interval() if interval is None else interval
    if interval is None:
        return
    log.info("systemd watchdog: pinging every %.1f s", interval)
    while True:
        watchdog()
        await asyncio.sleep(interval)
