"""Provides the district pages' request kit: the app's keys, who is signed in, the language, CSRF, rendering, refusals.

The office's kit (`sync.office.web`) with the district's own session store: one middleware sets the
language (`?lang=en` sets a cookie; Chinese by default), sends a signed-out visitor to the sign-in
page, checks the form's `csrf` field on every POST (403 otherwise), and renders a refusal, or a
district database that does not answer, as a page in the one layout. The office's `Refused`, sign-in
token and throttle are reused as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp_jinja2
import psycopg
from aiohttp import web
from multidict import MultiDictProxy

from edge.core.i18n import t
from hardware.clock import Clock
from sync.bureau.sessions import Session, Sessions
from sync.district.config import DistrictConfig
from sync.district.figures import percent
from sync.district.pulling import PullStatus
from sync.office.throttle import Throttle
from sync.office.web import LANG_COOKIE, Refused, page_lang, private, same

log = logging.getLogger("rollcall.district")

COOKIE = "rollcall_district"
LOGIN_COOKIE = "rollcall_district_login"  # the sign-in form's CSRF token, before there is a session
# The browser's own request for /favicon.ico must not be sent to sign in: that page would set a new
# sign-in token under the form the user is filling in, and her post would be refused as stale.
PUBLIC = ("/login", "/static/", "/favicon.ico")

CONFIG = web.AppKey("district_config", DistrictConfig)
CLOCK: web.AppKey[Clock] = web.AppKey("district_clock")
SESSIONS = web.AppKey("district_sessions", Sessions)
THROTTLE = web.AppKey("district_throttle", Throttle)
PULLS = web.AppKey("district_pulls", PullStatus)

SIGNED_IN = web.RequestKey("district_signed_in", Session)
LANG = web.RequestKey("district_lang", str)
FORM: web.RequestKey[MultiDictProxy[Any]] = web.RequestKey("district_form")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def text(request: web.Request, key: str, **params: object) -> str:
    return t(key, request.get(LANG, "zh"), **params)


@web.middleware
async def district_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[LANG] = lang = page_lang(request)
    try:
        response = await _guarded(request, handler)
    except Refused as refused:
        response = render(request, "error.html", {"message": text(request, refused.key, **refused.params)},
                          status=refused.status)  # fmt: skip
    except psycopg.Error as error:
        log.error("district_store_unavailable path=%s error=%s", request.path, str(error).splitlines()[0:1])
        response = render(
            request, "error.html", {"message": text(request, "district.store_down")}, status=503
        )
    if "lang" in request.query:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="Strict")
    return private(response)


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(PUBLIC):
        if request.method == "POST":
            form = request[FORM] = await request.post()
            if not same(str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")):
                raise Refused(403, "office.csrf")
        return await handler(request)
    now = request.app[CLOCK].now()
    found = request.app[SESSIONS].get(request.cookies.get(COOKIE, ""), now)
    if found is None:
        if request.method != "GET":
            raise Refused(403, "office.signed_out")
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
    request[SIGNED_IN] = found
    if request.method == "POST":
        form = request[FORM] = await request.post()
        if not same(str(form.get("csrf", "")), found.csrf):
            raise Refused(403, "office.csrf")
    return await handler(request)



def render(
    request: web.Request, template: str, context: Mapping[str, Any], status: int = 200
) -> web.Response:
    lang = request.get(LANG, "zh")
    signed = request.get(SIGNED_IN)
    config = request.app[CONFIG]
    base = {
        "t": lambda key, **params: t(key, lang, **params),
        "lang": lang,
        "user": signed,
        "csrf": signed.csrf if signed else "",
        "path": request.path,
        "lang_link": f"{request.path}?{urlencode({**request.query, 'lang': 'zh' if lang == 'en' else 'en'})}",
        "district": config.name or t("district.title", lang),
        "percent": percent,
    }
    return aiohttp_jinja2.render_template(template, request, base | dict(context), status=status)


def field(request: web.Request, name: str, limit: int = 200) -> str:
    value = request[FORM].get(name, "")
    return str(value).strip()[:limit] if isinstance(value, str) else ""
