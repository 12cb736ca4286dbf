"""Tokens and the slowdown: hashed tokens with names, and failed attempts held back per address, never the loop."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from edge.web.auth import FREE_FAILURES, MAX_DELAY, MAX_HELD, WINDOW, Authenticator
from edge.web.errors import TooManyRequests, Unauthenticated
from edge.web.settings import Token

GOOD = Token("guard", hashlib.sha256(b"right").hexdigest(), "gate-tablet")


class FakeTime:
    """Monotonic time that moves only when told, and a sleep that records and returns at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def request(token: str | None, address: str = "10.0.0.9") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return make_mocked_request("GET", "/api/v1/sessions", headers=headers, transport=_Transport(address))


class _Transport:
    def __init__(self, address: str) -> None:
        self.address = address

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self.address, 50000) if name == "peername" else default


async def test_a_good_token_names_its_role_and_holder() -> None:
    auth = Authenticator([Token("server", "0" * 64), GOOD])
    identity = await auth.identify(request("right"), allow_query=False)
    assert (identity.role, identity.actor) == ("guard", "guard:gate-tablet")


async def test_failures_past_the_free_ones_are_held_back_doubling_to_a_cap() -> None:
    time = FakeTime()
    auth = Authenticator([GOOD], sleep=time.sleep, monotonic=time.monotonic)
    for _ in range(FREE_FAILURES + 8):
        with pytest.raises(Unauthenticated):
            await auth.identify(request("wrong"), allow_query=False)
    assert time.slept == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, MAX_DELAY, MAX_DELAY]
    assert auth.failures_total == FREE_FAILURES + 8
    assert (await auth.identify(request("right"), allow_query=False)).role == "guard"  # a good token is never held
    assert auth.delay("10.0.0.10") == 0  # another address is not slowed
    time.now += WINDOW + 1
    assert auth.delay("10.0.0.9") == 0  # and failures are forgotten


async def test_an_address_may_not_guess_in_parallel_while_held() -> None:
    release = asyncio.Event()

    async def held(seconds: float) -> None:
        await release.wait()

    auth = Authenticator([GOOD], sleep=held)
    for _ in range(FREE_FAILURES):
        with pytest.raises(Unauthenticated):
            await auth.identify(request("wrong"), allow_query=False)
    waiting = [asyncio.create_task(auth.identify(request("wrong"), allow_query=False)) for _ in range(MAX_HELD)]
    await asyncio.sleep(0)
    with pytest.raises(TooManyRequests):
        await auth.identify(request("wrong"), allow_query=False)
    release.set()
    for task in waiting:
        with pytest.raises(Unauthenticated):
            await task


async def test_no_token_and_an_unknown_token_are_told_apart_in_words() -> None:
    auth = Authenticator([GOOD])
    with pytest.raises(Unauthenticated, match="no token: send the header Authorization: Bearer <token>"):
        await auth.identify(request(None), allow_query=False)
    with pytest.raises(Unauthenticated, match="this token is not known to the device"):
        await auth.identify(request("Basic dXNlcjpwYXNz"), allow_query=False)
