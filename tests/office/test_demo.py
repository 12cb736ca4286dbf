"""`rollcall server demo`: the sample school's server with the office's pages, an account for each role, and
applications in every state."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from edge.cli.sample import sample_school
from sync.office.applications import STATES
from sync.office.demo import seed
from sync.store import ServerStore
from tests.sync.conftest import EVENING, TZ


def test_seed_makes_every_state_and_every_role(tmp_path: Path) -> None:
    store = ServerStore.open(tmp_path / "s.sqlite3", TZ)
    try:
        made = seed(store.db, sample_school(1), EVENING)
        found = {state for (state,) in store.db.execute("SELECT DISTINCT state FROM office_applications")}
    finally:
        store.close()
    assert found == set(STATES)
    assert {role for role, _, _ in made} == {
        "office",
        "homeroom",
        "duty_leader",
        "duty_teacher",
        "guard",
        "admin",
    }


async def test_the_demo_serves_the_office_and_prints_a_sign_in_for_each_role(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edge.cli", "server", "demo", "--listen", f"127.0.0.1:{port}", "--data", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert first.startswith(f"office: http://127.0.0.1:{port}/office/")
        lines = [(await asyncio.wait_for(process.stdout.readline(), 10)).decode() for _ in range(3)]
        office = next(line.split() for line in lines if line.split()[0] == "office")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            for _ in range(200):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/office/login") as answer:
                        page = await answer.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            form = {
                "csrf": csrf,
                "username": office[1],
                "password": office[2],
                "next": "/office/applications",
            }
            async with http.post(f"http://127.0.0.1:{port}/office/login", data=form) as answer:
                body = await answer.text()
        assert answer.status == 200 and "已退回" in body and "已统筹安排" in body
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 20)
