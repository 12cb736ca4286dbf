"""Provides `serve(app, listen)`: run the API on an address until SIGTERM/SIGINT or the service fails.

aiohttp's `AppRunner`/`TCPSite` rather than `web.run_app`, so the demo can serve beside its
script and print the address it got (port 0 picks a free one). Access is logged one structured
line per request without the query string: it can hold a token (`/live?token=`) or a name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from edge.web import notify
from edge.web.keys import FAILURES, HALT, STOPPING
from edge.web.live import LIVE
from edge.web.settings import split_listen

log = logging.getLogger("rollcall.api")

# s a request may still take after SIGTERM; long-polls and live clients are released at once,
# so this only bounds a slow report export. systemd's default stop timeout is 90 s.
SHUTDOWN_TIMEOUT = 10.0


class AccessLog(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "access remote=%s method=%s path=%s status=%d ms=%.1f",
            request.remote, request.method, request.path, response.status, time * 1000,
        )  # fmt: skip


async def serve(app: web.Application, listen: str, on_ready: Callable[[str], None] | None = None) -> int:
    """Serve until asked to stop; 0 on a clean stop, 1 when a background task failed."""
    host, port = split_listen(listen)
    runner = web.AppRunner(
        app, access_log_class=AccessLog, shutdown_timeout=SHUTDOWN_TIMEOUT, handle_signals=False
    )
    await runner.setup()
    halt = app[HALT]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, halt.set)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        address = _address(runner) or listen
        log.info("api listening on http://%s", address)
        if on_ready is not None:
            on_ready(address)
        await halt.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
    return 1 if app[FAILURES] else 0


async def serve_under_systemd(app: web.Application, listen: str, name: str) -> int:
    """`serve`, telling systemd READY once the API answers, STOPPING first on shutdown, and WATCHDOG meanwhile.

    The pings come from this loop itself, for the whole life of the process: a wedged loop stops them.
    `name` says what is running in systemd's status line ("device gate-1: 3 readers").
    """

    async def stopping(app: web.Application) -> None:
        notify.stopping(f"{name.split(':')[0]} stopping")

    def ready(address: str) -> None:
        notify.ready(f"{name}, API on http://{address}")

    app.on_shutdown.insert(0, stopping)
    pinger = asyncio.create_task(notify.watchdog_loop(), name="systemd-watchdog")
    try:
        return await serve(app, listen, on_ready=ready)
    finally:
        pinger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pinger


def _address(runner: web.AppRunner) -> str | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            host = str(address[0])
            return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return None


async def on_shutdown(app: web.Application) -> None:
    app[STOPPING].set()
    await app[LIVE].close_all()


def background(
    app: web.Application, name: str, work: Callable[[], Coroutine[Any, Any, None]]
) -> asyncio.Task[None]:
    """A task owned by its context; if it dies, the reason is logged and the process asked to end."""

    def ended(task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.error("%s_failed: the process stops", name, exc_info=error)
            app[FAILURES].append(error)
            app[HALT].set()

    task = asyncio.create_task(work(), name=name)
    task.add_done_callback(ended)
    return task


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):  # a failure was logged when it happened
        await task
