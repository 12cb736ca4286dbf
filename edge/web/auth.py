"""Provides bearer-token authentication with roles, and a per-address slowdown after failed attempts.

Tokens are kept only as SHA-256 hashes (the config's `[[api.tokens]]`); a presented token is
hashed and compared with every configured hash by `hmac.compare_digest`, so the answer's timing
says nothing about how much of a hash matched. No or a wrong token is 401; a good token whose
role may not use the route is 403.

After `FREE_FAILURES` failures from one address within `WINDOW` seconds, each further failed
answer to that address is held back: 0.25 s, doubling to at most `MAX_DELAY`. Only that
request waits (an `asyncio.sleep` in its own handler), so other clients and the tap path never
do; and an address may have only `MAX_HELD` answers held at once (429 beyond), so it cannot
guess in parallel instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from edge.web.errors import Forbidden, TooManyRequests, Unauthenticated
from edge.web.keys import IDENTITY, Identity
from edge.web.routing import Handler, Route
from edge.web.settings import Token

FREE_FAILURES = 5  # a person mistyping a pasted token twice or thrice is not slowed
WINDOW = 900.0  # s; failures older than 15 minutes are forgotten
FIRST_DELAY = 0.25  # s, doubling per failure past the free ones ...
MAX_DELAY = 8.0  # ... to this: with MAX_HELD, ~1,800 guesses an hour from one address, against 2^256 tokens
MAX_HELD = 4  # answers held back at once per address
MAX_ADDRESSES = 4096  # addresses remembered; the oldest is forgotten first


class Authenticator:
    def __init__(
        self,
        tokens: Iterable[Token],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tokens = tuple(tokens)
        self.sleep = sleep
        self.monotonic = monotonic
        self.failures_total = 0
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._held: dict[str, int] = {}

    def match(self, presented: str) -> Identity | None:
        digest = hashlib.sha256(presented.encode("utf-8")).hexdigest()
        found: Token | None = None
        for token in self.tokens:  # no early exit: every hash is compared every time
            if hmac.compare_digest(digest, token.sha256):
                found = token
        return Identity(found.role, found.name) if found else None

    async def identify(self, request: web.Request, allow_query: bool) -> Identity:
        presented = _bearer(request.headers.get("Authorization", ""))
        if presented is None and allow_query:
            presented = request.query.get("token")
        identity = self.match(presented) if presented else None
        if identity is not None:
            return identity
        await self._fail(request.remote or "unknown")
        if presented is None:
            raise Unauthenticated("no token: send the header Authorization: Bearer <token>")
        raise Unauthenticated("this token is not known to the device")

    def delay(self, address: str) -> float:
        """How long a failed answer to `address` is held back now."""
        recent = self._recent(address)
        extra = len(recent) - FREE_FAILURES
        return 0.0 if extra <= 0 else min(FIRST_DELAY * 2 ** (extra - 1), MAX_DELAY)

    async def _fail(self, address: str) -> None:
        self.failures_total += 1
        self._recent(address).append(self.monotonic())
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_ADDRESSES:
            self._failures.popitem(last=False)
        wait = self.delay(address)
        if wait <= 0:
            return
        if self._held.get(address, 0) >= MAX_HELD:
            raise TooManyRequests(f"too many failed attempts from {address}; wait and try one token at a time")
        self._held[address] = self._held.get(address, 0) + 1
        try:
            await self.sleep(wait)
        finally:
            self._held[address] -= 1
            if not self._held[address]:
                del self._held[address]

    def _recent(self, address: str) -> deque[float]:
        stamps = self._failures.setdefault(address, deque(maxlen=64))
        while stamps and self.monotonic() - stamps[0] > WINDOW:
            stamps.popleft()
        return stamps


AUTH = web.AppKey("auth", Authenticator)


def _bearer(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def protect(route: Route) -> Handler:
    """The route's handler behind its roles; a public route (no roles) is returned as it is."""
    if not route.roles:
        return route.handler
    allowed = ", ".join(sorted(route.roles))

    async def guarded(request: web.Request) -> web.StreamResponse:
        identity = await request.app[AUTH].identify(request, route.query_token)
        if identity.role not in route.roles:
            raise Forbidden(f"role {identity.role!r} may not use {route.method} {route.path} (allowed: {allowed})")
        request[IDENTITY] = identity
        return await route.handler(request)

    return guarded


def require(request: web.Request, roles: Iterable[str], what: str) -> Identity:
    """The caller, when their role is one of `roles` (a finer check inside a route); else 403."""
    identity = request[IDENTITY]
    allowed = set(roles)
    if identity.role not in allowed:
        raise Forbidden(f"role {identity.role!r} may not {what} (allowed: {', '.join(sorted(allowed))})")
    return identity
