"""Provides the office pages' request kit: who is signed in, the language, CSRF, rendering, refusals, the audit.

One middleware does, for every page: the language (`?lang=en` sets a cookie; zh-CN by default),
the session (a signed-out visitor is sent to the sign-in page), the CSRF check on every POST
(the form's `csrf` field must be the session's token, else 403), and refusals rendered as a page
in the one layout. A refused page names no child: a 403 says only that the page is not hers.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web
from multidict import MultiDictProxy

from edge.core.i18n import t
from edge.web.audit import audit_entry
from edge.web.keys import IDENTITY, Identity
from sync.api.keys import SCHOOL
from sync.office import accounts
from sync.office.accounts import SignedIn
from sync.office.roles import may
from sync.office.throttle import Throttle

PREFIX = "/office"
COOKIE = "rollcall_office"
LOGIN_COOKIE = "rollcall_office_login"  # the sign-in form's CSRF token, before there is a session
LANG_COOKIE = "rollcall_lang"
PUBLIC = (f"{PREFIX}/login", f"{PREFIX}/static/")

SIGNED_IN = web.RequestKey("office_signed_in", SignedIn)
LANG = web.RequestKey("office_lang", str)
FORM: web.RequestKey[MultiDictProxy[Any]] = web.RequestKey("office_form")
THROTTLE = web.AppKey("office_throttle", Throttle)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Refused(Exception):
    """A page or step refused; rendered as the error page with `status` and the catalogue text of `key`."""

    def __init__(self, status: int, key: str, **params: object) -> None:
        super().__init__(key)
        self.status, self.key, self.params = status, key, params


def user_of(request: web.Request) -> accounts.User:
    return request[SIGNED_IN].user


def need(request: web.Request, right: str) -> accounts.User:
    user = user_of(request)
    if not may(user.role, right):
        raise Refused(403, "office.forbidden")
    return user


def text(request: web.Request, key: str, **params: object) -> str:
    return t(key, request.get(LANG, "zh"), **params)


def page_lang(request: web.Request) -> str:
    """The reader's language: `?lang=` (then remembered in a cookie), else the cookie's, else Chinese."""
    asked = request.query.get("lang") or request.cookies.get(LANG_COOKIE, "")
    return "en" if asked.lower().startswith("en") else "zh"


def setup_templates(app: web.Application, folder: Path) -> None:
    """Jinja2 pages from `folder`: autoescaped, and a name a template lacks is an error, not a blank."""
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@web.middleware
async def office_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[LANG] = lang = page_lang(request)
    try:
        response = await _guarded(request, handler)
    except Refused as refused:
        response = render(request, "error.html", {"message": text(request, refused.key, **refused.params)},
                          status=refused.status)  # fmt: skip
    if "lang" in request.query:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path=PREFIX, samesite="Strict")
    return private(response)


def private(response: web.StreamResponse) -> web.StreamResponse:
    """A page that names children (or schools' figures): never kept by a browser, never framed."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(PUBLIC):
        if request.method == "POST":
            form = request[FORM] = await request.post()
            if not same(str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")):
                raise Refused(403, "office.csrf")
        return await handler(request)
    school = request.app[SCHOOL]
    token = request.cookies.get(COOKIE, "")
    now = school.clock.now()
    found = await school.writer.run(lambda store: accounts.session(store.db, token, now)) if token else None
    if found is None:
        if request.method != "GET":
            raise Refused(403, "office.signed_out")
        target = quote(request.path_qs, safe="")
        raise web.HTTPSeeOther(f"{PREFIX}/login?next={target}")
    request[SIGNED_IN] = found
    request[IDENTITY] = Identity(found.user.role, found.user.username)
    if request.method == "POST":
        form = request[FORM] = await request.post()
        if not same(str(form.get("csrf", "")), found.csrf):
            raise Refused(403, "office.csrf")
    return await handler(request)


def same(given: str, expected: str) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def login_token() -> str:
    return secrets.token_urlsafe(32)


def render(
    request: web.Request, template: str, context: Mapping[str, Any], status: int = 200
) -> web.Response:
    lang = request.get(LANG, "zh")
    signed = request.get(SIGNED_IN)
    base = {
        "t": lambda key, **params: t(key, lang, **params),
        "lang": lang,
        "user": signed.user if signed else None,
        "csrf": signed.csrf if signed else "",
        "may": (lambda right: may(signed.user.role, right)) if signed else (lambda right: False),
        "path": request.path,
        "prefix": PREFIX,
    }
    response = aiohttp_jinja2.render_template(template, request, base | dict(context), status=status)
    return response


def form(request: web.Request) -> MultiDictProxy[Any]:
    return request[FORM]


def field(request: web.Request, name: str, limit: int = 200) -> str:
    value = form(request).get(name, "")
    return str(value).strip()[:limit] if isinstance(value, str) else ""


def see_other(path: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{PREFIX}{path}")


async def audit(request: web.Request, what: Mapping[str, Any]) -> None:
    """One durable row in the server's audit log (edge.web.audit), before the page is answered."""
    school = request.app[SCHOOL]
    entry = audit_entry(request, school.clock.now(), what)
    await school.writer.run(lambda store: store.audit(entry))
