"""Provides the district's pages served for a test: a real PostgreSQL (tests/district/pg.py), the app on loopback, a client.

Not a test module. The app runs on its own event loop in a thread, so a test (a hypothesis
property among them) writes rows with plain psycopg and reads pages with a plain HTTP client that
keeps cookies like a browser, one request after another, without an event loop of its own.
"""

from __future__ import annotations

import asyncio
import re
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http.cookiejar import CookieJar
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from aiohttp import web

from hardware.clock import SimClock
from sync.bureau.app import DistrictOptions, create_district_app
from sync.district.config import DistrictConfig, parse_district_config
from tests.district.rows import SCHOOLS, TZ

EVENING = datetime(2026, 11, 30, 20, 0, tzinfo=TZ)  # Monday, before the 21:00 deadline
PASSWORD = "correct horse battery"
# argon2id of PASSWORD at the smallest cost (the hash carries its parameters): the tests sign in often
HASH = "$argon2id$v=19$m=1024,t=1,p=1$mgVfv8pZq9/+YI3StJWAgw$gLbjGqtb/3VxF2CD290N1MTSwc3VYky25wfBsiopXi4"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def config_text(port: int, school_conninfo: str = "host=127.0.0.1 port=9 dbname=rollcall") -> str:
    """A district of the four schools in tests/district/rows.py; 张家湾 (S-ZH) is on SQLite, pulled."""
    schools = []
    for code, name in SCHOOLS.items():
        where = (
            'url = "http://127.0.0.1:9"\ntoken = "0123456789abcdef0123"'
            if code == "S-ZH"
            else f'conninfo = "{school_conninfo}"'
        )
        schools.append(f'[[schools]]\nid = "{code}"\nname = "{name}"\n{where}\n')
    return (
        f'[district]\nname = "示范区教育局"\n\n[store]\nurl = "postgresql://postgres@127.0.0.1:{port}/district"\n\n'
        + "\n".join(schools)
        + f'\n[[users]]\nusername = "bureau"\nname = "王科长"\npassword_hash = "{HASH}"\n'
    )


@dataclass
class Site:
    url: str
    dsn: str
    config: DistrictConfig
    app: web.Application
    clock: SimClock


@contextmanager
def served(config: DistrictConfig, dsn: str, clock: SimClock) -> Iterator[Site]:
    app = create_district_app(config, clock, DistrictOptions(pull=False))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="district-site", daemon=True)
    thread.start()

    async def start() -> web.AppRunner:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(60)
    port = runner.addresses[0][1]
    try:
        yield Site(f"http://127.0.0.1:{port}", dsn, config, app, clock)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def site_config(port: int) -> DistrictConfig:
    return parse_district_config(tomllib.loads(config_text(port)), "district.toml")


class _Stay(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 303 is answered as it is: the test reads where it points


@dataclass
class Answer:
    status: int
    headers: Any
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class Client:
    """A browser's cookies and forms over plain HTTP: reads each page's CSRF token for the next post."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _Stay)
        self.csrf = ""

    def _open(self, request: Request) -> Answer:
        try:
            with self.opener.open(request, timeout=30) as response:
                answer = Answer(response.status, response.headers, response.read())
        except HTTPError as error:
            answer = Answer(error.code, error.headers, error.read())
        if answer.headers.get_content_type() == "text/html" and (found := _CSRF.search(answer.text)):
            self.csrf = found.group(1)
        return answer

    def get(self, path: str) -> Answer:
        return self._open(Request(self.base + path))

    def post(self, path: str, data: dict[str, str], csrf: bool = True) -> Answer:
        fields = {"csrf": self.csrf, **data} if csrf else data
        return self._open(Request(self.base + path, data=urlencode(fields).encode(), method="POST"))

    def sign_in(self, username: str = "bureau", password: str = PASSWORD, next_path: str = "/") -> Answer:
        self.get(f"/login?{urlencode({'next': next_path})}")
        return self.post("/login", {"username": username, "password": password, "next": next_path})
