"""Fixtures for the office's pages: the real school server (its app, store and view) with the sample school,
an account for each role, and a browser-like client that keeps its cookies and reads each form's CSRF token.

A module marked `pytest.mark.usefixtures("backend")` runs each test on SQLite and on PostgreSQL
(`tests.sync.conftest.backend`): the `office` fixture's store is the one `server_config` names."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from edge.core.codec import school_to_datasets
from hardware.clock import SimClock
from sync import datasets
from sync.app import ServerOptions, create_app
from sync.office import accounts
from sync.office.accounts import User
from sync.server import SchoolServer
from sync.store import ServerStore
from tests.api.conftest import school
from tests.sync.conftest import EVENING, TZ, backend, server_config

PASSWORD = "correct horse battery"
CLASS_A, CLASS_B = "一年级1班", "一年级2班"
USERS = (
    User("office1", "教务 王老师", "office"),
    User("teacher1a", school().students["s0001"].homeroom_teacher, "homeroom", class_name=CLASS_A),
    User("teacher1b", "何老师", "homeroom", class_name=CLASS_B),
    User("leader", "沈薇倩", "duty_leader", staff_id="t05"),
    User("duty301", "胡娜静", "duty_teacher", room_id="r301", staff_id="t01"),
    User("guard1", "王梓若", "guard", staff_id="t07"),
    User("admin", "管理员", "admin"),
)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


__all__ = ["backend"]  # the fixture, for this folder's modules


def seed_store(path: Path | str, users: tuple[User, ...] = USERS) -> None:
    """The sample school's datasets and an account for each role, written as `rollcall server` would."""
    store = ServerStore.open(path, TZ)
    try:
        datasets.add_versions(store.db, school_to_datasets(school()), "sample", EVENING)
        for user in users:
            accounts.add_user(store.db, user, PASSWORD, EVENING)
    finally:
        store.close()


class Browser:
    """A client that keeps cookies like a browser and fills in each form's CSRF token from the page."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.csrf = ""

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str]:
        response = await self.client.get(path, allow_redirects=kwargs.pop("allow_redirects", True), **kwargs)
        body = await response.text()
        if found := _CSRF.search(body):
            self.csrf = found.group(1)
        return response.status, body

    async def post(self, path: str, data: Any, csrf: bool = True, **kwargs: Any) -> tuple[int, str]:
        if csrf and isinstance(data, dict):
            data = {"csrf": self.csrf, **data}
        response = await self.client.post(path, data=data, **kwargs)
        body = await response.text()
        if found := _CSRF.search(body):
            self.csrf = found.group(1)
        return response.status, body

    async def sign_in(self, username: str, password: str = PASSWORD) -> tuple[int, str]:
        await self.get("/office/login")
        return await self.post("/office/login", {"username": username, "password": password})


@dataclass
class Office:
    school: SchoolServer
    server: TestServer
    clock: SimClock
    clients: list[TestClient[Any, Any]]

    async def browser(self, username: str | None = None) -> Browser:
        client: TestClient[Any, Any] = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        browser = Browser(client)
        if username:
            status, body = await browser.sign_in(username)
            assert status == 200 and "/office/logout" in body, body[:500]
        return browser


@pytest.fixture
async def office(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Office]:
    if "backend" in request.fixturenames:  # set up first, so that `server_config` names its store
        backend = request.getfixturevalue("backend")
    config = server_config(tmp_path / "server", [])
    assert config.store_url.startswith("postgresql://") == ("backend" in request.fixturenames and backend == "postgresql")
    seed_store(config.store)
    clock = SimClock(EVENING)
    school_server = SchoolServer(config, clock)
    server = TestServer(create_app(config, school_server, ServerOptions(run_workers=False)))
    await server.start_server()
    found = Office(school_server, server, clock, [])
    yield found
    for client in found.clients:
        await client.session.close()
    await server.close()
