"""Provides the bureau's signing in and out: the office's form, throttle and cookies, the district's users."""

from __future__ import annotations

import asyncio
import logging
import math

from aiohttp import web

from sync.bureau.web import CLOCK, COOKIE, LOGIN_COOKIE, SESSIONS, THROTTLE, field, render, text
from sync.office.accounts import LIFETIME
from sync.office.web import login_token

log = logging.getLogger("rollcall.district")


def _next(target: str) -> str:
    # Only a path of ours: never an address elsewhere (an open redirect).
    return target if target.startswith("/") and not target.startswith("//") else "/"


async def login_page(request: web.Request, message: str = "", status: int = 200) -> web.Response:
    token = login_token()
    response = render(request, "login.html", {"login_csrf": token, "message": message,
                                             "next": _next(request.query.get("next", ""))}, status=status)  # fmt: skip
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="Strict", path="/login",
                        max_age=3600, secure=request.secure)  # fmt: skip
    return response


async def login(request: web.Request) -> web.StreamResponse:
    sessions, throttle = request.app[SESSIONS], request.app[THROTTLE]
    username, password = field(request, "username", 64), field(request, "password", 256)
    address, account = f"address:{request.remote}", f"user:{username}"
    wait = throttle.wait(address, account)
    if wait > 0:
        return await login_page(
            request, text(request, "office.login.throttled", seconds=math.ceil(wait)), 429
        )
    if not await asyncio.to_thread(sessions.check, username, password):
        throttle.failed(address, account)
        log.warning("district_sign_in refused user=%s remote=%s", username, request.remote)
        return await login_page(request, text(request, "office.login.wrong"), 401)
    throttle.succeeded(account)
    log.info("district_sign_in accepted user=%s remote=%s", username, request.remote)
    token = sessions.start(username, request.app[CLOCK].now())
    response = web.HTTPSeeOther(_next(field(request, "next", 500)))
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/",
                        max_age=int(LIFETIME.total_seconds()), secure=request.secure)  # fmt: skip
    response.del_cookie(LOGIN_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    request.app[SESSIONS].end(request.cookies.get(COOKIE, ""))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


ROUTES = (
    ("GET", "/login", login_page),
    ("POST", "/login", login),
    ("POST", "/logout", logout),
)
