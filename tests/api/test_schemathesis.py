"""schemathesis against the OpenAPI document, on a live loopback server: no 5xx, documented answers only.

The server runs in a thread with its own event loop (schemathesis calls it synchronously), as
admin so every route is reachable, with long-polls cut to 0.2 s. Examples are bounded per route
(`MAX_EXAMPLES`) to keep the suite fast; `ST_MAX_EXAMPLES=200 pytest tests/api/test_schemathesis.py`
runs a deeper pass.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from edge.api import create_app
from edge.cli.run import build_service
from edge.core.codec import school_to_datasets
from edge.web.auth import AUTH, Authenticator
from tests.api.conftest import OPTIONS, TOKENS, config_for, school

MAX_EXAMPLES = int(os.environ.get("ST_MAX_EXAMPLES", "20"))
SEED = os.environ.get("ST_SEED", "1")  # fixed, so CI is repeatable; ST_SEED=$RANDOM explores further
# Every check but positive_data_acceptance, which expects any schema-valid body to be accepted: the
# device also refuses what no schema can say (a sha256 that does not match the rows, an unknown
# student id), with a 422 that is documented. not_a_server_error and status_code_conformance are
# the ones the issue asks for; the others (content types, response schemas, 405s, ignored auth,
# negative data rejected) come free.
CHECKS = "all"
EXCLUDED = "positive_data_acceptance"


async def _no_wait(seconds: float) -> None:
    return None


class ServerThread(threading.Thread):
    """The device's API on 127.0.0.1 (a free port), in its own thread and loop, until `stop()`."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(name="api-under-test", daemon=True)
        self.data_dir = data_dir
        self.ready = threading.Event()
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._halt: asyncio.Event | None = None

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop, self._halt = asyncio.get_running_loop(), asyncio.Event()
        config = config_for(self.data_dir)
        service = build_service(config)
        app = create_app(config, service, replace(OPTIONS, max_wait=0.2))
        # schemathesis sends wrong tokens on purpose (ignored_auth); held-back answers would only slow it.
        app[AUTH] = Authenticator(config.tokens, sleep=_no_wait)
        runner = web.AppRunner(app)
        await runner.setup()
        await service.recorder.install_datasets(school_to_datasets(school()), version=1)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self.ready.set()
        await self._halt.wait()
        await runner.cleanup()

    def stop(self) -> None:
        if self._loop is not None and self._halt is not None:
            self._loop.call_soon_threadsafe(self._halt.set)
        self.join(timeout=10)


@pytest.fixture(scope="module")
def live_server() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="rollcall-st-") as folder:
        server = ServerThread(Path(folder))
        server.start()
        assert server.ready.wait(timeout=30), "the API did not start"
        yield server.url
        server.stop()


def test_the_api_honours_its_document(live_server: str, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{live_server}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {TOKENS['admin']}",
        "--checks", CHECKS, "--exclude-checks", EXCLUDED, "--max-examples", str(MAX_EXAMPLES), "--seed", SEED,
        "--generation-database", "none", "--no-color", "--workers", "1",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
