"""Provides signing in and out, and the home page that lists what the signed-in role may open."""

from __future__ import annotations

import asyncio
import math

from aiohttp import web

from edge.web.keys import IDENTITY, Identity
from sync.api.keys import SCHOOL
from sync.office import accounts, records
from sync.office.applications import STATES
from sync.office.roles import HOMEROOM
from sync.office.web import (
    COOKIE,
    LOGIN_COOKIE,
    PREFIX,
    THROTTLE,
    audit,
    field,
    login_token,
    render,
    see_other,
    text,
    user_of,
)  # fmt: skip
from sync.store import ServerStore


def _next(target: str) -> str:
    # Only a path of ours: never an address elsewhere (an open redirect).
    return target if target.startswith(f"{PREFIX}/") and not target.startswith("//") else f"{PREFIX}/"


async def login_page(request: web.Request, message: str = "", status: int = 200) -> web.Response:
    token = login_token()
    response = render(request, "login.html", {"login_csrf": token, "message": message,
                                             "next": _next(request.query.get("next", ""))}, status=status)  # fmt: skip
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="Strict", path=f"{PREFIX}/login",
                        max_age=3600, secure=request.secure)  # fmt: skip
    return response


async def login(request: web.Request) -> web.StreamResponse:
    school = request.app[SCHOOL]
    throttle = request.app[THROTTLE]
    username, password = field(request, "username", 64), field(request, "password", 256)
    address, account = f"address:{request.remote}", f"user:{username}"
    wait = throttle.wait(address, account)
    if wait > 0:
        return await login_page(
            request, text(request, "office.login.throttled", seconds=math.ceil(wait)), 429
        )
    stored = await school.writer.run(lambda store: accounts.stored_hash(store.db, username))
    if not await asyncio.to_thread(accounts.matches, stored, password):
        throttle.failed(address, account)
        request[IDENTITY] = Identity("signed_out", username)
        await audit(request, {"sign_in": "refused"})
        return await login_page(request, text(request, "office.login.wrong"), 401)
    throttle.succeeded(account)
    request[IDENTITY] = Identity(await school.writer.run(lambda store: _role(store, username)), username)
    await audit(request, {"sign_in": "accepted"})
    now = school.clock.now()
    token, _ = await school.writer.run(lambda store: accounts.start_session(store.db, username, now))
    response = web.HTTPSeeOther(_next(field(request, "next", 500)))
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path=PREFIX,
                        max_age=int(accounts.LIFETIME.total_seconds()), secure=request.secure)  # fmt: skip
    response.del_cookie(LOGIN_COOKIE, path=f"{PREFIX}/login")
    raise response


def _role(store: ServerStore, username: str) -> str:
    user = accounts.get_user(store.db, username)
    return user.role if user else ""


async def logout(request: web.Request) -> web.StreamResponse:
    school = request.app[SCHOOL]
    token = request.cookies.get(COOKIE, "")
    await school.writer.run(lambda store: accounts.end_session(store.db, token))
    response = see_other("/login")
    response.del_cookie(COOKIE, path=PREFIX)
    raise response


async def home(request: web.Request) -> web.Response:
    user = user_of(request)
    school = request.app[SCHOOL]
    own = user.class_name if user.role == HOMEROOM else ""
    found = await school.writer.run(lambda store: records.counts(store.db, own))
    return render(request, "home.html", {"counts": [(s, found.get(s, 0)) for s in STATES]})


ROUTES = (
    ("GET", "/login", login_page),
    ("POST", "/login", login),
    ("POST", "/logout", logout),
    ("GET", "/", home),
)
